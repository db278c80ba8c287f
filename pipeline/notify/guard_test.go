package notify

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/messages"
)

// testGuard is a Guard a test closes.
type testGuard struct {
	mu  sync.Mutex
	err error
}

func (g *testGuard) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

func (g *testGuard) Trip(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err == nil {
		g.err = err
	}
}

// Once Redis has lost its epoch record, no send goes out: the attempt is
// refused, the guard trips, the job goes back to the queue, and the gate
// holds the receives.
func TestEpochLossTripsTheGuardAndSendsNothing(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		guard := &testGuard{}
		tb := setup(t, b, setupOptions{config: func(c *HandlerConfig) { c.Guard = guard }})
		epoch, _, err := tb.store.CreateEpoch(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		tb.store.Epoch = epoch
		job := newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: tablesData()})
		b.Client.Del(t.Context(), b.Prefix+"epoch") // Redis restarted empty

		_, err = tb.run(t, job)
		var ra *messages.RetryAfterError
		if !errors.As(err, &ra) || !errors.Is(err, idempotency.ErrEpochChanged) {
			t.Fatalf("run after the epoch vanished: %v, want a RetryAfter for ErrEpochChanged", err)
		}
		if n := mailsTo(t, tb.ep, "a@example.org"); n != 0 {
			t.Fatalf("a@ got %d messages after Redis lost its data", n)
		}
		if !errors.Is(guard.Err(), idempotency.ErrEpochChanged) {
			t.Fatalf("guard %v, want tripped by the attempt", guard.Err())
		}
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		if err := tb.h.Gate().Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("gate with the guard closed: %v, want it to hold until the context ends", err)
		}
	})
}

// SES answers a send's request, but the answer is lost: the send is
// unknown and the job waits. An SES event for the send settles it as
// sent (what the ses-events stage does), and the next run does not send
// it again.
func TestUnknownSendSettledByItsEventIsNotResent(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		tb := setup(t, b, setupOptions{})
		job := newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: tablesData()})
		tb.dieAttempting(t, job, "email:a@example.org")
		if _, err := tb.run(t, job); err == nil {
			t.Fatal("run with an unsettled unknown send succeeded; want it to wait")
		}
		list, err := tb.store.ListUnknownEffects(t.Context())
		if err != nil || len(list) != 1 {
			t.Fatalf("unknown effects %+v, %v", list, err)
		}
		got, err := tb.store.ObserveEffect(t.Context(), job.IdempotencyKey, "email:a@example.org", list[0].Attempt, "ses-1")
		if err != nil || got != idempotency.ObservedSettled {
			t.Fatalf("ObserveEffect: %v, %v", got, err)
		}
		res := tb.mustRun(t, job)
		if r := res.Recipients[0]; r.Outcome != OutcomeAlreadySent || r.MessageID != "ses-1" {
			t.Errorf("after the event: %+v, want already_sent with the event's message id", r)
		}
		if n := mailsTo(t, tb.ep, "a@example.org"); n != 0 {
			t.Errorf("a@ got %d messages from this test's runs, want 0 (the dead worker's is the one)", n)
		}
	})
}

func TestRedactText(t *testing.T) {
	t.Parallel()
	h := &Handler{cfg: HandlerConfig{Suppressions: &memSuppressions{reasons: map[string][]string{}}}}
	rc := recipient{addr: "jane@xn--bcher-kva.example", unicode: "jane@bücher.example"}
	in := `MessageRejected: address JANE@xn--bcher-kva.example (jane@bücher.example) is not verified; effect "email:jane@xn--bcher-kva.example"`
	out := h.redactText(rc, in)
	for _, a := range []string{"jane@", "JANE@"} {
		if strings.Contains(out, a) {
			t.Errorf("redacted %q still names the address", out)
		}
	}
	if !strings.Contains(out, "<"+h.addressHash(rc.addr)+">") || !strings.Contains(out, "MessageRejected") {
		t.Errorf("redacted %q", out)
	}
	err := h.redact(rc, idempotency.ErrLeaseLost)
	if !errors.Is(err, idempotency.ErrLeaseLost) {
		t.Errorf("redact loses the error's identity: %v", err)
	}
}
