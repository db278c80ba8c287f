package messages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// MaxBodySize is the largest SQS message body, in bytes: the highest
// MaximumMessageSize a queue can have (1 MiB). Larger bodies are refused
// before they are parsed.
const MaxBodySize = 1024 * 1024

// MaxVisibilityTimeout is the longest visibility timeout SQS accepts, for
// a queue and for one message (counted from its receive). A longer wait,
// such as a [RetryAfter] of more than 12 hours, is cut to it.
const MaxVisibilityTimeout = 12 * time.Hour

// BodyKind says what a queue message holds.
type BodyKind int

// Kinds of queue message.
const (
	// KindJob is a job (Body.Job is set).
	KindJob BodyKind = iota + 1
	// KindSESEvent is an SES notification (Body.SES is set).
	KindSESEvent
	// KindSESSetup is a notice SES sends once when a topic is wired up: the
	// text "Successfully validated SNS topic for Amazon SES event publishing."
	// after an event destination is created, or an identity notification of
	// type "AmazonSnsSubscriptionSucceeded". It carries no event; a consumer
	// acknowledges it.
	KindSESSetup
)

// String returns "job", "ses_event" or "ses_setup".
func (k BodyKind) String() string {
	switch k {
	case KindJob:
		return "job"
	case KindSESEvent:
		return "ses_event"
	case KindSESSetup:
		return "ses_setup"
	}
	return fmt.Sprintf("BodyKind(%d)", int(k))
}

// MarshalText encodes the kind as its String.
func (k BodyKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Body is a decoded queue message.
type Body struct {
	Kind BodyKind `json:"kind"`
	// Job is the job, for KindJob.
	Job *Job `json:"job,omitempty"`
	// SES is the event, for KindSESEvent.
	SES *SESEvent `json:"ses,omitempty"`
	// SNS is the envelope the message came in, or nil when the subscription
	// delivers raw messages (or the message was sent to SQS directly).
	SNS *SNSEnvelope `json:"sns,omitempty"`
}

// sesSetupText starts the message SES publishes when an event destination is
// created.
const sesSetupText = "Successfully validated SNS topic for Amazon SES event publishing"

// DecodeQueueBody decodes whatever arrives on a Quarry queue: a job or an
// SES notification, either raw (raw message delivery, or sent to SQS
// directly) or inside an SNS envelope {"Type":"Notification","Message":"…"}
// whose Message holds it as a string.
//
// It tells the shapes apart by their top-level keys, exactly as spelled: an
// envelope has "Type" or "TopicArn"; an SES notification "eventType" or
// "notificationType"; anything else must be a job. Errors are
// [*ValidationError]s naming what is wrong ("body: not valid JSON …",
// "sns.Message: required …", `job.type: unknown job type "x" …`), so
// [IsPermanent] is true for them. When the envelope decoded but its message
// did not, the returned Body has SNS set and the error names the SNS
// MessageId, so the failure can be traced to the publish.
func DecodeQueueBody(body string) (Body, error) {
	if len(body) > MaxBodySize {
		return Body{}, &ValidationError{Field: "body", Reason: fmt.Sprintf("%d bytes, over SQS's %d-byte limit", len(body), MaxBodySize)}
	}
	if strings.HasPrefix(strings.TrimSpace(body), sesSetupText) {
		return Body{Kind: KindSESSetup}, nil
	}
	data := []byte(body)
	if j, ok := decodeJobFast(data); ok {
		return Body{Kind: KindJob, Job: &j}, nil
	}
	top, err := topLevel("body", data)
	if err != nil {
		return Body{}, err
	}
	if !top.isEnvelope() {
		return decodeMessage(data, top)
	}
	env, err := decodeSNSEnvelope(data)
	if err != nil {
		return Body{}, err
	}
	b, err := decodeInner(env.Message)
	b.SNS = &env
	if err != nil {
		return b, fmt.Errorf("SNS message %s on %s: %w", clip(env.MessageID), clip(env.TopicARN), err)
	}
	return b, nil
}

// DecodeDelivery decodes the body of a message from a job queue: like
// [DecodeQueueBody], but anything other than a job is an error.
func DecodeDelivery(body string) (Job, error) {
	b, err := DecodeQueueBody(body)
	if err != nil {
		return Job{}, err
	}
	if b.Kind != KindJob {
		return Job{}, &ValidationError{Field: "body", Reason: fmt.Sprintf("holds an %s, not a job: is this a job queue?", b.Kind)}
	}
	return *b.Job, nil
}

// decodeInner decodes the Message of an envelope.
func decodeInner(msg string) (Body, error) {
	if strings.HasPrefix(strings.TrimSpace(msg), sesSetupText) {
		return Body{Kind: KindSESSetup}, nil
	}
	data := []byte(msg)
	if j, ok := decodeJobFast(data); ok {
		return Body{Kind: KindJob, Job: &j}, nil
	}
	top, err := topLevel("sns.Message", data)
	if err != nil {
		return Body{}, err
	}
	if top.isEnvelope() {
		return Body{}, &ValidationError{Field: "sns.Message", Reason: "holds another SNS envelope: a topic subscribed to a topic?"}
	}
	return decodeMessage(data, top)
}

// decodeMessage decodes a job or an SES notification, told apart by top.
// Its callers have tried decodeJobFast on data already, so a job takes the
// general path.
func decodeMessage(data []byte, top topKeys) (Body, error) {
	switch {
	case top.notificationType && string(top.notificationTypeValue) == `"AmazonSnsSubscriptionSucceeded"`:
		return Body{Kind: KindSESSetup}, nil
	case top.eventType || top.notificationType:
		e, err := DecodeSESEvent(data)
		if err != nil {
			return Body{}, err
		}
		return Body{Kind: KindSESEvent, SES: &e}, nil
	}
	j, err := decodeJobGeneral(data)
	if err != nil {
		return Body{}, err
	}
	return Body{Kind: KindJob, Job: &j}, nil
}

// topKeys records the top-level members of a JSON object that tell the
// shapes of a queue body apart, keyed exactly as spelled once unescaped
// (encoding/json matches struct fields ignoring case, which would confuse
// an envelope's "Type" with a job's "type").
type topKeys struct {
	typ, topicARN, eventType, notificationType bool
	// notificationTypeValue is the value of the last "notificationType"
	// member, as written (a quoted string for a real notification).
	notificationTypeValue []byte
}

func (t topKeys) isEnvelope() bool { return t.typ || t.topicARN }

// topLevel checks that data is a JSON object and reads its top-level keys.
// The object is validated in full, so a syntax error anywhere is reported
// here, under field.
func topLevel(field string, data []byte) (topKeys, error) {
	if err := mustBeObject(field, data); err != nil {
		return topKeys{}, err
	}
	if !json.Valid(data) {
		// The decoder's error says what is wrong and where.
		var v map[string]json.RawMessage
		return topKeys{}, jsonError(field, json.Unmarshal(data, &v))
	}
	var top topKeys
	scanMembers(data, func(key, value []byte) {
		switch memberName(key) {
		case "Type":
			top.typ = true
		case "TopicArn":
			top.topicARN = true
		case "eventType":
			top.eventType = true
		case "notificationType":
			top.notificationType = true
			top.notificationTypeValue = value
		}
	})
	return top, nil
}

// scanMembers calls f with the key (quoted, as written) and the value (as
// written) of each top-level member of data, a valid JSON object, in order.
// It only skips over the members, so it costs a fraction of decoding them.
func scanMembers(data []byte, f func(key, value []byte)) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return
	}
	i = skipSpace(data, i+1)
	for i < len(data) && data[i] == '"' {
		end := skipString(data, i)
		key := data[i:end]
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return
		}
		i = skipSpace(data, i+1)
		end = skipValue(data, i)
		f(key, data[i:end])
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ',' {
			return
		}
		i = skipSpace(data, i+1)
	}
}

// memberName returns a quoted member key unescaped. Keys without escapes,
// nearly all of them, are sliced rather than decoded.
func memberName(quoted []byte) string {
	if len(quoted) < 2 {
		return ""
	}
	inner := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner)
	}
	var name string
	if err := json.Unmarshal(quoted, &name); err != nil {
		return ""
	}
	return name
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// skipString returns the index just past the string that starts with the
// quote at data[i].
func skipString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(data)
}

// skipValue returns the index just past the value that starts at data[i].
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return i
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = skipString(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default: // a number, true, false or null
		for i < len(data) && !isSpace(data[i]) && data[i] != ',' && data[i] != '}' && data[i] != ']' {
			i++
		}
		return i
	}
}
