package messages

import (
	"encoding/json"
	"fmt"
	"time"
)

// SNSEnvelope is the JSON document SNS puts in an SQS message body when the
// subscription's raw message delivery is off (aws-semantics §3.5). Message
// holds the published message as a string, so a JSON job arrives encoded
// twice.
type SNSEnvelope struct {
	// Type is "Notification" for every message a worker should see.
	Type string `json:"type"`
	// MessageID is SNS's id of the published message; the same for every
	// queue the topic fans out to.
	MessageID string `json:"message_id"`
	// TopicARN is the topic the message was published to.
	TopicARN string `json:"topic_arn"`
	// Subject is the publish call's subject, if any.
	Subject string `json:"subject,omitempty"`
	// Message is the published message, verbatim.
	Message string `json:"message"`
	// Timestamp is when SNS accepted the publish, in UTC.
	Timestamp time.Time `json:"timestamp"`
	// SequenceNumber is set by FIFO topics only.
	SequenceNumber string `json:"sequence_number,omitempty"`
	// MessageAttributes are the publish call's message attributes, which
	// without raw delivery travel only inside the envelope.
	MessageAttributes map[string]SNSAttribute `json:"message_attributes,omitempty"`
}

// SNSAttribute is one message attribute in an envelope: Type is the data
// type ("String", "Number", "Binary", "String.Array"); Value is its value,
// base64 for Binary.
type SNSAttribute struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// snsWire is the envelope as SNS writes it.
type snsWire struct {
	Type              *string                 `json:"Type"`
	MessageID         string                  `json:"MessageId"`
	TopicARN          string                  `json:"TopicArn"`
	Subject           string                  `json:"Subject"`
	Message           *string                 `json:"Message"`
	Timestamp         string                  `json:"Timestamp"`
	SequenceNumber    string                  `json:"SequenceNumber"`
	MessageAttributes map[string]SNSAttribute `json:"MessageAttributes"`
}

// decodeSNSEnvelope decodes an envelope and checks what a worker relies on:
// a Notification with a MessageId, a TopicArn and a non-empty Message.
func decodeSNSEnvelope(data []byte) (SNSEnvelope, error) {
	var w snsWire
	if err := json.Unmarshal(data, &w); err != nil {
		return SNSEnvelope{}, jsonError("sns", err)
	}
	switch {
	case w.Type == nil:
		return SNSEnvelope{}, &ValidationError{Field: "sns.Type", Reason: "required: an SNS envelope names its Type"}
	case *w.Type == "SubscriptionConfirmation" || *w.Type == "UnsubscribeConfirmation":
		return SNSEnvelope{}, &ValidationError{Field: "sns.Type", Reason: fmt.Sprintf("%q is not a Notification: confirm or remove the subscription instead of consuming it", *w.Type)}
	case *w.Type != "Notification":
		return SNSEnvelope{}, &ValidationError{Field: "sns.Type", Reason: fmt.Sprintf("unknown type %q, want \"Notification\"", clip(*w.Type))}
	case w.MessageID == "":
		return SNSEnvelope{}, &ValidationError{Field: "sns.MessageId", Reason: "required"}
	case w.TopicARN == "":
		return SNSEnvelope{}, &ValidationError{Field: "sns.TopicArn", Reason: "required"}
	case w.Message == nil:
		return SNSEnvelope{}, &ValidationError{Field: "sns.Message", Reason: "required: the envelope carries no message"}
	case *w.Message == "":
		return SNSEnvelope{}, &ValidationError{Field: "sns.Message", Reason: "empty"}
	}
	ts, err := parseTime("sns.Timestamp", w.Timestamp)
	if err != nil {
		return SNSEnvelope{}, err
	}
	return SNSEnvelope{
		Type:              *w.Type,
		MessageID:         w.MessageID,
		TopicARN:          w.TopicARN,
		Subject:           w.Subject,
		Message:           *w.Message,
		Timestamp:         ts,
		SequenceNumber:    w.SequenceNumber,
		MessageAttributes: w.MessageAttributes,
	}, nil
}
