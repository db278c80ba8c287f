package notify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/messages"
)

// tablesData is the template_data the extract stage sends.
func tablesData() map[string]any {
	return map[string]any{
		"pdf_key":      "jobs/01JTEST/doc.pdf",
		"tables":       2,
		"pages":        3,
		"failed_pages": []int{},
		"outputs":      []string{"jobs/01JTEST/doc.tables/t1.csv", "jobs/01JTEST/doc.tables/tables.xlsx"},
	}
}

func TestSendsEachRecipientAndSkipsTheSuppressed(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		tb := setup(t, b, setupOptions{})
		tb.putBlob(t, "jobs/01JTEST/doc.tables/t1.csv", []byte("well,depth\r\n42,1200\r\n"))
		tb.putBlob(t, "jobs/01JTEST/doc.tables/tables.xlsx", []byte("PK\x03\x04 not really a workbook"))
		tb.supp.add("bounced@example.org", "hard_bounce")

		job := newJob(t, messages.NotifyEmail{
			Recipients:   []string{"Jane@Example.org", "bounced@example.org", "bob@example.net"},
			Template:     "tables-ready",
			TemplateData: tablesData(),
			Attachments:  []string{"jobs/01JTEST/doc.tables/tables.xlsx", "jobs/01JTEST/doc.tables/t1.csv"},
		})
		res := tb.mustRun(t, job)

		if len(res.Recipients) != 3 {
			t.Fatalf("result lists %d recipients, want 3: %+v", len(res.Recipients), res)
		}
		want := map[string]Outcome{"jane@example.org": OutcomeSent, "bounced@example.org": OutcomeSuppressed, "bob@example.net": OutcomeSent}
		if d := diff(want, outcomes(res)); d != "" {
			t.Errorf("outcomes %s", d)
		}
		if r := res.Recipients[1]; !slicesEqual(r.SuppressionReasons, []string{"hard_bounce"}) || r.MessageID != "" {
			t.Errorf("suppressed recipient: %+v", r)
		}
		box := mailbox(t, tb.ep)
		if len(box) != 2 {
			t.Fatalf("mailbox holds %d messages, want 2", len(box))
		}
		for i, m := range box {
			rr := res.Recipients[[]int{0, 2}[i]]
			if len(m.To) != 1 || m.To[0] != rr.Address || m.MessageID != rr.MessageID {
				t.Errorf("mail %d to %v (%s), want one recipient %s (%s)", i, m.To, m.MessageID, rr.Address, rr.MessageID)
			}
			if m.Content != "Raw" || m.ConfigurationSet != "quarry" || m.Subject != "2 tables extracted from doc.pdf" {
				t.Errorf("mail %d: content %s, configuration set %q, subject %q", i, m.Content, m.ConfigurationSet, m.Subject)
			}
			attempt := m.Tags[messages.TagEffectAttempt]
			if len(attempt) < 16 {
				t.Errorf("mail %d: attempt tag %q", i, attempt)
			}
			wantTags := map[string]string{
				"job_id": job.ID, "job_type": "notify_email", "template": "tables-ready",
				messages.TagEffectJob: messages.EffectTag(job.IdempotencyKey), messages.TagEffectAttempt: attempt,
			}
			if d := diff(wantTags, m.Tags); d != "" {
				t.Errorf("mail %d tags %s", i, d)
			}
		}
		checkSentMessage(t, rawMail(t, tb.ep, box[0].MessageID), "jane@example.org", []string{"tables.xlsx", "t1.csv"})

		if got := tb.counted(metricSent); got != 2 {
			t.Errorf("sent counter %v, want 2", got)
		}
		if got := tb.counted(metricSuppressed); got != 1 {
			t.Errorf("suppressed counter %v, want 1", got)
		}

		// Another run finds every recipient done: nothing is sent, the
		// message ids and the suppression are reported again.
		again := tb.mustRun(t, job)
		want = map[string]Outcome{"jane@example.org": OutcomeAlreadySent, "bounced@example.org": OutcomeSuppressed, "bob@example.net": OutcomeAlreadySent}
		if d := diff(want, outcomes(again)); d != "" {
			t.Errorf("second run outcomes %s", d)
		}
		if again.Recipients[0].MessageID != res.Recipients[0].MessageID || !slicesEqual(again.Recipients[1].SuppressionReasons, []string{"hard_bounce"}) {
			t.Errorf("second run lost what the first stored: %+v", again)
		}
		if n := len(mailbox(t, tb.ep)); n != 2 {
			t.Errorf("mailbox holds %d messages after the second run, want 2", n)
		}
	})
}

// checkSentMessage parses a message as SES delivered it: one recipient,
// the unsubscribe header, text and HTML, the attachments in order.
func checkSentMessage(t *testing.T, eml []byte, to string, files []string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(eml))
	if err != nil {
		t.Fatalf("reading the sent message: %v", err)
	}
	if got := m.Header.Get("To"); got != to {
		t.Errorf("To: %q, want %q", got, to)
	}
	if got := m.Header.Get("List-Unsubscribe"); got != "<mailto:results@example.com?subject=unsubscribe>" {
		t.Errorf("List-Unsubscribe: %q", got)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var names []string
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.FileName() != "" {
			names = append(names, p.FileName())
		}
	}
	if d := diff(files, names); d != "" {
		t.Errorf("attachments %s", d)
	}
}

func slicesEqual(a, b []string) bool { return reflect.DeepEqual(a, b) }

// diff returns "" when want and got are deeply equal, else both.
func diff(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return fmt.Sprintf("got %v, want %v", got, want)
}

func TestTakeoverSendsEachRecipientOnce(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		// A low send rate spreads the first run's sends over the takeover.
		tb := setup(t, b, setupOptions{localaws: localawsRate(6)})
		rcpts := []string{"r0@example.org", "r1@example.org", "r2@example.org", "r3@example.org", "r4@example.org", "r5@example.org"}
		job := newJob(t, messages.NotifyEmail{Recipients: rcpts, Template: "tables-ready", TemplateData: tablesData()})

		ttl := 300 * time.Millisecond
		first := tb.claim(t, job, ttl)
		var (
			wg             sync.WaitGroup
			firstErr       error
			second         Result
			secondErr      error
			secondLeaseErr error
		)
		wg.Go(func() { _, firstErr = tb.handle(t.Context(), job, first) })
		wg.Go(func() {
			// The first owner stalls (no heartbeat); its lease runs out and
			// a redelivery takes the job over while it is still sending.
			b.Advance(t, ttl+50*time.Millisecond)
			c, err := tb.store.ClaimJob(t.Context(), job, 30*time.Second)
			if err != nil || c.Status != idempotency.StatusAcquired {
				secondLeaseErr = errors.Join(err, errors.New("takeover claim: "+c.Status.String()))
				return
			}
			second, secondErr = tb.handle(t.Context(), job, c.Lease)
		})
		wg.Wait()
		if secondLeaseErr != nil {
			t.Fatal(secondLeaseErr)
		}
		if secondErr != nil {
			t.Fatalf("second owner: %v", secondErr)
		}
		t.Logf("first owner: %v", firstErr)
		got := outcomes(second)
		for _, r := range rcpts {
			n := mailsTo(t, tb.ep, r)
			switch got[r] {
			case OutcomeSent, OutcomeAlreadySent:
				if n != 1 {
					t.Errorf("%s: %s but %d messages", r, got[r], n)
				}
			case OutcomeUnknown:
				// The first owner may have sent it before losing the job.
				if n > 1 {
					t.Errorf("%s: unknown with %d messages", r, n)
				}
			default:
				t.Errorf("%s: outcome %q", r, got[r])
			}
		}
	})
}

// A worker that dies after claiming a send but before attempting it (in
// the suppression check or the rate wait) sent nothing: the next run sends
// it, and nothing is left unknown.
func TestCrashBeforeAttemptIsSentByTheNextRun(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		tb := setup(t, b, setupOptions{})
		job := newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org", "b@example.org"}, Template: "tables-ready", TemplateData: tablesData()})

		ttl := 200 * time.Millisecond
		lease := tb.claim(t, job, ttl)
		c, err := tb.store.ClaimEffect(t.Context(), lease, "email:a@example.org")
		if err != nil || c.Status != idempotency.EffectAcquired {
			t.Fatalf("ClaimEffect: %v %v", c.Status, err)
		}
		b.Advance(t, ttl+50*time.Millisecond) // died waiting for the send rate

		res := tb.mustRun(t, job)
		if d := diff(map[string]Outcome{"a@example.org": OutcomeSent, "b@example.org": OutcomeSent}, outcomes(res)); d != "" {
			t.Errorf("outcomes %s", d)
		}
		for _, r := range []string{"a@example.org", "b@example.org"} {
			if n := mailsTo(t, tb.ep, r); n != 1 {
				t.Errorf("%s got %d messages, want 1", r, n)
			}
		}
		if unknown, err := tb.store.ListUnknownEffects(t.Context()); err != nil || len(unknown) != 0 {
			t.Errorf("ListUnknownEffects: %+v, %v; want none", unknown, err)
		}
	})
}

// A worker that dies inside the SES call leaves the send unknown. Left for
// a person, the next run reports it unknown and does not send it.
func TestCrashDuringAttemptIsUnknown(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		tb := setup(t, b, setupOptions{config: func(c *HandlerConfig) { c.SettleUnknownByHand = true }})
		job := newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org", "b@example.org"}, Template: "tables-ready", TemplateData: tablesData()})
		tb.dieAttempting(t, job, "email:a@example.org")

		res := tb.mustRun(t, job)
		if d := diff(map[string]Outcome{"a@example.org": OutcomeUnknown, "b@example.org": OutcomeSent}, outcomes(res)); d != "" {
			t.Errorf("outcomes %s", d)
		}
		if !strings.Contains(res.Recipients[0].Detail, "abandoned") {
			t.Errorf("unknown detail %q, want the abandonment reason", res.Recipients[0].Detail)
		}
		if n := mailsTo(t, tb.ep, "a@example.org"); n != 0 {
			t.Errorf("a@ got %d messages, want 0: an unknown send is not redone", n)
		}
		if tb.counted(metricUnknown) != 1 {
			t.Errorf("unknown counter %v, want 1", tb.counted(metricUnknown))
		}
		unknown, err := tb.store.ListUnknownEffects(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(unknown) != 1 || unknown[0].Key != job.IdempotencyKey || unknown[0].Name != "email:a@example.org" {
			t.Errorf("ListUnknownEffects: %+v", unknown)
		}
	})
}

// Settled automatically, an unknown send that no SES event reports within
// the quiet period is sent once the period has passed; until then the job
// waits in the queue.
func TestUnknownSendIsSentAfterTheQuietPeriod(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		const quiet = 400 * time.Millisecond
		tb := setup(t, b, setupOptions{config: func(c *HandlerConfig) { c.UnknownQuiet = quiet }})
		job := newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: tablesData()})
		tb.dieAttempting(t, job, "email:a@example.org")

		_, err := tb.run(t, job)
		var ra *messages.RetryAfterError
		if !errors.As(err, &ra) || ra.Delay <= 0 || ra.Delay > quiet+2*time.Second {
			t.Fatalf("run inside the quiet period: %v, want a RetryAfter up to the period's end", err)
		}
		if strings.Contains(err.Error(), "a@example.org") {
			t.Errorf("error names the address: %v", err)
		}
		if n := mailsTo(t, tb.ep, "a@example.org"); n != 0 {
			t.Fatalf("a@ got %d messages inside the quiet period", n)
		}
		b.Advance(t, quiet)
		res := tb.mustRun(t, job)
		if got := outcomes(res)["a@example.org"]; got != OutcomeSent {
			t.Fatalf("after the quiet period: %s, want sent", got)
		}
		if n := mailsTo(t, tb.ep, "a@example.org"); n != 1 {
			t.Errorf("a@ got %d messages, want 1", n)
		}
		if unknown, err := tb.store.ListUnknownEffects(t.Context()); err != nil || len(unknown) != 0 {
			t.Errorf("ListUnknownEffects: %+v, %v; want none", unknown, err)
		}
	})
}

// dieAttempting plays a worker that claims the send and dies inside the
// SES call (the effect attempted, nothing recorded after it), and lets its
// lease lapse.
func (tb *testBundle) dieAttempting(t *testing.T, job messages.Job, name string) {
	t.Helper()
	ttl := 200 * time.Millisecond
	lease := tb.claim(t, job, ttl)
	c, err := tb.store.ClaimEffect(t.Context(), lease, name)
	if err != nil || c.Status != idempotency.EffectAcquired {
		t.Fatalf("ClaimEffect: %v %v", c.Status, err)
	}
	if err := tb.store.AttemptEffect(t.Context(), c.Effect); err != nil {
		t.Fatal(err)
	}
	tb.backend.Advance(t, ttl+50*time.Millisecond)
}

func TestMissingLease(t *testing.T) {
	t.Parallel()
	tb := setup(t, redistest.Open(t)[0], setupOptions{})
	job := newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: tablesData()})
	_, err := tb.h.Handle(t.Context(), job)
	if err == nil || !strings.Contains(err.Error(), "no job lease") {
		t.Fatalf("Handle without a lease: %v", err)
	}
	if n := len(mailbox(t, tb.ep)); n != 0 {
		t.Errorf("%d messages sent without a lease", n)
	}
}

func TestWrongJobType(t *testing.T) {
	t.Parallel()
	tb := setup(t, redistest.Open(t)[0], setupOptions{})
	job, err := messages.NewJob(messages.TypeExtractTables, messages.ExtractTables{PDFKey: "jobs/x/doc.pdf"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.h.Handle(t.Context(), job); !messages.IsPermanent(err) {
		t.Fatalf("an extract.tables job: %v, want a permanent error", err)
	}
}

func TestPayloadSubjectReplacesTheTemplates(t *testing.T) {
	t.Parallel()
	tb := setup(t, redistest.Open(t)[0], setupOptions{})
	job := newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: tablesData(), Subject: "Vos tableaux sont prêts ✓"})
	tb.mustRun(t, job)
	box := mailbox(t, tb.ep)
	if len(box) != 1 || box[0].Subject != "Vos tableaux sont prêts ✓" {
		t.Fatalf("mailbox: %+v, want one message with the payload's subject", box)
	}
}

func TestAccountDisabledAtFirstJob(t *testing.T) {
	t.Parallel()
	tb := setup(t, redistest.Open(t)[0], setupOptions{})
	setSending(t, tb, false)
	job := newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: tablesData()})
	_, err := tb.run(t, job)
	if d, ok := messages.RetryDelay(err); !ok || d != 100*time.Millisecond || !strings.Contains(err.Error(), "SendingEnabled=false") {
		t.Fatalf("job while GetAccount says sending is disabled: %v, want RetryAfter(PausePoll) saying so", err)
	}
	// Nothing was claimed: the job met the pause before any recipient.
	lease := tb.claim(t, job, time.Minute)
	if c, err := tb.store.ClaimEffect(t.Context(), lease, "email:a@example.org"); err != nil || c.Status != idempotency.EffectAcquired {
		t.Fatalf("effect: %v %v, want never claimed", c.Status, err)
	}
}
