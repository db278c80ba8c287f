package ses

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func jsonValue(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func parseJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("example JSON: %v", err)
	}
	return out
}

func compareJSON(t *testing.T, got any, want map[string]any) {
	t.Helper()
	if !reflect.DeepEqual(got, any(want)) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("record differs from the reference example\ngot:\n%s\nwant:\n%s", g, w)
	}
}

// Example 2 of §4.6: event publishing, Bounce Transient/MailboxFull.
const exampleBounce = `{
  "eventType": "Bounce",
  "bounce": {
    "bounceType": "Transient",
    "bounceSubType": "MailboxFull",
    "bouncedRecipients": [
      {"emailAddress": "full@example.net", "action": "failed", "status": "5.2.2",
       "diagnosticCode": "smtp; 552 5.2.2 The recipient's mailbox is full"}
    ],
    "timestamp": "2025-06-01T12:05:44.108Z",
    "feedbackId": "0100018fc2d7e9f0-5b2c7a41-0d6e-4f39-b8a1-3c9e2d7f6b44-000000",
    "reportingMTA": "dsn; a8-70.smtp-out.us-east-1.amazonses.com"
  },
  "mail": {
    "timestamp": "2025-06-01T12:05:40.517Z",
    "source": "reports@example.com",
    "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com",
    "sendingAccountId": "123456789012",
    "messageId": "0100018fc2d7d1e2-1f4b8c6a-6e2d-4a7b-9c3f-8a1d0b5e7c33-000000",
    "destination": ["full@example.net"],
    "headersTruncated": false,
    "headers": [
      {"name": "From", "value": "reports@example.com"},
      {"name": "To", "value": "full@example.net"},
      {"name": "Subject", "value": "Your tables are ready"}
    ],
    "commonHeaders": {
      "from": ["reports@example.com"],
      "to": ["full@example.net"],
      "messageId": "0100018fc2d7d1e2-1f4b8c6a-6e2d-4a7b-9c3f-8a1d0b5e7c33-000000",
      "subject": "Your tables are ready"
    },
    "tags": {
      "ses:operation": ["SendEmail"],
      "ses:configuration-set": ["workers"],
      "ses:source-ip": ["198.51.100.7"],
      "ses:from-domain": ["example.com"],
      "ses:caller-identity": ["pdf-worker-role"],
      "job": ["j-456"]
    }
  }
}`

// Example 4 of §4.6: event publishing, Delivery.
const exampleDelivery = `{
  "eventType": "Delivery",
  "mail": {
    "timestamp": "2025-06-01T12:00:01.902Z",
    "source": "reports@example.com",
    "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com",
    "sendingAccountId": "123456789012",
    "messageId": "0100018fc2d1a2b3-7e0c3b7d-3a9c-4d3b-9f2a-5b7c1e4d2a10-000000",
    "destination": ["jane@example.org"],
    "headersTruncated": false,
    "headers": [
      {"name": "From", "value": "reports@example.com"},
      {"name": "To", "value": "jane@example.org"},
      {"name": "Subject", "value": "Your tables are ready"}
    ],
    "commonHeaders": {
      "from": ["reports@example.com"],
      "to": ["jane@example.org"],
      "messageId": "0100018fc2d1a2b3-7e0c3b7d-3a9c-4d3b-9f2a-5b7c1e4d2a10-000000",
      "subject": "Your tables are ready"
    },
    "tags": {
      "ses:operation": ["SendEmail"],
      "ses:configuration-set": ["workers"],
      "ses:source-ip": ["198.51.100.7"],
      "ses:from-domain": ["example.com"],
      "ses:caller-identity": ["pdf-worker-role"],
      "ses:outgoing-ip": ["54.240.8.20"]
    }
  },
  "delivery": {
    "timestamp": "2025-06-01T12:00:02.611Z",
    "processingTimeMillis": 709,
    "recipients": ["jane@example.org"],
    "smtpResponse": "250 2.0.0 OK  1748779202 d2e1a72fcca58-7431e1f0ee4si1234567b3a.42 - gsmtp",
    "reportingMTA": "a8-77.smtp-out.amazonses.com"
  }
}`

// The complaint object of Example 3 of §4.6.
const exampleComplaint = `{
  "complainedRecipients": [{"emailAddress": "jane@example.org"}],
  "timestamp": "2025-06-01T13:10:22.000Z",
  "feedbackId": "0100018fc31a0b1c-6d3e2f10-4a5b-4c6d-8e7f-0a1b2c3d4e55-000000",
  "complaintSubType": null,
  "userAgent": "ExampleMail Feedback Loop (V0.01)",
  "complaintFeedbackType": "abuse",
  "arrivalDate": "2025-06-01T13:10:22.000Z"
}`

// exampleMail builds the service and mailbox record behind the examples.
func exampleMail(t *testing.T, messageID, sent, to string, tags map[string]string) (*Service, *mailRecord, []header) {
	t.Helper()
	svc, err := New(Config{AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	rec := &mailRecord{
		MessageID: messageID, Timestamp: mustTime(t, sent), From: "reports@example.com",
		SourceArn: "arn:aws:ses:us-east-1:123456789012:identity/example.com", To: []string{to},
		ConfigurationSet: "workers", Tags: tags, SourceIP: "198.51.100.7", CallerIdentity: "pdf-worker-role",
	}
	headers := []header{{Name: "From", Value: "reports@example.com"}, {Name: "To", Value: to}, {Name: "Subject", Value: "Your tables are ready"}}
	return svc, rec, headers
}

func TestEventRecordBounceMatchesExample(t *testing.T) {
	t.Parallel()
	svc, rec, headers := exampleMail(t, "0100018fc2d7d1e2-1f4b8c6a-6e2d-4a7b-9c3f-8a1d0b5e7c33-000000", "2025-06-01T12:05:40.517Z", "full@example.net", map[string]string{"job": "j-456"})
	ev := plannedEvent{matching: "BOUNCE", bounce: &bounceSpec{
		bounceType: "Transient", subType: "MailboxFull",
		recipients: []bouncedRecipient{{EmailAddress: "full@example.net", Action: "failed", Status: "5.2.2", DiagnosticCode: "smtp; 552 5.2.2 The recipient's mailbox is full"}},
		feedbackID: "0100018fc2d7e9f0-5b2c7a41-0d6e-4f39-b8a1-3c9e2d7f6b44-000000", reportingMTA: dsnReportingMTA("us-east-1"),
	}}
	got := ev.record(svc.eventMailFor(rec, headers), rec.Timestamp, mustTime(t, "2025-06-01T12:05:44.108Z"))
	compareJSON(t, jsonValue(t, got), parseJSON(t, exampleBounce))
}

func TestEventRecordDeliveryMatchesExample(t *testing.T) {
	t.Parallel()
	svc, rec, headers := exampleMail(t, "0100018fc2d1a2b3-7e0c3b7d-3a9c-4d3b-9f2a-5b7c1e4d2a10-000000", "2025-06-01T12:00:01.902Z", "jane@example.org", nil)
	ev := plannedEvent{matching: "DELIVERY", delivered: []string{"jane@example.org"}}
	got := ev.record(svc.eventMailFor(rec, headers), rec.Timestamp, mustTime(t, "2025-06-01T12:00:02.611Z"))
	want := parseJSON(t, exampleDelivery)
	// What a real MTA would have said is the emulator's own.
	d := want["delivery"].(map[string]any)
	d["smtpResponse"], d["reportingMTA"] = deliverySMTPResponse, deliveryReportingMTA
	want["mail"].(map[string]any)["tags"].(map[string]any)["ses:outgoing-ip"] = []any{outgoingIP}
	compareJSON(t, jsonValue(t, got), want)

	// Only Delivery records carry ses:outgoing-ip; the base is not changed.
	send := (&plannedEvent{matching: "SEND"}).record(svc.eventMailFor(rec, headers), rec.Timestamp, rec.Timestamp)
	if _, ok := send.Mail.Tags["ses:outgoing-ip"]; ok {
		t.Error("Send record carries ses:outgoing-ip")
	}
	b, _ := json.Marshal(send)
	if !strings.Contains(string(b), `"eventType":"Send"`) || !strings.Contains(string(b), `"send":{}`) {
		t.Errorf("Send record = %s", b)
	}
}

func TestEventRecordComplaintMatchesExample(t *testing.T) {
	t.Parallel()
	svc, rec, headers := exampleMail(t, "0100018fc2d1a2b3-7e0c3b7d-3a9c-4d3b-9f2a-5b7c1e4d2a10-000000", "2025-06-01T12:00:01.902Z", "jane@example.org", nil)
	ev := plannedEvent{matching: "COMPLAINT", complaint: &complaintSpec{
		recipients: []string{"jane@example.org"}, feedbackType: "abuse", userAgent: "ExampleMail Feedback Loop (V0.01)",
		feedbackID: "0100018fc31a0b1c-6d3e2f10-4a5b-4c6d-8e7f-0a1b2c3d4e55-000000",
	}}
	got := jsonValue(t, ev.record(svc.eventMailFor(rec, headers), rec.Timestamp, mustTime(t, "2025-06-01T13:10:22Z"))).(map[string]any)
	if got["eventType"] != "Complaint" {
		t.Errorf("eventType = %v", got["eventType"])
	}
	compareJSON(t, got["complaint"], parseJSON(t, exampleComplaint))
	if _, ok := got["mail"].(map[string]any)["tags"]; !ok {
		t.Error("event-publishing complaint lacks mail.tags")
	}
}

func TestEventRecordRenderingFailure(t *testing.T) {
	t.Parallel()
	svc, rec, _ := exampleMail(t, "0100018fc2d1a2b3-7e0c3b7d-3a9c-4d3b-9f2a-5b7c1e4d2a10-000000", "2025-06-01T12:00:01.902Z", "jane@example.org", nil)
	ev := plannedEvent{matching: "RENDERING_FAILURE", failure: &failureObject{ErrorMessage: "Attribute 'x' is not present in the rendering data.", TemplateName: "ready"}}
	got := jsonValue(t, ev.record(svc.eventMailFor(rec, nil), rec.Timestamp, rec.Timestamp)).(map[string]any)
	if got["eventType"] != "Rendering Failure" {
		t.Errorf("eventType = %v", got["eventType"])
	}
	compareJSON(t, got["failure"], map[string]any{"errorMessage": "Attribute 'x' is not present in the rendering data.", "templateName": "ready"})
}

func TestHeadersTruncated(t *testing.T) {
	t.Parallel()
	svc, rec, _ := exampleMail(t, "id", "2025-06-01T12:00:01.902Z", "jane@example.org", nil)
	var hs []header
	for range 30 {
		hs = append(hs, header{Name: "X-Filler", Value: strings.Repeat("x", 500)})
	}
	m := svc.eventMailFor(rec, hs)
	if !m.HeadersTruncated || len(m.Headers) >= 30 || len(m.Headers) == 0 {
		t.Errorf("truncated %v with %d headers", m.HeadersTruncated, len(m.Headers))
	}
}

// event is the part of a published record the simulator test reads.
type event struct {
	EventType string `json:"eventType"`
	Mail      struct {
		MessageID     string              `json:"messageId"`
		Timestamp     string              `json:"timestamp"`
		Destination   []string            `json:"destination"`
		Tags          map[string][]string `json:"tags"`
		CommonHeaders struct {
			Subject string   `json:"subject"`
			From    []string `json:"from"`
		} `json:"commonHeaders"`
	} `json:"mail"`
	Send     *struct{} `json:"send"`
	Delivery *struct {
		Recipients []string `json:"recipients"`
		Timestamp  string   `json:"timestamp"`
	} `json:"delivery"`
	Bounce *struct {
		BounceType        string             `json:"bounceType"`
		BounceSubType     string             `json:"bounceSubType"`
		BouncedRecipients []bouncedRecipient `json:"bouncedRecipients"`
		FeedbackID        string             `json:"feedbackId"`
		Timestamp         string             `json:"timestamp"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients  []complainedRecipient `json:"complainedRecipients"`
		ComplaintFeedbackType string                `json:"complaintFeedbackType"`
		FeedbackID            string                `json:"feedbackId"`
	} `json:"complaint"`
}

var (
	isoRe = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	idRe  = regexp.MustCompile(`^0100[0-9a-f]{12}-[0-9a-f-]{36}-000000$`)
)

// summary describes an event as "Type[/bounceType/subType]:recipients".
func (e event) summary() string {
	var rs []string
	s := e.EventType
	switch {
	case e.Delivery != nil:
		rs = e.Delivery.Recipients
	case e.Bounce != nil:
		s += "/" + e.Bounce.BounceType + "/" + e.Bounce.BounceSubType
		for _, r := range e.Bounce.BouncedRecipients {
			rs = append(rs, r.EmailAddress)
		}
	case e.Complaint != nil:
		s += "/" + e.Complaint.ComplaintFeedbackType
		for _, r := range e.Complaint.ComplainedRecipients {
			rs = append(rs, r.EmailAddress)
		}
	}
	sort.Strings(rs)
	return s + ":" + strings.Join(rs, ",")
}

func TestSimulatorEvents(t *testing.T) {
	t.Parallel()
	const topic = "arn:aws:sns:us-east-1:000000000000:ses-events"
	h := setup(t, Config{}, newRecorder(topic))
	c := testCtx(t)
	mustCall(t, "CreateEmailIdentity", func() error {
		_, err := h.ses.CreateEmailIdentity(c, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("example.com")})
		return err
	})
	mustCall(t, "CreateConfigurationSet", func() error {
		_, err := h.ses.CreateConfigurationSet(c, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String("workers")})
		return err
	})
	all := []types.EventType{"SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "DELIVERY_DELAY", "RENDERING_FAILURE"}
	mustCall(t, "CreateConfigurationSetEventDestination", func() error {
		_, err := h.ses.CreateConfigurationSetEventDestination(c, &sesv2.CreateConfigurationSetEventDestinationInput{
			ConfigurationSetName: aws.String("workers"), EventDestinationName: aws.String("to-sns"),
			EventDestination: &types.EventDestinationDefinition{Enabled: true, MatchingEventTypes: all, SnsDestination: &types.SnsDestination{TopicArn: aws.String(topic)}},
		})
		return err
	})
	// Creating the destination publishes SES's validation message, without a subject.
	first := h.rec.wait(t, 1)[0]
	if first.Topic != topic || first.Subject != "" || first.Message != "Successfully validated SNS topic for Amazon SES event publishing." {
		t.Errorf("test message = %+v", first)
	}
	mustCall(t, "PutSuppressedDestination", func() error {
		_, err := h.ses.PutSuppressedDestination(c, &sesv2.PutSuppressedDestinationInput{EmailAddress: aws.String("listed@example.org"), Reason: "COMPLAINT"})
		return err
	})

	sim := func(local string) string { return local + "@simulator.amazonses.com" }
	to := []string{sim("success"), sim("bounce"), sim("bounce+job-7"), sim("ooto"), sim("complaint"), sim("suppressionlist"), "listed@example.org", "fine@example.org"}
	out, err := h.ses.SendEmail(c, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("Reports <reports@example.com>"),
		Destination:      &types.Destination{ToAddresses: to},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Your tables are ready")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String("x")}},
		}},
		EmailTags:            []types.MessageTag{{Name: aws.String("job"), Value: aws.String("j-7")}},
		ConfigurationSetName: aws.String("workers"),
	})
	if err != nil {
		t.Fatalf("SendEmail: %v", err)
	}
	id := aws.ToString(out.MessageId)

	msgs := h.rec.wait(t, 1+6)[1:]
	var got []string
	for _, m := range msgs {
		if m.Subject != "Amazon SES Email Event Notification" || m.Topic != topic {
			t.Errorf("published with subject %q to %s", m.Subject, m.Topic)
		}
		var ev event
		if err := json.Unmarshal([]byte(m.Message), &ev); err != nil {
			t.Fatalf("record is not JSON: %v\n%s", err, m.Message)
		}
		got = append(got, ev.summary())
		if ev.Mail.MessageID != id || len(ev.Mail.Destination) != len(to) || !isoRe.MatchString(ev.Mail.Timestamp) {
			t.Errorf("%s: mail = %+v", ev.EventType, ev.Mail)
		}
		if ev.Mail.CommonHeaders.Subject != "Your tables are ready" || len(ev.Mail.CommonHeaders.From) != 1 || ev.Mail.CommonHeaders.From[0] != "Reports <reports@example.com>" {
			t.Errorf("%s: commonHeaders = %+v", ev.EventType, ev.Mail.CommonHeaders)
		}
		wantTags := map[string]string{
			"ses:operation": "SendEmail", "ses:configuration-set": "workers", "ses:from-domain": "example.com",
			"ses:caller-identity": "test", "ses:source-ip": "127.0.0.1", "job": "j-7",
		}
		for k, v := range wantTags {
			if vs := ev.Mail.Tags[k]; len(vs) != 1 || vs[0] != v {
				t.Errorf("%s: tag %s = %v, want [%s]", ev.EventType, k, vs, v)
			}
		}
		if ev.Bounce != nil && (!idRe.MatchString(ev.Bounce.FeedbackID) || !isoRe.MatchString(ev.Bounce.Timestamp)) {
			t.Errorf("bounce feedbackId %q timestamp %q", ev.Bounce.FeedbackID, ev.Bounce.Timestamp)
		}
		if ev.Bounce != nil && ev.Bounce.BounceSubType == "General" && ev.Bounce.BounceType == "Permanent" {
			for _, r := range ev.Bounce.BouncedRecipients {
				if r.Action != "failed" || r.Status != "5.1.1" || r.DiagnosticCode != "smtp; 550 5.1.1 user unknown" {
					t.Errorf("simulator bounce recipient = %+v", r)
				}
			}
		}
		if ev.EventType == "Send" && ev.Send == nil {
			t.Error("Send record without a send object")
		}
	}
	want := []string{
		"Send:",
		"Delivery:complaint@simulator.amazonses.com,fine@example.org,ooto@simulator.amazonses.com,success@simulator.amazonses.com",
		"Bounce/Permanent/General:bounce+job-7@simulator.amazonses.com,bounce@simulator.amazonses.com",
		"Bounce/Permanent/OnAccountSuppressionList:listed@example.org,suppressionlist@simulator.amazonses.com",
		"Bounce/Transient/General:ooto@simulator.amazonses.com",
		"Complaint/abuse:complaint@simulator.amazonses.com",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The simulator's bounce and complaint never reach the suppression list.
	for _, addr := range []string{sim("bounce"), sim("complaint"), sim("bounce+job-7")} {
		_, err := h.ses.GetSuppressedDestination(c, &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String(addr)})
		var nf *types.NotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("%s: %v, want NotFoundException", addr, err)
		}
	}
}

func TestEventDestinationFiltering(t *testing.T) {
	const bounces, disabled = "arn:aws:sns:us-east-1:000000000000:bounces", "arn:aws:sns:us-east-1:000000000000:off"
	h := setup(t, Config{}, newRecorder(bounces, disabled))
	c := testCtx(t)
	mustCall(t, "setup", func() error {
		if _, err := h.ses.CreateEmailIdentity(c, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("example.com")}); err != nil {
			return err
		}
		if _, err := h.ses.CreateConfigurationSet(c, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String("workers")}); err != nil {
			return err
		}
		if _, err := h.ses.CreateConfigurationSetEventDestination(c, &sesv2.CreateConfigurationSetEventDestinationInput{
			ConfigurationSetName: aws.String("workers"), EventDestinationName: aws.String("bounces"),
			EventDestination: &types.EventDestinationDefinition{Enabled: true, MatchingEventTypes: []types.EventType{"BOUNCE"}, SnsDestination: &types.SnsDestination{TopicArn: aws.String(bounces)}},
		}); err != nil {
			return err
		}
		_, err := h.ses.CreateConfigurationSetEventDestination(c, &sesv2.CreateConfigurationSetEventDestinationInput{
			ConfigurationSetName: aws.String("workers"), EventDestinationName: aws.String("off"),
			EventDestination: &types.EventDestinationDefinition{MatchingEventTypes: []types.EventType{"SEND", "BOUNCE"}, SnsDestination: &types.SnsDestination{TopicArn: aws.String(disabled)}},
		})
		return err
	})
	h.rec.wait(t, 2) // the two validation messages
	for _, to := range []string{"success@simulator.amazonses.com", "bounce@simulator.amazonses.com"} {
		mustCall(t, "SendEmail", func() error {
			_, err := h.ses.SendEmail(c, &sesv2.SendEmailInput{
				FromEmailAddress: aws.String("a@example.com"), Destination: &types.Destination{ToAddresses: []string{to}},
				ConfigurationSetName: aws.String("workers"),
				Content:              &types.EmailContent{Simple: &types.Message{Subject: &types.Content{Data: aws.String("s")}, Body: &types.Body{Text: &types.Content{Data: aws.String("b")}}}},
			})
			return err
		})
	}
	h.rec.wait(t, 3)
	time.Sleep(100 * time.Millisecond) // let anything unwanted arrive
	msgs := h.rec.all()
	if len(msgs) != 3 || msgs[2].Topic != bounces || !strings.Contains(msgs[2].Message, `"eventType":"Bounce"`) {
		t.Errorf("published %d messages, want the 2 validations and one Bounce: %+v", len(msgs), msgs)
	}
}

func TestPublishFailureDoesNotFailSend(t *testing.T) {
	t.Parallel()
	const topic = "arn:aws:sns:us-east-1:000000000000:t"
	rec := newRecorder(topic)
	h := setup(t, Config{}, rec)
	c := testCtx(t)
	mustCall(t, "setup", func() error {
		if _, err := h.ses.CreateEmailIdentity(c, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("example.com")}); err != nil {
			return err
		}
		if _, err := h.ses.CreateConfigurationSet(c, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String("w")}); err != nil {
			return err
		}
		_, err := h.ses.CreateConfigurationSetEventDestination(c, &sesv2.CreateConfigurationSetEventDestinationInput{
			ConfigurationSetName: aws.String("w"), EventDestinationName: aws.String("d"),
			EventDestination: &types.EventDestinationDefinition{Enabled: true, MatchingEventTypes: []types.EventType{"SEND"}, SnsDestination: &types.SnsDestination{TopicArn: aws.String(topic)}},
		})
		return err
	})
	rec.mu.Lock()
	rec.fail = errors.New("SNS is down")
	rec.mu.Unlock()
	_, err := h.ses.SendEmail(c, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("a@example.com"), Destination: &types.Destination{ToAddresses: []string{"b@example.org"}},
		ConfigurationSetName: aws.String("w"),
		Content:              &types.EmailContent{Simple: &types.Message{Subject: &types.Content{Data: aws.String("s")}, Body: &types.Body{}}},
	})
	if err != nil {
		t.Fatalf("SendEmail failed because publishing did: %v", err)
	}
}

func TestCloseStopsPublishing(t *testing.T) {
	t.Parallel()
	const topic = "arn:aws:sns:us-east-1:000000000000:t"
	rec := newRecorder(topic)
	svc, err := New(Config{Topics: rec})
	if err != nil {
		t.Fatal(err)
	}
	rec.delay = time.Hour // a publish that would never finish on its own
	mr := &mailRecord{MessageID: "m", Timestamp: time.Now(), From: "a@example.com", To: []string{"b@example.org"}}
	dests := []eventDestination{{Name: "d", Enabled: true, MatchingEventTypes: []string{"SEND", "DELIVERY"}, SnsDestination: &snsDestination{TopicArn: topic}}}
	svc.dispatch(dests, mr, []plannedEvent{{matching: "SEND"}, {matching: "DELIVERY", delivered: []string{"b@example.org"}}})
	done := make(chan struct{})
	go func() { _ = svc.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop the publishing goroutine")
	}
	if n := len(rec.all()); n != 0 {
		t.Errorf("%d messages published", n)
	}
	// After Close nothing more is started.
	svc.dispatch(dests, mr, []plannedEvent{{matching: "SEND"}})
}

func mustCall(t *testing.T, what string, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
