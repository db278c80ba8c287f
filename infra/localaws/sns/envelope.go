package sns

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// timestampLayout is the envelope's Timestamp: ISO-8601 UTC with
// milliseconds.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// notification is one published message on its way to the subscriptions.
type notification struct {
	MessageID      string
	TopicARN       string
	SequenceNumber string // FIFO topics only
	Subject        string // "" when none
	Message        string // what SQS subscribers get
	Timestamp      time.Time
	Attrs          []messageAttribute

	fifo       bool
	sigVersion string
	groupID    string
	dedupID    string
}

// stringToSign is the text a Notification's Signature covers (reference
// §3.5): each of Message, MessageId, Subject (if any), Timestamp, TopicArn
// and Type as "name\nvalue\n", in that order.
func (n *notification) stringToSign() string {
	var b strings.Builder
	field := func(name, value string) {
		b.WriteString(name)
		b.WriteByte('\n')
		b.WriteString(value)
		b.WriteByte('\n')
	}
	field("Message", n.Message)
	field("MessageId", n.MessageID)
	if n.Subject != "" {
		field("Subject", n.Subject)
	}
	field("Timestamp", n.Timestamp.Format(timestampLayout))
	field("TopicArn", n.TopicARN)
	field("Type", "Notification")
	return b.String()
}

// envelopeSignature is what the signature fields of a standard topic's
// envelope hold.
type envelopeSignature struct {
	Version string
	Value   string
	CertURL string
}

// snsHost is the AWS endpoint host of the topic's region, which the
// envelope's URLs name as AWS's do.
func snsHost(topicARN, fallbackRegion string) string {
	region, _, _, ok := arnParts(topicARN, "sns")
	if !ok {
		region = fallbackRegion
	}
	return "https://sns." + region + ".amazonaws.com"
}

// renderEnvelope writes the JSON envelope an SQS subscription without raw
// delivery receives, with AWS's key set, key order and pretty-printing:
//
//	Type, MessageId, SequenceNumber (FIFO), TopicArn, Subject (if any),
//	Message, Timestamp, SignatureVersion, Signature, SigningCertURL
//	(standard topics), UnsubscribeURL, MessageAttributes (if any)
//
// Attributes appear in the order they were published, each as
// {"Type":...,"Value":...} with Binary values in base64.
func renderEnvelope(n *notification, sig *envelopeSignature, unsubscribeURL string) string {
	var b bytes.Buffer
	b.WriteString("{\n")
	first := true
	field := func(name, value string) {
		if !first {
			b.WriteString(",\n")
		}
		first = false
		b.WriteString("  ")
		b.Write(jsonString(name))
		b.WriteString(" : ")
		b.Write(jsonString(value))
	}
	field("Type", "Notification")
	field("MessageId", n.MessageID)
	if n.fifo {
		field("SequenceNumber", n.SequenceNumber)
	}
	field("TopicArn", n.TopicARN)
	if n.Subject != "" {
		field("Subject", n.Subject)
	}
	field("Message", n.Message)
	field("Timestamp", n.Timestamp.Format(timestampLayout))
	if !n.fifo && sig != nil {
		field("SignatureVersion", sig.Version)
		field("Signature", sig.Value)
		field("SigningCertURL", sig.CertURL)
	}
	field("UnsubscribeURL", unsubscribeURL)
	if len(n.Attrs) > 0 {
		b.WriteString(",\n  \"MessageAttributes\" : {")
		for i, a := range n.Attrs {
			if i > 0 {
				b.WriteByte(',')
			}
			v := a.StringValue
			if a.baseType() == "Binary" {
				v = base64.StdEncoding.EncodeToString(a.BinaryValue)
			}
			b.WriteString("\n    ")
			b.Write(jsonString(a.Name))
			b.WriteString(` : {"Type":`)
			b.Write(jsonString(a.DataType))
			b.WriteString(`,"Value":`)
			b.Write(jsonString(v))
			b.WriteByte('}')
		}
		b.WriteString("\n  }")
	}
	b.WriteString("\n}")
	return b.String()
}

// jsonString encodes s as a JSON string without HTML escaping, as AWS
// writes them.
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
