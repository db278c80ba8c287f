package sesevents_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/rs/zerolog"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/pipeline/sesevents"
	"github.com/quarry-dev/quarry/pipeline/suppression"
)

type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// testBundle is what a handler test works with: the handler, the
// suppression list and effects it writes to, its clock and its logs.
type testBundle struct {
	h     *sesevents.Handler
	list  *suppression.Store
	clock *clock
	logs  *bytes.Buffer
	store *idempotency.Store // the effects the events settle
	be    redistest.Backend
	n     int // SNS message ids handed out
}

// setup builds a handler with cfg on backend be, its clock at a fixed
// time and its logs kept.
func setup(t *testing.T, be redistest.Backend, cfg sesevents.HandlerConfig) *testBundle {
	t.Helper()
	c := &clock{}
	c.ns.Store(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC).UnixNano())
	list, err := suppression.New(suppression.Config{Redis: be.Client, Prefix: be.Prefix, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	cfg.Suppressions, cfg.Redis, cfg.Prefix, cfg.Now = list, be.Client, be.Prefix, c.Now
	cfg.Logger = zerolog.New(logs)
	store := idempotency.NewStore(be.Client, be.Prefix)
	cfg.Effects = store
	h, err := sesevents.NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testBundle{h: h, list: list, clock: c, logs: logs, store: store, be: be}
}

// each runs test on a setup of cfg on every Redis backend.
func each(t *testing.T, cfg sesevents.HandlerConfig, test func(t *testing.T, tb *testBundle)) {
	for _, be := range redistest.Open(t) {
		t.Run(be.Name, func(t *testing.T) {
			test(t, setup(t, be, cfg))
		})
	}
}

// ev describes one SES event to build.
type ev struct {
	format    string // "eventType" or "notificationType"
	kind      string // Bounce, Complaint, Delivery, Send
	mailID    string
	feedback  string
	bounce    string // Permanent, Transient, Undetermined
	sub       string
	status    string
	complaint string // feedback type
	to        []string
	tags      map[string]string // more mail tags
}

// body renders the event as SES publishes it, inside an SNS envelope.
func (e ev) body(t *testing.T, snsID string, at time.Time) string {
	t.Helper()
	ts := at.Format("2006-01-02T15:04:05.000Z")
	tags := map[string][]string{"job_id": {"01JOB"}}
	for k, v := range e.tags {
		tags[k] = []string{v}
	}
	doc := map[string]any{
		e.format: e.kind,
		"mail": map[string]any{
			"timestamp": ts, "messageId": e.mailID, "source": "results@quarry.example",
			"destination": e.to, "tags": tags,
		},
	}
	switch e.kind {
	case "Bounce":
		var rs []map[string]string
		for _, a := range e.to {
			rs = append(rs, map[string]string{"emailAddress": a, "action": "failed", "status": e.status, "diagnosticCode": "smtp; " + e.status})
		}
		doc["bounce"] = map[string]any{"bounceType": e.bounce, "bounceSubType": e.sub, "bouncedRecipients": rs, "timestamp": ts, "feedbackId": e.feedback}
	case "Complaint":
		var rs []map[string]string
		for _, a := range e.to {
			rs = append(rs, map[string]string{"emailAddress": a})
		}
		c := map[string]any{"complainedRecipients": rs, "timestamp": ts, "feedbackId": e.feedback}
		if e.complaint != "" {
			c["complaintFeedbackType"] = e.complaint
		}
		doc["complaint"] = c
	case "Delivery":
		doc["delivery"] = map[string]any{"timestamp": ts, "recipients": e.to, "smtpResponse": "250 ok", "processingTimeMillis": 500}
	case "Send":
		doc["send"] = map[string]any{}
	}
	inner, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	env, err := json.Marshal(map[string]any{
		"Type": "Notification", "MessageId": snsID, "TopicArn": "arn:aws:sns:us-east-1:000000000000:quarry-ses-events",
		"Message": string(inner), "Timestamp": ts, "SignatureVersion": "1", "Signature": "x",
		"SigningCertURL": "https://sns.us-east-1.amazonaws.com/x.pem", "UnsubscribeURL": "https://x",
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(env)
}

// handle delivers e as a new SNS message (a fresh SNS MessageId, as when
// SES publishes the same event twice or through both paths), happening
// now.
func (tb *testBundle) handle(t *testing.T, e ev) sesevents.Result {
	t.Helper()
	return tb.handleAt(t, e, tb.clock.Now())
}

// handleAt delivers e as a new SNS message for an event that happened at
// at, whatever the clock says now (a backlog, a replay, a late arrival).
func (tb *testBundle) handleAt(t *testing.T, e ev, at time.Time) sesevents.Result {
	t.Helper()
	tb.n++
	b, err := messages.DecodeQueueBody(e.body(t, fmt.Sprintf("sns-%04d", tb.n), at))
	if err != nil {
		t.Fatalf("decoding the test event: %v", err)
	}
	out, err := tb.h.Handle(context.Background(), messages.SESEventJob(b))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	var res sesevents.Result
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func (tb *testBundle) reasons(t *testing.T, addr string) []string {
	t.Helper()
	r, err := tb.list.Suppressed(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func hardBounce(format, mailID, addr string) ev {
	return ev{format: format, kind: "Bounce", mailID: mailID, feedback: "fb-" + mailID, bounce: "Permanent", sub: "General", status: "5.1.1", to: []string{addr}}
}

func softBounce(mailID, feedback, addr string) ev {
	return ev{format: "eventType", kind: "Bounce", mailID: mailID, feedback: feedback, bounce: "Transient", sub: "MailboxFull", status: "4.2.2", to: []string{addr}}
}

func TestHardBouncesAndComplaintsSuppressInBothFormats(t *testing.T) {
	t.Parallel()
	each(t, sesevents.HandlerConfig{}, func(t *testing.T, tb *testBundle) {
		tb.handle(t, hardBounce("eventType", "m1", "a@example.org"))
		tb.handle(t, hardBounce("notificationType", "m2", "B@Example.org"))
		tb.handle(t, ev{format: "eventType", kind: "Complaint", mailID: "m3", feedback: "fc3", complaint: "abuse", to: []string{"c@example.org"}})
		tb.handle(t, ev{format: "notificationType", kind: "Complaint", mailID: "m4", feedback: "fc4", to: []string{"d@example.org"}})
		tb.handle(t, ev{format: "eventType", kind: "Complaint", mailID: "m5", feedback: "fc5", complaint: "not-spam", to: []string{"e@example.org"}})
		tb.handle(t, ev{format: "eventType", kind: "Bounce", mailID: "m6", feedback: "fb6", bounce: "Undetermined", sub: "Undetermined", status: "5.1.2", to: []string{"f@example.org"}})
		for addr, want := range map[string][]string{
			"a@example.org": {"hard_bounce"}, "b@example.org": {"hard_bounce"},
			"c@example.org": {"complaint"}, "d@example.org": {"complaint"},
			"e@example.org": nil, "f@example.org": {"hard_bounce"},
		} {
			if got := tb.reasons(t, addr); !slices.Equal(got, want) {
				t.Errorf("%s: reasons %v, want %v", addr, got, want)
			}
		}
		rec, _ := tb.list.Get(context.Background(), "a@example.org")
		e := rec.Entries[0]
		if e.Source != "ses_event" || e.CreatedBy != "ses-events" || e.Evidence == nil || e.Evidence.FeedbackID != "fb-m1" ||
			e.Evidence.Status != "5.1.1" || e.Evidence.DiagnosticCode != "smtp; 5.1.1" || e.Evidence.SESMessageID != "m1" || e.Evidence.JobID != "01JOB" {
			t.Errorf("entry = %+v evidence %+v", e, e.Evidence)
		}
		trail, _ := tb.list.Audit(context.Background(), "a@example.org", 0)
		if len(trail) != 1 || trail[0].Event != "ses:m1/fb-m1" || trail[0].Actor != "ses-events" {
			t.Errorf("audit = %+v", trail)
		}
	})
}

// snapshot is everything the stage changes, to compare before and after
// a replay.
func (tb *testBundle) snapshot(t *testing.T, addrs []string) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, a := range addrs {
		rec, err := tb.list.Get(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(rec)
		b.Write(js)
		b.WriteByte('\n')
	}
	trail, _ := tb.list.Audit(ctx, "", 0)
	fmt.Fprintf(&b, "audit entries: %d\n", len(trail))
	r, err := tb.h.Rates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "rates: %+v\n", r)
	return b.String()
}

func TestReplayingEveryEventTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	each(t, sesevents.HandlerConfig{}, func(t *testing.T, tb *testBundle) {
		events := []ev{
			{format: "eventType", kind: "Send", mailID: "m1", to: []string{"a@example.org"}},
			{format: "eventType", kind: "Send", mailID: "m2", to: []string{"b@example.org"}},
			{format: "eventType", kind: "Send", mailID: "m3", to: []string{"c@example.org"}},
			hardBounce("eventType", "m1", "a@example.org"),
			hardBounce("notificationType", "m1", "a@example.org"), // the same bounce by the other path
			{format: "eventType", kind: "Complaint", mailID: "m2", feedback: "fc2", complaint: "abuse", to: []string{"b@example.org"}},
			softBounce("m3", "fs3", "c@example.org"),
			softBounce("m4", "fs4", "c@example.org"),
			{format: "eventType", kind: "Delivery", mailID: "m5", to: []string{"d@example.org"}},
		}
		addrs := []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org"}
		for _, e := range events {
			tb.handle(t, e)
		}
		before := tb.snapshot(t, addrs)
		tb.clock.Advance(time.Minute)
		for _, e := range events {
			res := tb.handle(t, e)
			for _, r := range res.Recipients {
				if r.Outcome != sesevents.OutcomeReplay {
					t.Errorf("replayed %s %s: outcome %q, want replay", e.kind, e.mailID, r.Outcome)
				}
			}
		}
		if after := tb.snapshot(t, addrs); after != before {
			t.Fatalf("replaying changed the state:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		if !strings.Contains(before, "Sends:3 Bounces:1 Complaints:1 Deliveries:1") {
			t.Errorf("rates = %s", before)
		}
	})
}

func TestTransientBouncesSuppressOnlyAtTheThreshold(t *testing.T) {
	t.Parallel()
	each(t, sesevents.HandlerConfig{}, func(t *testing.T, tb *testBundle) {
		addr := "soft@example.org"
		tb.handle(t, softBounce("m1", "f1a", addr))
		tb.handle(t, softBounce("m1", "f1b", addr)) // a second bounce of the same message counts once
		tb.clock.Advance(24 * time.Hour)
		tb.handle(t, softBounce("m2", "f2", addr))
		if r := tb.reasons(t, addr); len(r) != 0 {
			t.Fatalf("after 2 messages bounced: %v", r)
		}
		tb.clock.Advance(24 * time.Hour)
		res := tb.handle(t, softBounce("m3", "f3", addr))
		if got := tb.reasons(t, addr); !slices.Equal(got, []string{"soft_bounce"}) || res.Recipients[0].Outcome != sesevents.OutcomeSuppressed {
			t.Fatalf("after the 3rd: reasons %v, result %+v", got, res)
		}
		rec, _ := tb.list.Get(context.Background(), addr)
		if e := rec.Entries[0]; e.ExpiresAt.Sub(tb.clock.Now()) != 30*24*time.Hour || e.Evidence.Count != 3 {
			t.Errorf("entry = %+v, evidence %+v", e, e.Evidence)
		}
		tb.clock.Advance(31 * 24 * time.Hour)
		if r := tb.reasons(t, addr); len(r) != 0 {
			t.Errorf("after the soft suppression expired: %v", r)
		}
	})
}

func TestSoftBouncesOutsideTheWindowOrBeforeADeliveryDoNotAddUp(t *testing.T) {
	t.Parallel()
	each(t, sesevents.HandlerConfig{Policy: sesevents.Policy{SoftThreshold: 2, SoftWindow: 48 * time.Hour}}, func(t *testing.T, tb *testBundle) {
		tb.handle(t, softBounce("m1", "f1", "x@example.org"))
		tb.clock.Advance(72 * time.Hour) // m1 leaves the window
		tb.handle(t, softBounce("m2", "f2", "x@example.org"))
		if r := tb.reasons(t, "x@example.org"); len(r) != 0 {
			t.Errorf("bounces 3 days apart with a 2-day window: %v", r)
		}
		tb.handle(t, softBounce("m3", "f3", "y@example.org"))
		tb.handle(t, ev{format: "eventType", kind: "Delivery", mailID: "m4", to: []string{"y@example.org"}})
		tb.handle(t, softBounce("m5", "f5", "y@example.org"))
		if r := tb.reasons(t, "y@example.org"); len(r) != 0 {
			t.Errorf("a delivery between two soft bounces: %v", r)
		}
		tb.handle(t, softBounce("m6", "f6", "y@example.org"))
		if r := tb.reasons(t, "y@example.org"); !slices.Equal(r, []string{"soft_bounce"}) {
			t.Errorf("two soft bounces after the delivery: %v", r)
		}
	})
}

func TestAutoRepliesContentBouncesAndLateSoftBouncesChangeNothing(t *testing.T) {
	t.Parallel()
	each(t, sesevents.HandlerConfig{Policy: sesevents.Policy{SoftThreshold: 1}}, func(t *testing.T, tb *testBundle) {
		tb.handle(t, ev{format: "eventType", kind: "Delivery", mailID: "m1", to: []string{"ooto@example.org"}})
		res := tb.handle(t, ev{format: "eventType", kind: "Bounce", mailID: "m1", feedback: "f1", bounce: "Transient", sub: "General", status: "4.0.0", to: []string{"ooto@example.org"}})
		if res.Recipients[0].Outcome != sesevents.OutcomeAutoReply || len(tb.reasons(t, "ooto@example.org")) != 0 {
			t.Errorf("auto-reply: %+v, reasons %v", res, tb.reasons(t, "ooto@example.org"))
		}
		res = tb.handle(t, ev{format: "eventType", kind: "Bounce", mailID: "m2", feedback: "f2", bounce: "Transient", sub: "MessageTooLarge", status: "5.3.4", to: []string{"big@example.org"}})
		if res.Recipients[0].Outcome != sesevents.OutcomeContent || len(tb.reasons(t, "big@example.org")) != 0 {
			t.Errorf("content bounce: %+v", res)
		}
		if !strings.Contains(tb.logs.String(), "caused by our message") {
			t.Errorf("no warning for the content bounce: %s", tb.logs)
		}
		tb.handle(t, hardBounce("eventType", "m3", "gone@example.org"))
		res = tb.handle(t, softBounce("m4", "f4", "gone@example.org"))
		if r := tb.reasons(t, "gone@example.org"); !slices.Equal(r, []string{"hard_bounce"}) || res.Recipients[0].Outcome != sesevents.OutcomeAlready {
			t.Errorf("soft bounce after a hard one: reasons %v, %+v", r, res)
		}
	})
}

func TestRatesLeaveOutTheSimulatorAndWarnAtHalfTheThreshold(t *testing.T) {
	t.Parallel()
	each(t, sesevents.HandlerConfig{MinVolume: 50}, func(t *testing.T, tb *testBundle) {
		for i := range 100 {
			tb.handle(t, ev{format: "eventType", kind: "Send", mailID: fmt.Sprintf("s%d", i), to: []string{fmt.Sprintf("r%d@example.org", i)}})
		}
		tb.handle(t, ev{format: "eventType", kind: "Send", mailID: "sim", to: []string{"bounce@simulator.amazonses.com"}})
		tb.handle(t, hardBounce("eventType", "sim", "bounce@simulator.amazonses.com"))
		if r := tb.reasons(t, "bounce@simulator.amazonses.com"); !slices.Equal(r, []string{"hard_bounce"}) {
			t.Errorf("simulator bounce did not suppress: %v", r)
		}
		for i := range 3 {
			tb.handle(t, hardBounce("eventType", fmt.Sprintf("s%d", i), fmt.Sprintf("r%d@example.org", i)))
		}
		tb.clock.Advance(6 * time.Second) // past the gauge refresh interval
		tb.handle(t, ev{format: "eventType", kind: "Delivery", mailID: "s50", to: []string{"r50@example.org"}})
		r, err := tb.h.Rates(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if r.Sends != 100 || r.Bounces != 3 || r.BounceRate != 0.03 {
			t.Errorf("rates = %+v, want 3 hard bounces of 100 sends", r)
		}
		if !strings.Contains(tb.logs.String(), "half of AWS's review threshold") {
			t.Errorf("no warning at a 3%% bounce rate: %s", tb.logs)
		}
		tb.clock.Advance(25 * time.Hour)
		if r, _ := tb.h.Rates(context.Background()); r.Sends != 0 {
			t.Errorf("after the window: %+v", r)
		}
	})
}

func TestSuppressionsAreMirroredIntoSES(t *testing.T) {
	t.Parallel()
	ep := localawstest.Start(t, localaws.Config{})
	ses := ep.SES()
	each(t, sesevents.HandlerConfig{Mirror: ses}, func(t *testing.T, tb *testBundle) {
		tb.handle(t, hardBounce("eventType", "m1", "mirror-bounce@example.org"))
		tb.handle(t, ev{format: "eventType", kind: "Complaint", mailID: "m2", feedback: "fc", to: []string{"mirror-complaint@example.org"}})
		for addr, want := range map[string]string{"mirror-bounce@example.org": "BOUNCE", "mirror-complaint@example.org": "COMPLAINT"} {
			out, err := ses.GetSuppressedDestination(context.Background(), &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String(addr)})
			if err != nil {
				t.Fatalf("%s: %v", addr, err)
			}
			if got := string(out.SuppressedDestination.Reason); got != want {
				t.Errorf("%s: SES reason %s, want %s", addr, got, want)
			}
		}
	})
}

func TestAnEventWithoutMailIDIsPermanent(t *testing.T) {
	t.Parallel()
	each(t, sesevents.HandlerConfig{}, func(t *testing.T, tb *testBundle) {
		job := messages.Job{ID: "x", Type: messages.TypeSESEvent, Version: messages.CurrentVersion, IdempotencyKey: "ses:x", Payload: json.RawMessage(`{"kind":"Bounce"}`)}
		_, err := tb.h.Handle(context.Background(), job)
		if !messages.IsPermanent(err) || !strings.Contains(err.Error(), "messageId") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestEventsOfUnknownKindAreAcknowledgedAndCounted(t *testing.T) {
	t.Parallel()
	each(t, sesevents.HandlerConfig{}, func(t *testing.T, tb *testBundle) {
		res := tb.handle(t, ev{format: "eventType", kind: "Teleport", mailID: "m1", to: []string{"a@example.org"}})
		if len(res.Recipients) != 1 || res.Recipients[0].Outcome != sesevents.OutcomeCounted {
			t.Fatalf("result = %+v", res)
		}
		if !strings.Contains(tb.logs.String(), "does not know") {
			t.Errorf("no log line for the unknown kind: %s", tb.logs)
		}
		if r := tb.reasons(t, "a@example.org"); len(r) != 0 {
			t.Errorf("an unknown event suppressed: %v", r)
		}
	})
}
