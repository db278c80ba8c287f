package messages

import (
	"encoding/json"
	"fmt"
	"strings"
)

// MaxBodySize is the largest SQS message body, in bytes: the highest
// MaximumMessageSize a queue can have (1 MiB). Larger bodies are refused
// before they are parsed.
const MaxBodySize = 1024 * 1024

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
	top, err := topLevel("body", []byte(body))
	if err != nil {
		return Body{}, err
	}
	if !isEnvelope(top) {
		return decodeMessage([]byte(body), top)
	}
	env, err := decodeSNSEnvelope([]byte(body))
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
	top, err := topLevel("sns.Message", []byte(msg))
	if err != nil {
		return Body{}, err
	}
	if isEnvelope(top) {
		return Body{}, &ValidationError{Field: "sns.Message", Reason: "holds another SNS envelope: a topic subscribed to a topic?"}
	}
	return decodeMessage([]byte(msg), top)
}

// decodeMessage decodes a job or an SES notification, told apart by top.
func decodeMessage(data []byte, top map[string]json.RawMessage) (Body, error) {
	_, event := top["eventType"]
	nt, notification := top["notificationType"]
	switch {
	case notification && string(nt) == `"AmazonSnsSubscriptionSucceeded"`:
		return Body{Kind: KindSESSetup}, nil
	case event || notification:
		e, err := DecodeSESEvent(data)
		if err != nil {
			return Body{}, err
		}
		return Body{Kind: KindSESEvent, SES: &e}, nil
	}
	j, err := DecodeJob(data)
	if err != nil {
		return Body{}, err
	}
	return Body{Kind: KindJob, Job: &j}, nil
}

// topLevel parses data as a JSON object into its top-level members, keyed
// exactly as spelled (encoding/json matches struct fields ignoring case,
// which would confuse an envelope's "Type" with a job's "type").
func topLevel(field string, data []byte) (map[string]json.RawMessage, error) {
	if err := mustBeObject(field, data); err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonError(field, err)
	}
	return top, nil
}

func isEnvelope(top map[string]json.RawMessage) bool {
	_, t := top["Type"]
	_, a := top["TopicArn"]
	return t || a
}
