package notify

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/redis/go-redis/v9"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/messages"
)

// fleetLongEnv switches on the 30-second fleet measurement.
const fleetLongEnv = "QUARRY_TEST_NOTIFY_LONG"

// TestFleetWideSendRate runs 8 handlers, each with its own Redis client
// (as 8 worker processes would have), sending to the mailbox simulator as
// fast as they are let through, against an SES account limited to 20
// recipients a second: together they must never send faster than the
// limiter's rate and never be throttled. The short run (3 s, always on)
// checks that ceiling with 10 % allowed; how close the fleet comes to the
// rate depends on how fast the machine runs the handlers, so the floor is
// checked only by the long run (QUARRY_TEST_NOTIFY_LONG=1: 30 s, within
// 5 % both ways), on a machine that is not busy with other work.
func TestFleetWideSendRate(t *testing.T) {
	window, tolerance, floor := 3*time.Second, 0.10, false
	if os.Getenv(fleetLongEnv) != "" {
		window, tolerance, floor = 30*time.Second, 0.05, true
	}
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		// Eight handlers, each sending one job after another: enough that
		// the shared rate, not one handler's Redis and SES round trips on
		// a loaded machine, bounds what the fleet sends.
		measureFleet(t, b, 8, window, tolerance, floor)
	})
}

// statusCounter counts HTTP 429 answers.
type statusCounter struct {
	next      http.RoundTripper
	throttled *atomic.Int64
}

func (s statusCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		s.throttled.Add(1)
	}
	return resp, err
}

func measureFleet(t *testing.T, b redistest.Backend, workers int, window time.Duration, tolerance float64, floor bool) {
	const sesRate = 20.0
	limit := sesRate * DefaultSendRateFraction
	ep := localawstest.Start(t, localaws.Config{SESMaxSendRate: sesRate})
	ses := ep.SES()
	if _, err := ses.CreateEmailIdentity(t.Context(), &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("example.com")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ses.CreateConfigurationSet(t.Context(), &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String(DefaultConfigurationSet)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteRateKeys(t, b.Client, b.Prefix) })

	var throttled atomic.Int64
	opts := b.Client.(*redis.Client).Options()
	start := time.Now()
	deadline := start.Add(window)
	ctx, cancel := context.WithDeadline(t.Context(), deadline)
	defer cancel()
	var wg sync.WaitGroup
	handlers := make([]*Handler, workers)
	for i := range workers {
		copied := *opts
		client := redis.NewClient(&copied)
		defer client.Close()
		store := idempotency.NewStore(client, b.Prefix)
		h, err := NewHandler(HandlerConfig{
			SES: sesv2.NewFromConfig(ep.Config, func(o *sesv2.Options) {
				o.HTTPClient = &http.Client{Transport: statusCounter{next: http.DefaultTransport, throttled: &throttled}}
			}),
			Blobs:        infra.NewBlobStore(ep.S3(), "unused"),
			Suppressions: &memSuppressions{reasons: map[string][]string{}},
			Effects:      store, Redis: client, Prefix: b.Prefix, From: testFrom,
		})
		if err != nil {
			t.Fatal(err)
		}
		handlers[i] = h
		wg.Go(func() {
			for n := 0; ctx.Err() == nil; n++ {
				if err := sendSimulatorJob(ctx, h, store, fmt.Sprintf("w%dj%d", i, n)); err != nil && ctx.Err() == nil {
					t.Errorf("worker %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()

	// Count what SES accepted in the measured window, after a short
	// warm-up, so the rate is the steady one the fleet keeps.
	from, to := start.Add(500*time.Millisecond), deadline
	box := mailbox(t, ep)
	n := 0
	for _, m := range box {
		if !m.Timestamp.Before(from) && m.Timestamp.Before(to) {
			n++
		}
	}
	rate := float64(n) / to.Sub(from).Seconds()
	t.Logf("%s: %d handlers, %d sends in %s (%d in all): %.2f/s against a limiter rate of %.2f/s (%+.1f%%); %d answered 429",
		b.Name, workers, n, to.Sub(from), len(box), rate, limit, 100*(rate-limit)/limit, throttled.Load())
	if rate > limit*(1+tolerance) {
		t.Errorf("fleet rate %.2f/s is more than %.0f%% over %.2f/s", rate, 100*tolerance, limit)
	}
	if floor && rate < limit*(1-tolerance) {
		t.Errorf("fleet rate %.2f/s is more than %.0f%% under %.2f/s", rate, 100*tolerance, limit)
	}
	if throttled.Load() != 0 {
		t.Errorf("SES answered 429 %d times", throttled.Load())
	}
	for i, h := range handlers {
		if got := metricValue(h.metrics.recipients.WithLabelValues(metricThrottled)); got != 0 {
			t.Errorf("handler %d counted %v throttled sends", i, got)
		}
	}
}

// sendSimulatorJob runs one job to five simulator addresses as the worker
// runtime would: claim, handle, complete.
func sendSimulatorJob(ctx context.Context, h *Handler, store *idempotency.Store, tag string) error {
	var rcpts []string
	for k := range 5 {
		rcpts = append(rcpts, fmt.Sprintf("success+%s-%d@simulator.amazonses.com", tag, k))
	}
	job, err := messages.NewJob(messages.TypeNotifyEmail, messages.NotifyEmail{Recipients: rcpts, Template: "tables-ready", TemplateData: tablesData()})
	if err != nil {
		return err
	}
	c, err := store.ClaimJob(ctx, job, time.Minute)
	if err != nil {
		return err
	}
	res, err := h.Handle(idempotency.WithLease(ctx, c.Lease), job)
	if err != nil {
		return fmt.Errorf("job %s: %w", job.ID, err)
	}
	return store.Complete(ctx, c.Lease, res, 0)
}
