package ses

import (
	"encoding/json"
	"maps"
	"strings"
	"time"
)

// eventSubject is the SNS Subject of every event SES publishes.
const eventSubject = "Amazon SES Email Event Notification"

// maxHeaderBytes is how much of a message's headers event records carry;
// past it SES sets headersTruncated.
const maxHeaderBytes = 10 << 10

// Values the emulator reports for the parts of delivery it does not do.
const (
	outgoingIP           = "127.0.0.1"
	deliverySMTPResponse = "250 2.6.0 Message received"
	deliveryReportingMTA = "a8-70.smtp-out.amazonses.com"
)

// plannedEvent is one event a message will produce. Its timestamps are set
// when it is published.
type plannedEvent struct {
	matching  string   // MatchingEventTypes value: SEND, DELIVERY, BOUNCE ...
	delivered []string // DELIVERY: recipients
	bounce    *bounceSpec
	complaint *complaintSpec
	failure   *failureObject
}

type bounceSpec struct {
	bounceType, subType string
	recipients          []bouncedRecipient
	feedbackID          string
	reportingMTA        string
}

type complaintSpec struct {
	recipients   []string
	feedbackType string
	userAgent    string
	feedbackID   string
}

// eventRecord is an event-publishing record (§4.6 of the reference): the
// "eventType" discriminator, the "mail" object and one event object.
type eventRecord struct {
	EventType string           `json:"eventType"`
	Mail      eventMail        `json:"mail"`
	Send      *struct{}        `json:"send,omitempty"`
	Delivery  *deliveryObject  `json:"delivery,omitempty"`
	Bounce    *bounceObject    `json:"bounce,omitempty"`
	Complaint *complaintObject `json:"complaint,omitempty"`
	Failure   *failureObject   `json:"failure,omitempty"`
}

type eventMail struct {
	Timestamp        string              `json:"timestamp"`
	Source           string              `json:"source"`
	SourceArn        string              `json:"sourceArn"`
	SendingAccountID string              `json:"sendingAccountId"`
	MessageID        string              `json:"messageId"`
	Destination      []string            `json:"destination"`
	HeadersTruncated bool                `json:"headersTruncated"`
	Headers          []mailHeader        `json:"headers,omitempty"`
	CommonHeaders    *commonHeaders      `json:"commonHeaders,omitempty"`
	Tags             map[string][]string `json:"tags"`
}

type mailHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type commonHeaders struct {
	From       []string `json:"from,omitempty"`
	ReplyTo    []string `json:"replyTo,omitempty"`
	To         []string `json:"to,omitempty"`
	Cc         []string `json:"cc,omitempty"`
	Bcc        []string `json:"bcc,omitempty"`
	ReturnPath string   `json:"returnPath,omitempty"`
	Date       string   `json:"date,omitempty"`
	MessageID  string   `json:"messageId"`
	Subject    string   `json:"subject"`
}

type deliveryObject struct {
	Timestamp            string   `json:"timestamp"`
	ProcessingTimeMillis int64    `json:"processingTimeMillis"`
	Recipients           []string `json:"recipients"`
	SMTPResponse         string   `json:"smtpResponse"`
	ReportingMTA         string   `json:"reportingMTA"`
}

type bounceObject struct {
	BounceType        string             `json:"bounceType"`
	BounceSubType     string             `json:"bounceSubType"`
	BouncedRecipients []bouncedRecipient `json:"bouncedRecipients"`
	Timestamp         string             `json:"timestamp"`
	FeedbackID        string             `json:"feedbackId"`
	ReportingMTA      string             `json:"reportingMTA,omitempty"`
}

// bouncedRecipient carries action, status and diagnosticCode only when
// there is a DSN to take them from.
type bouncedRecipient struct {
	EmailAddress   string `json:"emailAddress"`
	Action         string `json:"action,omitempty"`
	Status         string `json:"status,omitempty"`
	DiagnosticCode string `json:"diagnosticCode,omitempty"`
}

type complaintObject struct {
	ComplainedRecipients  []complainedRecipient `json:"complainedRecipients"`
	Timestamp             string                `json:"timestamp"`
	FeedbackID            string                `json:"feedbackId"`
	ComplaintSubType      *string               `json:"complaintSubType"` // null unless OnAccountSuppressionList
	UserAgent             string                `json:"userAgent,omitempty"`
	ComplaintFeedbackType string                `json:"complaintFeedbackType,omitempty"`
	ArrivalDate           string                `json:"arrivalDate,omitempty"`
}

type complainedRecipient struct {
	EmailAddress string `json:"emailAddress"`
}

type failureObject struct {
	ErrorMessage string `json:"errorMessage"`
	TemplateName string `json:"templateName"`
}

// isoMillis formats a time as SES does in records: ISO-8601, UTC, ms, Z.
func isoMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// eventMailFor builds the "mail" object of a message's records from its
// mailbox record and top-level headers.
func (s *Service) eventMailFor(rec *mailRecord, headers []header) eventMail {
	m := eventMail{
		Timestamp: isoMillis(rec.Timestamp), Source: rec.From, SourceArn: rec.SourceArn,
		SendingAccountID: s.cfg.AccountID, MessageID: rec.MessageID, Destination: rec.destination(),
	}
	size := 0
	for _, h := range headers {
		size += len(h.Name) + len(h.Value)
		if size > maxHeaderBytes {
			m.HeadersTruncated = true
			break
		}
		m.Headers = append(m.Headers, mailHeader{Name: h.Name, Value: h.Value})
	}
	if len(headers) > 0 {
		m.CommonHeaders = commonHeadersOf(headers, rec.MessageID)
	}
	fromDomain := ""
	if a, err := parseAddress(rec.From); err == nil {
		fromDomain = a.domain()
	}
	m.Tags = map[string][]string{
		"ses:operation":       {"SendEmail"},
		"ses:source-ip":       {rec.SourceIP},
		"ses:from-domain":     {fromDomain},
		"ses:caller-identity": {rec.CallerIdentity},
	}
	if rec.ConfigurationSet != "" {
		m.Tags["ses:configuration-set"] = []string{rec.ConfigurationSet}
	}
	for k, v := range rec.Tags {
		m.Tags[k] = []string{v}
	}
	return m
}

// commonHeadersOf picks the common headers out of a message's headers.
// Addresses are listed as people read them (decoded names).
func commonHeadersOf(headers []header, messageID string) *commonHeaders {
	ch := &commonHeaders{MessageID: messageID}
	for _, h := range headers {
		switch strings.ToLower(h.Name) {
		case "from":
			ch.From = displayList(h.Value)
		case "reply-to":
			ch.ReplyTo = displayList(h.Value)
		case "to":
			ch.To = displayList(h.Value)
		case "cc":
			ch.Cc = displayList(h.Value)
		case "bcc":
			ch.Bcc = displayList(h.Value)
		case "return-path":
			ch.ReturnPath = strings.Trim(h.Value, "<> ")
		case "date":
			ch.Date = h.Value
		case "subject":
			ch.Subject = decodeHeaderText(h.Value)
		}
	}
	return ch
}

func displayList(v string) []string {
	list, err := parseAddressList(v)
	if err != nil {
		return []string{decodeHeaderText(v)}
	}
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.display()
	}
	return out
}

// record builds the JSON record of one event, published at now.
func (ev *plannedEvent) record(base eventMail, sent, now time.Time) eventRecord {
	name, _ := eventTypeName(ev.matching)
	r := eventRecord{EventType: name, Mail: base}
	ts := isoMillis(now)
	switch {
	case ev.bounce != nil:
		b := ev.bounce
		r.Bounce = &bounceObject{
			BounceType: b.bounceType, BounceSubType: b.subType, BouncedRecipients: b.recipients,
			Timestamp: ts, FeedbackID: b.feedbackID, ReportingMTA: b.reportingMTA,
		}
	case ev.complaint != nil:
		c := ev.complaint
		co := &complaintObject{
			Timestamp: ts, FeedbackID: c.feedbackID, UserAgent: c.userAgent,
			ComplaintFeedbackType: c.feedbackType, ArrivalDate: ts,
		}
		for _, addr := range c.recipients {
			co.ComplainedRecipients = append(co.ComplainedRecipients, complainedRecipient{EmailAddress: addr})
		}
		r.Complaint = co
	case ev.failure != nil:
		r.Failure = ev.failure
	case ev.matching == "DELIVERY":
		r.Mail.Tags = maps.Clone(base.Tags)
		r.Mail.Tags["ses:outgoing-ip"] = []string{outgoingIP}
		r.Delivery = &deliveryObject{
			Timestamp: ts, ProcessingTimeMillis: max(0, now.Sub(sent).Milliseconds()),
			Recipients: ev.delivered, SMTPResponse: deliverySMTPResponse, ReportingMTA: deliveryReportingMTA,
		}
	default:
		r.Send = &struct{}{}
	}
	return r
}

// dispatch publishes a message's events to the SNS destinations that match
// them, in a goroutine of its own so that the send answers at once. Close
// stops it and waits for it. A failed publish is logged; the send stands.
func (s *Service) dispatch(dests []eventDestination, rec *mailRecord, events []plannedEvent) {
	if s.cfg.Topics == nil || !anyMatch(dests, events) {
		return
	}
	base := s.eventMailFor(rec, s.mail.headersOf(rec))
	sent := rec.Timestamp
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.log.Warn("ses: service closed, events not published", "messageId", rec.MessageID)
		return
	}
	s.events.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.events.Done()
		for i := range events {
			ev := &events[i]
			var topics []eventDestination
			for _, d := range dests {
				if d.matches(ev.matching) {
					topics = append(topics, d)
				}
			}
			if len(topics) == 0 {
				continue
			}
			if s.stop.Err() != nil {
				return
			}
			body, err := json.Marshal(ev.record(base, sent, s.now()))
			if err != nil {
				s.log.Error("ses: encoding event record", "messageId", base.MessageID, "err", err)
				continue
			}
			for _, d := range topics {
				if err := s.cfg.Topics.PublishToTopic(s.stop, d.SnsDestination.TopicArn, eventSubject, string(body)); err != nil {
					s.log.Error("ses: publishing event", "messageId", base.MessageID, "eventType", ev.matching,
						"destination", d.Name, "topic", d.SnsDestination.TopicArn, "err", err)
				}
			}
		}
	}()
}

func anyMatch(dests []eventDestination, events []plannedEvent) bool {
	for _, d := range dests {
		for _, ev := range events {
			if d.matches(ev.matching) {
				return true
			}
		}
	}
	return false
}
