package messages

import (
	"encoding/json"
	"fmt"
	"time"
)

// Wire forms of SES notifications (aws-semantics §4.6). Only the fields
// Quarry uses are listed; the rest are ignored, since SES adds fields over
// time.
type (
	sesWire struct {
		EventType        *string           `json:"eventType"`
		NotificationType *string           `json:"notificationType"`
		Mail             *sesMailWire      `json:"mail"`
		Bounce           *sesBounceWire    `json:"bounce"`
		Complaint        *sesComplaintWire `json:"complaint"`
		Delivery         *sesDeliveryWire  `json:"delivery"`
		DeliveryDelay    *sesDelayWire     `json:"deliveryDelay"`
		Reject           *SESRejectDetail  `json:"reject"`
		Failure          *sesFailureWire   `json:"failure"`
		Open             *sesOpenWire      `json:"open"`
		Click            *sesClickWire     `json:"click"`
		Subscription     *sesTimestampWire `json:"subscription"`
	}
	sesMailWire struct {
		Timestamp        string              `json:"timestamp"`
		MessageID        string              `json:"messageId"`
		Source           string              `json:"source"`
		SourceARN        string              `json:"sourceArn"`
		SourceIP         string              `json:"sourceIp"`
		CallerIdentity   string              `json:"callerIdentity"`
		SendingAccountID string              `json:"sendingAccountId"`
		Destination      []string            `json:"destination"`
		Tags             map[string][]string `json:"tags"`
		CommonHeaders    struct {
			Subject string `json:"subject"`
		} `json:"commonHeaders"`
	}
	sesRecipientWire struct {
		EmailAddress   string `json:"emailAddress"`
		Action         string `json:"action"`
		Status         string `json:"status"`
		DiagnosticCode string `json:"diagnosticCode"`
	}
	sesBounceWire struct {
		BounceType        string             `json:"bounceType"`
		BounceSubType     string             `json:"bounceSubType"`
		BouncedRecipients []sesRecipientWire `json:"bouncedRecipients"`
		Timestamp         string             `json:"timestamp"`
		FeedbackID        string             `json:"feedbackId"`
		ReportingMTA      string             `json:"reportingMTA"`
		RemoteMTAIP       string             `json:"remoteMtaIp"`
	}
	sesComplaintWire struct {
		ComplainedRecipients  []sesRecipientWire `json:"complainedRecipients"`
		Timestamp             string             `json:"timestamp"`
		FeedbackID            string             `json:"feedbackId"`
		ComplaintSubType      *string            `json:"complaintSubType"`
		UserAgent             string             `json:"userAgent"`
		ComplaintFeedbackType string             `json:"complaintFeedbackType"`
		ArrivalDate           string             `json:"arrivalDate"`
	}
	sesDeliveryWire struct {
		Timestamp            string   `json:"timestamp"`
		ProcessingTimeMillis int64    `json:"processingTimeMillis"`
		Recipients           []string `json:"recipients"`
		SMTPResponse         string   `json:"smtpResponse"`
		ReportingMTA         string   `json:"reportingMTA"`
		RemoteMTAIP          string   `json:"remoteMtaIp"`
	}
	sesDelayWire struct {
		DelayType         string             `json:"delayType"`
		ExpirationTime    string             `json:"expirationTime"`
		DelayedRecipients []sesRecipientWire `json:"delayedRecipients"`
		ReportingMTA      string             `json:"reportingMTA"`
		Timestamp         string             `json:"timestamp"`
	}
	sesFailureWire struct {
		ErrorMessage string `json:"errorMessage"`
		TemplateName string `json:"templateName"`
	}
	sesOpenWire struct {
		IPAddress string `json:"ipAddress"`
		UserAgent string `json:"userAgent"`
		Timestamp string `json:"timestamp"`
	}
	sesClickWire struct {
		IPAddress string              `json:"ipAddress"`
		UserAgent string              `json:"userAgent"`
		Link      string              `json:"link"`
		LinkTags  map[string][]string `json:"linkTags"`
		Timestamp string              `json:"timestamp"`
	}
	sesTimestampWire struct {
		Timestamp string `json:"timestamp"`
	}
)

// sesKinds maps eventType values onto kinds. notificationType allows only
// Bounce, Complaint and Delivery. An eventType SES adds later becomes a kind
// of its own name without details (see [SESKind.Known]), so a consumer can
// acknowledge and count it instead of failing on it.
func sesKind(format SESFormat, s string) (SESKind, bool) {
	switch s {
	case "Bounce", "Complaint", "Delivery":
		return SESKind(s), true
	}
	if format == SESIdentityNotification {
		return "", false
	}
	switch s {
	case "Send", "Reject", "DeliveryDelay", "Open", "Click", "Subscription":
		return SESKind(s), true
	case "Rendering Failure":
		return SESRenderingFailure, true
	}
	if checkKey("ses.eventType", s, 64, true) != nil {
		return "", false
	}
	return SESKind(s), true
}

// DecodeSESEvent decodes one SES notification in either format: event
// publishing ("eventType") or identity notifications ("notificationType").
// Unknown fields are ignored. What Quarry relies on is required: a known
// kind, mail.messageId, and for bounces, complaints and deliveries their
// detail object with at least one recipient (and a bounce type). Timestamps
// must be RFC 3339 when present. Errors are [*ValidationError]s naming the
// field ("ses.bounce.bouncedRecipients").
func DecodeSESEvent(data []byte) (SESEvent, error) {
	if err := mustBeObject("ses", data); err != nil {
		return SESEvent{}, err
	}
	var w sesWire
	if err := json.Unmarshal(data, &w); err != nil {
		return SESEvent{}, jsonError("ses", err)
	}
	var e SESEvent
	var name string
	switch {
	case w.EventType != nil && w.NotificationType != nil:
		return SESEvent{}, &ValidationError{Field: "ses", Reason: "has both eventType and notificationType"}
	case w.EventType != nil:
		e.Format, name = SESEventPublishing, *w.EventType
	case w.NotificationType != nil:
		e.Format, name = SESIdentityNotification, *w.NotificationType
	default:
		return SESEvent{}, &ValidationError{Field: "ses", Reason: "neither eventType nor notificationType: not an SES notification"}
	}
	kind, ok := sesKind(e.Format, name)
	if !ok {
		return SESEvent{}, &ValidationError{Field: "ses." + string(e.Format), Reason: fmt.Sprintf("unknown %s %q", e.Format, clip(name))}
	}
	e.Kind = kind
	var err error
	if e.Mail, err = w.Mail.decode(); err != nil {
		return SESEvent{}, err
	}
	if err := w.decodeDetail(&e); err != nil {
		return SESEvent{}, err
	}
	if e.Timestamp.IsZero() {
		e.Timestamp = e.Mail.Timestamp
	}
	return e, nil
}

func (m *sesMailWire) decode() (SESMail, error) {
	if m == nil {
		return SESMail{}, &ValidationError{Field: "ses.mail", Reason: "required"}
	}
	if m.MessageID == "" {
		return SESMail{}, &ValidationError{Field: "ses.mail.messageId", Reason: "required"}
	}
	ts, err := parseTime("ses.mail.timestamp", m.Timestamp)
	if err != nil {
		return SESMail{}, err
	}
	return SESMail{
		MessageID:        m.MessageID,
		Timestamp:        ts,
		Source:           m.Source,
		SourceARN:        m.SourceARN,
		SendingAccountID: m.SendingAccountID,
		Destination:      m.Destination,
		Subject:          m.CommonHeaders.Subject,
		Tags:             m.Tags,
		SourceIP:         m.SourceIP,
		CallerIdentity:   m.CallerIdentity,
	}, nil
}

// decodeDetail fills the detail object of e.Kind and e.Timestamp from it.
func (w *sesWire) decodeDetail(e *SESEvent) error {
	var err error
	switch e.Kind {
	case SESBounce:
		e.Bounce, err = w.Bounce.decode()
		if e.Bounce != nil {
			e.Timestamp = e.Bounce.Timestamp
		}
	case SESComplaint:
		e.Complaint, err = w.Complaint.decode()
		if e.Complaint != nil {
			e.Timestamp = e.Complaint.Timestamp
		}
	case SESDelivery:
		e.Delivery, err = w.Delivery.decode()
		if e.Delivery != nil {
			e.Timestamp = e.Delivery.Timestamp
		}
	case SESDeliveryDelay:
		e.DeliveryDelay, err = w.DeliveryDelay.decode()
		if e.DeliveryDelay != nil {
			e.Timestamp = e.DeliveryDelay.Timestamp
		}
	case SESReject:
		if w.Reject != nil {
			e.Reject = w.Reject
		} else {
			e.Reject = &SESRejectDetail{}
		}
	case SESRenderingFailure:
		e.RenderingFailure = &SESFailureDetail{}
		if w.Failure != nil {
			e.RenderingFailure.ErrorMessage, e.RenderingFailure.TemplateName = w.Failure.ErrorMessage, w.Failure.TemplateName
		}
	case SESOpen:
		e.Open = &SESOpenDetail{}
		if w.Open != nil {
			e.Open.IPAddress, e.Open.UserAgent = w.Open.IPAddress, w.Open.UserAgent
			e.Open.Timestamp, err = parseTime("ses.open.timestamp", w.Open.Timestamp)
			e.Timestamp = e.Open.Timestamp
		}
	case SESClick:
		e.Click = &SESClickDetail{}
		if w.Click != nil {
			e.Click.IPAddress, e.Click.UserAgent, e.Click.Link, e.Click.LinkTags = w.Click.IPAddress, w.Click.UserAgent, w.Click.Link, w.Click.LinkTags
			e.Click.Timestamp, err = parseTime("ses.click.timestamp", w.Click.Timestamp)
			e.Timestamp = e.Click.Timestamp
		}
	case SESSubscription:
		if w.Subscription != nil {
			e.Timestamp, err = parseTime("ses.subscription.timestamp", w.Subscription.Timestamp)
		}
	}
	return err
}

func (b *sesBounceWire) decode() (*SESBounceDetail, error) {
	if b == nil {
		return nil, &ValidationError{Field: "ses.bounce", Reason: "required for a Bounce"}
	}
	if b.BounceType == "" {
		return nil, &ValidationError{Field: "ses.bounce.bounceType", Reason: "required"}
	}
	rs, err := recipients("ses.bounce.bouncedRecipients", b.BouncedRecipients, true)
	if err != nil {
		return nil, err
	}
	ts, err := parseTime("ses.bounce.timestamp", b.Timestamp)
	if err != nil {
		return nil, err
	}
	return &SESBounceDetail{
		Type: b.BounceType, SubType: b.BounceSubType, Recipients: rs, FeedbackID: b.FeedbackID,
		ReportingMTA: b.ReportingMTA, RemoteMTAIP: b.RemoteMTAIP, Timestamp: ts,
	}, nil
}

func (c *sesComplaintWire) decode() (*SESComplaintDetail, error) {
	if c == nil {
		return nil, &ValidationError{Field: "ses.complaint", Reason: "required for a Complaint"}
	}
	rs, err := recipients("ses.complaint.complainedRecipients", c.ComplainedRecipients, true)
	if err != nil {
		return nil, err
	}
	ts, err := parseTime("ses.complaint.timestamp", c.Timestamp)
	if err != nil {
		return nil, err
	}
	arrival, err := parseTime("ses.complaint.arrivalDate", c.ArrivalDate)
	if err != nil {
		return nil, err
	}
	d := &SESComplaintDetail{
		Recipients: emails(rs), FeedbackID: c.FeedbackID, FeedbackType: c.ComplaintFeedbackType,
		UserAgent: c.UserAgent, ArrivalDate: arrival, Timestamp: ts,
	}
	if c.ComplaintSubType != nil {
		d.SubType = *c.ComplaintSubType
	}
	return d, nil
}

func (d *sesDeliveryWire) decode() (*SESDeliveryDetail, error) {
	if d == nil {
		return nil, &ValidationError{Field: "ses.delivery", Reason: "required for a Delivery"}
	}
	if len(d.Recipients) == 0 {
		return nil, &ValidationError{Field: "ses.delivery.recipients", Reason: "at least one recipient required"}
	}
	for i, r := range d.Recipients {
		if r == "" {
			return nil, &ValidationError{Field: fmt.Sprintf("ses.delivery.recipients[%d]", i), Reason: "empty"}
		}
	}
	ts, err := parseTime("ses.delivery.timestamp", d.Timestamp)
	if err != nil {
		return nil, err
	}
	return &SESDeliveryDetail{
		Recipients: d.Recipients, SMTPResponse: d.SMTPResponse, ReportingMTA: d.ReportingMTA,
		RemoteMTAIP: d.RemoteMTAIP, ProcessingTime: millis(d.ProcessingTimeMillis), Timestamp: ts,
	}, nil
}

func (d *sesDelayWire) decode() (*SESDelayDetail, error) {
	if d == nil {
		return nil, &ValidationError{Field: "ses.deliveryDelay", Reason: "required for a DeliveryDelay"}
	}
	rs, err := recipients("ses.deliveryDelay.delayedRecipients", d.DelayedRecipients, false)
	if err != nil {
		return nil, err
	}
	ts, err := parseTime("ses.deliveryDelay.timestamp", d.Timestamp)
	if err != nil {
		return nil, err
	}
	exp, err := parseTime("ses.deliveryDelay.expirationTime", d.ExpirationTime)
	if err != nil {
		return nil, err
	}
	return &SESDelayDetail{DelayType: d.DelayType, ExpirationTime: exp, Recipients: rs, ReportingMTA: d.ReportingMTA, Timestamp: ts}, nil
}

// recipients converts recipient objects, requiring an emailAddress in each
// and, when required, at least one recipient.
func recipients(field string, ws []sesRecipientWire, required bool) ([]SESRecipient, error) {
	if required && len(ws) == 0 {
		return nil, &ValidationError{Field: field, Reason: "at least one recipient required"}
	}
	out := make([]SESRecipient, len(ws))
	for i, r := range ws {
		if r.EmailAddress == "" {
			return nil, &ValidationError{Field: fmt.Sprintf("%s[%d].emailAddress", field, i), Reason: "required"}
		}
		out[i] = SESRecipient{Email: r.EmailAddress, Action: r.Action, Status: r.Status, DiagnosticCode: r.DiagnosticCode}
	}
	return out, nil
}

// millis converts milliseconds to a Duration, clamped to what one can hold.
func millis(ms int64) time.Duration {
	const maxMS = int64(1<<63-1) / int64(time.Millisecond)
	return time.Duration(min(max(ms, 0), maxMS)) * time.Millisecond
}
