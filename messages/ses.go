package messages

import (
	"encoding/base64"
	"time"
)

// SESKind is what an SES event reports. Both notification formats map onto
// the same kinds; "Rendering Failure" (with its space) becomes
// [SESRenderingFailure].
type SESKind string

// SES event kinds.
const (
	SESSend             SESKind = "Send"
	SESDelivery         SESKind = "Delivery"
	SESBounce           SESKind = "Bounce"
	SESComplaint        SESKind = "Complaint"
	SESReject           SESKind = "Reject"
	SESDeliveryDelay    SESKind = "DeliveryDelay"
	SESRenderingFailure SESKind = "RenderingFailure"
	SESOpen             SESKind = "Open"
	SESClick            SESKind = "Click"
	SESSubscription     SESKind = "Subscription"
)

// Known reports whether the kind is one Quarry knows. Events of other
// kinds (an eventType SES added later) decode with their mail and no
// details.
func (k SESKind) Known() bool {
	switch k {
	case SESSend, SESDelivery, SESBounce, SESComplaint, SESReject, SESDeliveryDelay,
		SESRenderingFailure, SESOpen, SESClick, SESSubscription:
		return true
	}
	return false
}

// SESFormat says which of SES's two notification formats an event came in.
type SESFormat string

// SES notification formats (aws-semantics §4.6).
const (
	// SESEventPublishing is a configuration set's event destination: the
	// document names its kind in "eventType", and mail carries tags.
	SESEventPublishing SESFormat = "eventType"
	// SESIdentityNotification is an identity's notification topic: the
	// document names its kind in "notificationType" (Bounce, Complaint or
	// Delivery only), and mail carries sourceIp and callerIdentity.
	SESIdentityNotification SESFormat = "notificationType"
)

// Bounce types. Permanent bounces mean "stop sending to this address";
// Transient and Undetermined ones do not.
const (
	BouncePermanent    = "Permanent"
	BounceTransient    = "Transient"
	BounceUndetermined = "Undetermined"
)

// SESEvent is one SES notification, in either format, normalised. Kind
// says which of the detail pointers is set: Bounce for [SESBounce],
// Complaint for [SESComplaint], and so on; Send and Subscription events have
// no details.
type SESEvent struct {
	Kind   SESKind   `json:"kind"`
	Format SESFormat `json:"format"`
	// Timestamp is when the event happened: the detail object's timestamp,
	// or the mail's when the detail has none (Send, Reject, Rendering
	// Failure).
	Timestamp time.Time `json:"timestamp"`
	Mail      SESMail   `json:"mail"`

	Bounce           *SESBounceDetail    `json:"bounce,omitempty"`
	Complaint        *SESComplaintDetail `json:"complaint,omitempty"`
	Delivery         *SESDeliveryDetail  `json:"delivery,omitempty"`
	DeliveryDelay    *SESDelayDetail     `json:"delivery_delay,omitempty"`
	Reject           *SESRejectDetail    `json:"reject,omitempty"`
	RenderingFailure *SESFailureDetail   `json:"rendering_failure,omitempty"`
	Open             *SESOpenDetail      `json:"open,omitempty"`
	Click            *SESClickDetail     `json:"click,omitempty"`
}

// SESMail describes the message an event is about.
type SESMail struct {
	// MessageID is SES's message id, as SendEmail returned it. Always set.
	MessageID string `json:"message_id"`
	// Timestamp is when SES accepted the message.
	Timestamp time.Time `json:"timestamp"`
	// Source is the envelope sender.
	Source           string `json:"source,omitempty"`
	SourceARN        string `json:"source_arn,omitempty"`
	SendingAccountID string `json:"sending_account_id,omitempty"`
	// Destination lists every envelope recipient of the message, not only
	// those the event concerns; see [SESEvent.Recipients].
	Destination []string `json:"destination"`
	// Subject is the message's subject, when SES included the headers.
	Subject string `json:"subject,omitempty"`
	// Tags are the message tags (event publishing only), including SES's own
	// ("ses:configuration-set") and those SendEmail set.
	Tags map[string][]string `json:"tags,omitempty"`
	// SourceIP and CallerIdentity are set by identity notifications only.
	SourceIP       string `json:"source_ip,omitempty"`
	CallerIdentity string `json:"caller_identity,omitempty"`
}

// SESRecipient is one recipient of a bounce or a delivery delay, with the
// DSN fields when the remote server sent one.
type SESRecipient struct {
	Email          string `json:"email"`
	Action         string `json:"action,omitempty"`
	Status         string `json:"status,omitempty"`
	DiagnosticCode string `json:"diagnostic_code,omitempty"`
}

// SESBounceDetail describes a bounce.
type SESBounceDetail struct {
	// Type is [BouncePermanent], [BounceTransient] or [BounceUndetermined].
	Type string `json:"type"`
	// SubType refines it: General, NoEmail, Suppressed,
	// OnAccountSuppressionList (permanent); MailboxFull, MessageTooLarge,
	// ContentRejected, AttachmentRejected (transient).
	SubType      string         `json:"sub_type,omitempty"`
	Recipients   []SESRecipient `json:"recipients"`
	FeedbackID   string         `json:"feedback_id,omitempty"`
	ReportingMTA string         `json:"reporting_mta,omitempty"`
	RemoteMTAIP  string         `json:"remote_mta_ip,omitempty"`
	Timestamp    time.Time      `json:"timestamp"`
}

// Permanent reports whether the bounce is hard: the address should not be
// mailed again.
func (b *SESBounceDetail) Permanent() bool { return b.Type == BouncePermanent }

// SESComplaintDetail describes a complaint (a recipient marked the message
// as spam).
type SESComplaintDetail struct {
	Recipients []string `json:"recipients"`
	FeedbackID string   `json:"feedback_id,omitempty"`
	// FeedbackType is the ARF feedback type when a report exists: abuse,
	// auth-failure, fraud, not-spam, other, virus.
	FeedbackType string `json:"feedback_type,omitempty"`
	// SubType is empty or OnAccountSuppressionList.
	SubType     string    `json:"sub_type,omitempty"`
	UserAgent   string    `json:"user_agent,omitempty"`
	ArrivalDate time.Time `json:"arrival_date,omitzero"`
	Timestamp   time.Time `json:"timestamp"`
}

// SESDeliveryDetail describes a successful delivery to the recipients'
// mail servers.
type SESDeliveryDetail struct {
	Recipients     []string      `json:"recipients"`
	SMTPResponse   string        `json:"smtp_response,omitempty"`
	ReportingMTA   string        `json:"reporting_mta,omitempty"`
	RemoteMTAIP    string        `json:"remote_mta_ip,omitempty"`
	ProcessingTime time.Duration `json:"processing_time_ns"`
	Timestamp      time.Time     `json:"timestamp"`
}

// SESDelayDetail describes a delivery SES is still retrying.
type SESDelayDetail struct {
	DelayType      string         `json:"delay_type,omitempty"`
	ExpirationTime time.Time      `json:"expiration_time,omitzero"`
	Recipients     []SESRecipient `json:"recipients"`
	ReportingMTA   string         `json:"reporting_mta,omitempty"`
	Timestamp      time.Time      `json:"timestamp"`
}

// SESRejectDetail says why SES refused to send (a virus, say).
type SESRejectDetail struct {
	Reason string `json:"reason"`
}

// SESFailureDetail says why a template did not render.
type SESFailureDetail struct {
	ErrorMessage string `json:"error_message"`
	TemplateName string `json:"template_name,omitempty"`
}

// SESOpenDetail describes an open (tracking pixel loaded).
type SESOpenDetail struct {
	IPAddress string    `json:"ip_address,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
	Timestamp time.Time `json:"timestamp"`
}

// SESClickDetail describes a click on a tracked link.
type SESClickDetail struct {
	IPAddress string              `json:"ip_address,omitempty"`
	UserAgent string              `json:"user_agent,omitempty"`
	Link      string              `json:"link,omitempty"`
	LinkTags  map[string][]string `json:"link_tags,omitempty"`
	Timestamp time.Time           `json:"timestamp"`
}

// Recipients returns the addresses the event concerns: the bounced,
// complained, delivered or delayed recipients, and for other kinds every
// destination of the mail.
func (e *SESEvent) Recipients() []string {
	switch {
	case e.Bounce != nil:
		return emails(e.Bounce.Recipients)
	case e.Complaint != nil:
		return e.Complaint.Recipients
	case e.Delivery != nil:
		return e.Delivery.Recipients
	case e.DeliveryDelay != nil:
		return emails(e.DeliveryDelay.Recipients)
	default:
		return e.Mail.Destination
	}
}

func emails(rs []SESRecipient) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Email
	}
	return out
}

// Tags that a Quarry send carries so that SES's events for the message
// name the once-only effect the send performed (see package idempotency):
// the job's idempotency key and the attempt's token.
const (
	// TagEffectJob holds the job's idempotency key, base64url without
	// padding (tag values allow only letters, digits, '_' and '-').
	TagEffectJob = "quarry_effect_job"
	// TagEffectAttempt holds the attempt's token, already tag-safe.
	TagEffectAttempt = "quarry_effect_attempt"
)

// EffectTag encodes an idempotency key as a TagEffectJob value.
func EffectTag(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// EffectOf returns the idempotency key and attempt token an event's
// effect tags name; ok is false when the event carries none (or a
// malformed one).
func (m SESMail) EffectOf() (key, attempt string, ok bool) {
	j, a := m.Tags[TagEffectJob], m.Tags[TagEffectAttempt]
	if len(j) == 0 || len(a) == 0 || a[0] == "" {
		return "", "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(j[0])
	if err != nil || len(b) == 0 {
		return "", "", false
	}
	return string(b), a[0], true
}
