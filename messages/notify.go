package messages

import (
	"fmt"
	"strings"
)

// Limits of a notify.email payload.
const (
	maxSubjectLen  = 998 // RFC 5322's line limit
	maxAttachments = 10
)

// NotifyEmail is the payload of a [TypeNotifyEmail] job: render Template
// with TemplateData and send it through SES to each of Recipients, at most
// once per (job, recipient), with the blobs at Attachments attached.
type NotifyEmail struct {
	// Recipients are 1 to 50 distinct bare addresses ("jane@example.org").
	// Each gets its own message. Required.
	Recipients []string `json:"recipients"`
	// Template is the template name: 1 to 64 of [A-Za-z0-9_-]. Required.
	Template string `json:"template"`
	// TemplateData are the values the template renders.
	TemplateData map[string]any `json:"template_data,omitempty"`
	// Attachments are blob-store keys of files to attach (up to 10).
	Attachments []string `json:"attachments,omitempty"`
	// Subject overrides the template's subject: up to 998 bytes, one line.
	Subject string `json:"subject,omitempty"`
}

// Validate checks the payload and returns a [*ValidationError] naming the
// first bad field ("payload.recipients[1]").
func (p NotifyEmail) Validate() error {
	if err := checkRecipients("payload.recipients", p.Recipients); err != nil {
		return err
	}
	if err := checkTemplate("payload.template", p.Template); err != nil {
		return err
	}
	if len(p.Attachments) > maxAttachments {
		return &ValidationError{Field: "payload.attachments", Reason: fmt.Sprintf("%d attachments, over the limit of %d", len(p.Attachments), maxAttachments)}
	}
	for i, key := range p.Attachments {
		if err := checkBlobKey(fmt.Sprintf("payload.attachments[%d]", i), key); err != nil {
			return err
		}
	}
	if strings.ContainsAny(p.Subject, "\r\n") {
		return &ValidationError{Field: "payload.subject", Reason: "must be one line"}
	}
	return checkText("payload.subject", p.Subject, maxSubjectLen, false)
}
