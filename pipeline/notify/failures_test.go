package notify

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/messages"
)

// dropAnswer forwards every request, but for SendEmail requests to
// target it throws SES's answer away and reports a connection reset, as
// when the connection dies after SES accepted the message.
type dropAnswer struct {
	next   http.RoundTripper
	target string
	sends  atomic.Int32 // SendEmail requests to target that reached localaws
}

func (d *dropAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path != "/v2/email/outbound-emails" {
		return d.next.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := d.next.RoundTrip(r)
	if err != nil || !bytes.Contains(body, []byte(`"`+d.target+`"`)) {
		return resp, err
	}
	d.sends.Add(1)
	resp.Body.Close()
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
}

func TestAnswerLostAfterSendIsUnknownAndNeverResent(t *testing.T) {
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		var drop *dropAnswer
		tb := setup(t, b, setupOptions{ses: func(ep *localawstest.Endpoint) SES {
			drop = &dropAnswer{next: http.DefaultTransport, target: "lost@example.org"}
			return sesv2.NewFromConfig(ep.Config, func(o *sesv2.Options) { o.HTTPClient = &http.Client{Transport: drop} })
		}, config: func(c *HandlerConfig) { c.SettleUnknownByHand = true }})
		job := newJob(t, messages.NotifyEmail{Recipients: []string{"lost@example.org", "fine@example.org"}, Template: "tables-ready", TemplateData: tablesData()})

		res := tb.mustRun(t, job)
		if d := diff(map[string]Outcome{"lost@example.org": OutcomeUnknown, "fine@example.org": OutcomeSent}, outcomes(res)); d != "" {
			t.Fatalf("outcomes %s", d)
		}
		if !strings.Contains(res.Recipients[0].Detail, "connection reset") {
			t.Errorf("unknown detail %q, want the transport error", res.Recipients[0].Detail)
		}
		// SES accepted it once: the SDK did not retry the connection
		// reset (its default retryer would have, sending it twice).
		if n := drop.sends.Load(); n != 1 {
			t.Errorf("SendEmail to lost@ reached SES %d times, want 1", n)
		}
		if n := mailsTo(t, tb.ep, "lost@example.org"); n != 1 {
			t.Errorf("lost@ has %d messages, want 1", n)
		}
		unknown, err := tb.store.ListUnknownEffects(t.Context())
		if err != nil || len(unknown) != 1 || unknown[0].Name != "email:lost@example.org" {
			t.Fatalf("ListUnknownEffects: %+v, %v", unknown, err)
		}

		// The next run does not send it again.
		again := tb.mustRun(t, job)
		if d := diff(map[string]Outcome{"lost@example.org": OutcomeUnknown, "fine@example.org": OutcomeAlreadySent}, outcomes(again)); d != "" {
			t.Errorf("second run outcomes %s", d)
		}
		if n := drop.sends.Load(); n != 1 {
			t.Errorf("second run sent to lost@ again (%d requests)", n)
		}
		if n := mailsTo(t, tb.ep, "lost@example.org"); n != 1 {
			t.Errorf("lost@ has %d messages after the second run, want 1", n)
		}
	})
}

func TestServerErrorIsUnknown(t *testing.T) {
	b := redistest.Open(t)[0]
	tb := setup(t, b, setupOptions{
		localaws: localaws.Config{Faults: localaws.Faults{ErrorRates: map[string]float64{"ses.SendEmail": 1}}},
		config:   func(c *HandlerConfig) { c.SettleUnknownByHand = true },
	})
	job := newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: tablesData()})
	res := tb.mustRun(t, job)
	if got := outcomes(res)["a@example.org"]; got != OutcomeUnknown {
		t.Fatalf("after a 500: %s, want unknown", got)
	}
}

func TestRequestThatNeverLeftIsReleased(t *testing.T) {
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		var broken atomic.Bool
		tb := setup(t, b, setupOptions{ses: func(ep *localawstest.Endpoint) SES {
			// Requests cannot be signed while broken.
			return sesv2.NewFromConfig(ep.Config, func(o *sesv2.Options) {
				good := o.Credentials
				o.Credentials = aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
					if broken.Load() {
						return aws.Credentials{}, errors.New("no credentials today")
					}
					return good.Retrieve(ctx)
				})
			})
		}})
		tb.warm(t)
		broken.Store(true)
		job := newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: tablesData()})
		_, err := tb.run(t, job)
		if err == nil || messages.IsPermanent(err) || !strings.Contains(err.Error(), "never left") {
			t.Fatalf("a send that never left: %v, want a retryable error saying so", err)
		}
		broken.Store(false)
		if got := outcomes(tb.mustRun(t, job))["a@example.org"]; got != OutcomeSent {
			t.Fatalf("retry: %s, want sent", got)
		}
	})
}

func TestThrottledSendIsReleasedAndRetried(t *testing.T) {
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		tb := setup(t, b, setupOptions{localaws: localawsRate(1)})
		// Another sender spends SES's one-per-second budget just before
		// the job sends.
		tb.warm(t)
		other := &sesv2.SendEmailInput{
			FromEmailAddress: aws.String("other@example.com"),
			Destination:      &types.Destination{ToAddresses: []string{"success@simulator.amazonses.com"}},
			Content: &types.EmailContent{Simple: &types.Message{
				Subject: &types.Content{Data: aws.String("hi")}, Body: &types.Body{Text: &types.Content{Data: aws.String("hi")}},
			}},
		}
		job := newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: tablesData()})
		if _, err := tb.ses.SendEmail(t.Context(), other); err != nil {
			t.Fatal(err)
		}
		_, err := tb.run(t, job)
		d, ok := messages.RetryDelay(err)
		if !ok || messages.IsPermanent(err) || !strings.Contains(err.Error(), "throttled") {
			t.Fatalf("throttled send: %v, want RetryAfter", err)
		}
		if d < time.Second || d > 2*time.Second {
			t.Errorf("first throttle waits %s, want 1s to 2s", d)
		}
		if n := mailsTo(t, tb.ep, "a@example.org"); n != 0 {
			t.Fatalf("a@ got %d messages after a 429", n)
		}
		if tb.counted(metricThrottled) != 1 {
			t.Errorf("throttled counter %v, want 1", tb.counted(metricThrottled))
		}
		// The whole fleet runs at half rate for a minute.
		if rate, err := tb.h.limiter.current(t.Context()); err != nil || rate != 0.425 {
			t.Errorf("limiter rate after a 429: %v, %v; want 0.425", rate, err)
		}
		ttl, err := b.Client.PTTL(t.Context(), tb.h.limiter.slowKey).Result()
		if err != nil || ttl < 50*time.Second || ttl > time.Minute {
			t.Errorf("slow-down flag TTL %s, %v; want about a minute", ttl, err)
		}

		// The effect was released: the retry sends it (after the halved
		// rate's spacing, by when SES has budget again).
		if got := outcomes(tb.mustRun(t, job))["a@example.org"]; got != OutcomeSent {
			t.Fatalf("retry: %s, want sent", got)
		}
		if n := mailsTo(t, tb.ep, "a@example.org"); n != 1 {
			t.Errorf("a@ got %d messages, want 1", n)
		}
	})
}

// warm makes the handler read the account, as the first job does.
func (tb *testBundle) warm(t *testing.T) {
	t.Helper()
	if err := tb.h.refreshAccount(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
}

func setSending(t *testing.T, tb *testBundle, enabled bool) {
	t.Helper()
	if _, err := tb.ses.PutAccountSendingAttributes(t.Context(), &sesv2.PutAccountSendingAttributesInput{SendingEnabled: enabled}); err != nil {
		t.Fatal(err)
	}
}

// gateWait runs Gate.Wait in the background and reports when it returns.
func gateWait(t *testing.T, g *Gate) <-chan error {
	done := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() { done <- g.Wait(t.Context()) })
	t.Cleanup(wg.Wait)
	return done
}

func TestPausedSendingHoldsJobsAndReceives(t *testing.T) {
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		tb := setup(t, b, setupOptions{})
		first := newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: tablesData()})
		tb.mustRun(t, first)
		if err := tb.h.Gate().Wait(t.Context()); err != nil {
			t.Fatalf("Gate.Wait while sending: %v", err)
		}

		setSending(t, tb, false)
		job := newJob(t, messages.NotifyEmail{Recipients: []string{"b@example.org"}, Template: "tables-ready", TemplateData: tablesData()})
		_, err := tb.run(t, job)
		if _, ok := messages.RetryDelay(err); !ok || !strings.Contains(err.Error(), "SendingPausedException") || !strings.Contains(err.Error(), "not sending") {
			t.Fatalf("send while paused: %v, want RetryAfter saying SES paused sending", err)
		}
		if metricValue(tb.h.metrics.paused) != 1 {
			t.Error("paused gauge is not 1")
		}
		// While paused, jobs are not even tried.
		_, err = tb.run(t, job)
		if _, ok := messages.RetryDelay(err); !ok {
			t.Fatalf("job during the pause: %v, want RetryAfter", err)
		}

		done := gateWait(t, tb.h.Gate())
		select {
		case err := <-done:
			t.Fatalf("Gate.Wait returned while sending is paused: %v", err)
		case <-time.After(400 * time.Millisecond): // several polls
		}
		setSending(t, tb, true)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Gate.Wait: %v", err)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("Gate.Wait still blocks after sending was enabled again")
		}
		if metricValue(tb.h.metrics.paused) != 0 {
			t.Error("paused gauge is not 0 after the pause")
		}
		// The job's effect was released: it is sent now.
		if got := outcomes(tb.mustRun(t, job))["b@example.org"]; got != OutcomeSent {
			t.Fatalf("after the pause: %s, want sent", got)
		}
	})
}

func TestGateFindsAPauseBeforeAnyJob(t *testing.T) {
	tb := setup(t, redistest.Open(t)[0], setupOptions{})
	setSending(t, tb, false)
	done := gateWait(t, tb.h.Gate())
	select {
	case err := <-done:
		t.Fatalf("Gate.Wait returned while SES reports sending disabled: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	setSending(t, tb, true)
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Gate.Wait still blocks after sending was enabled")
	}
}

func TestGateWaitEndsWithContext(t *testing.T) {
	tb := setup(t, redistest.Open(t)[0], setupOptions{})
	tb.h.enterPause("test pause")
	ctx, cancel := context.WithTimeoutCause(t.Context(), 100*time.Millisecond, errors.New("stop"))
	defer cancel()
	// GetAccount says sending is enabled, which ends the pause: keep it by
	// pausing the account too.
	setSending(t, tb, false)
	if err := tb.h.Gate().Wait(ctx); err == nil || err.Error() != "stop" {
		t.Fatalf("Gate.Wait: %v, want the context's cause", err)
	}
}

// clock is a wall clock that tests can move forward.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time      { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) add(d time.Duration) { c.offset.Add(int64(d)) }

func TestDailyQuotaPausesUntilTheWindowFrees(t *testing.T) {
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		sesClock := &clock{}
		tb := setup(t, b, setupOptions{localaws: localaws.Config{SESMax24HourSend: 2, Now: sesClock.now}})
		job := newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org", "b@example.org", "c@example.org"}, Template: "tables-ready", TemplateData: tablesData()})
		_, err := tb.run(t, job)
		if _, ok := messages.RetryDelay(err); !ok || !strings.Contains(err.Error(), "daily sending quota") {
			t.Fatalf("over the daily quota: %v, want RetryAfter naming the quota", err)
		}
		if n := len(mailbox(t, tb.ep)); n != 2 {
			t.Fatalf("%d messages, want the 2 the quota allows", n)
		}
		done := gateWait(t, tb.h.Gate())
		select {
		case err := <-done:
			t.Fatalf("Gate.Wait returned with the quota spent: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		sesClock.add(25 * time.Hour) // the sends leave SES's 24-hour window
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Fatal("Gate.Wait still blocks after the quota window freed")
		}
		res := tb.mustRun(t, job)
		want := map[string]Outcome{"a@example.org": OutcomeAlreadySent, "b@example.org": OutcomeAlreadySent, "c@example.org": OutcomeSent}
		if d := diff(want, outcomes(res)); d != "" {
			t.Errorf("outcomes after the pause %s", d)
		}
	})
}

func TestMissingConfigurationSetIsRetryable(t *testing.T) {
	tb := setup(t, redistest.Open(t)[0], setupOptions{config: func(c *HandlerConfig) { c.ConfigurationSet = "nope" }})
	job := newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: tablesData()})
	_, err := tb.run(t, job)
	if err == nil || messages.IsPermanent(err) || !strings.Contains(err.Error(), `configuration set "nope"`) {
		t.Fatalf("missing configuration set: %v, want a retryable error naming it", err)
	}
	// Released: the effect can be claimed again.
	lease := tb.claim(t, job, time.Minute)
	c, err := tb.store.ClaimEffect(t.Context(), lease, "email:a@example.org")
	if err != nil || c.Status != idempotency.EffectAcquired {
		t.Fatalf("effect after a refused send: %v %v, want acquired", c.Status, err)
	}
}
