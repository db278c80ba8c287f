package workers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/workers"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// The SDK's and net/http's idle keep-alive connections outlive a test.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

// testBundle is what a runner test works with: an endpoint, a queue with its DLQ,
// a claim store on its own key prefix.
type testBundle struct {
	ep     *localawstest.Endpoint
	sqs    *sqs.Client
	queue  string
	dlq    string
	claims *idempotency.Store
	redis  redistest.Backend // the real Redis when configured, else miniredis
	// logs, when set, gets the runner's log lines as well as the test log.
	logs io.Writer
}

func setup(t testing.TB, cfg localaws.Config, visibility int, maxReceive int) *testBundle {
	t.Helper()
	ctx := context.Background()
	ep := localawstest.Start(t, cfg)
	c := ep.SQS()
	dlq, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	dlqAttrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl, AttributeNames: []types.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs"), Attributes: map[string]string{
		"VisibilityTimeout": fmt.Sprint(visibility),
		"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, dlqAttrs.Attributes["QueueArn"], maxReceive),
	}})
	if err != nil {
		t.Fatal(err)
	}
	backends := redistest.Open(t)
	be := backends[len(backends)-1]
	return &testBundle{ep: ep, sqs: c, queue: aws.ToString(q.QueueUrl), dlq: aws.ToString(dlq.QueueUrl),
		claims: idempotency.NewStore(be.Client, be.Prefix), redis: be}
}

func (b *testBundle) send(t testing.TB, bodies ...string) {
	t.Helper()
	for start := 0; start < len(bodies); start += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for i, body := range bodies[start:min(start+10, len(bodies))] {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(body)})
		}
		out, err := b.sqs.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(b.queue), Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("SendMessageBatch: %v %+v", err, out)
		}
	}
}

func job(t testing.TB, typ string, payload any) messages.Job {
	t.Helper()
	j, err := messages.NewJob(typ, payload)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func encode(t testing.TB, j messages.Job) string {
	t.Helper()
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// start runs a runner until the test ends (or stop is called) and returns stop.
func (b *testBundle) start(t testing.TB, cfg workers.Config) (stop func()) {
	t.Helper()
	cfg.SQS = b.sqs
	cfg.QueueURL = b.queue
	if cfg.Claims == nil {
		cfg.Claims = b.claims
	}
	var w io.Writer = zerolog.NewTestWriter(t)
	if b.logs != nil {
		w = io.MultiWriter(w, b.logs)
	}
	cfg.Logger = zerolog.New(w).Level(zerolog.InfoLevel)
	if cfg.WaitTime == 0 {
		cfg.WaitTime = time.Second
	}
	r, err := workers.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("runner did not stop within 30s")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *testBundle) queueDepth(t testing.TB, url string) (visible, inflight int) {
	t.Helper()
	out, err := b.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"All"},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fmt.Sscan(out.Attributes["ApproximateNumberOfMessages"], &visible)
	_, _ = fmt.Sscan(out.Attributes["ApproximateNumberOfMessagesNotVisible"], &inflight)
	return visible, inflight
}

func (b *testBundle) drained(t testing.TB) bool {
	v, f := b.queueDepth(t, b.queue)
	return v == 0 && f == 0
}

var notifyPayload = messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready"}

func TestDuplicateDeliveriesNeverRunAHandlerTwice(t *testing.T) {
	b := setup(t, localaws.Config{Faults: localaws.Faults{DuplicateRate: 0.2}}, 30, 5)
	const n = 300
	var bodies []string
	for range n {
		bodies = append(bodies, encode(t, job(t, messages.TypeNotifyEmail, notifyPayload)))
	}
	b.send(t, bodies...)

	var mu sync.Mutex
	runs := map[string]int{}
	var total atomic.Int64
	reg := prometheus.NewRegistry()
	metrics := workers.NewMetrics(reg)
	// Two receive loops, so their receives interleave with the copies.
	b.start(t, workers.Config{Concurrency: 16, Receivers: 2, Metrics: metrics, Handlers: map[string]workers.Handler{
		messages.TypeNotifyEmail: workers.HandlerFunc(func(ctx context.Context, j messages.Job) ([]byte, error) {
			mu.Lock()
			runs[j.ID]++
			mu.Unlock()
			total.Add(1)
			return []byte("sent"), nil
		}),
	}})
	waitFor(t, 60*time.Second, "every job to run and the queue to drain", func() bool { return total.Load() >= n && b.drained(t) })
	mu.Lock()
	defer mu.Unlock()
	if len(runs) != n {
		t.Fatalf("%d distinct jobs ran, want %d", len(runs), n)
	}
	for id, c := range runs {
		if c != 1 {
			t.Errorf("job %s ran %d times", id, c)
		}
	}
	if got := counter(t, reg, "quarry_duplicates_skipped_total"); got == 0 {
		t.Errorf("no duplicates were skipped although localaws delivered 20%% twice")
	}
}

// TestEveryFinishedJobLogsOneInfoLine: a job that succeeds and one that is
// dead-lettered each end with one line naming the job, its stage, attempt,
// duration and outcome.
func TestEveryFinishedJobLogsOneInfoLine(t *testing.T) {
	b := setup(t, localaws.Config{}, 30, 5)
	var logs lockedBuffer
	b.logs = &logs
	ok, bad := job(t, messages.TypeNotifyEmail, notifyPayload), job(t, messages.TypeNotifyEmail, notifyPayload)
	b.send(t, encode(t, ok), encode(t, bad))
	b.start(t, workers.Config{Role: "notify", Handlers: map[string]workers.Handler{
		messages.TypeNotifyEmail: workers.HandlerFunc(func(ctx context.Context, j messages.Job) ([]byte, error) {
			if j.ID == bad.ID {
				return nil, messages.Permanent(errors.New("no such template"))
			}
			return nil, nil
		}),
	}})
	type line struct {
		Level, Message, Outcome, Role, JobID, JobType, MessageID string
		Attempt                                                  int
		Duration                                                 *float64
	}
	finished := func() map[string]line {
		out := map[string]line{}
		for _, raw := range strings.Split(logs.String(), "\n") {
			var l struct {
				Level     string   `json:"level"`
				Message   string   `json:"message"`
				Outcome   string   `json:"outcome"`
				Role      string   `json:"role"`
				JobID     string   `json:"job_id"`
				JobType   string   `json:"job_type"`
				MessageID string   `json:"message_id"`
				Attempt   int      `json:"attempt"`
				Duration  *float64 `json:"duration"`
			}
			if json.Unmarshal([]byte(raw), &l) == nil && l.Outcome != "" {
				out[l.JobID+" "+l.Outcome] = line(l)
			}
		}
		return out
	}
	waitFor(t, 15*time.Second, "both jobs to finish", func() bool { return len(finished()) == 2 })
	lines := finished()
	done, dead := lines[ok.ID+" done"], lines[bad.ID+" dead_lettered"]
	if done.Level != "info" || done.Role != "notify" || done.JobType != messages.TypeNotifyEmail || done.Attempt != 1 || done.MessageID == "" || done.Duration == nil {
		t.Errorf("done line: %+v", done)
	}
	if dead.Level != "error" || dead.Duration == nil || dead.Attempt != 1 {
		t.Errorf("dead-lettered line: %+v", dead)
	}
}

// lockedBuffer is a bytes.Buffer safe for the runner's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLongHandlerIsNotRedelivered(t *testing.T) {
	b := setup(t, localaws.Config{}, 3, 5)
	b.send(t, encode(t, job(t, messages.TypeNotifyEmail, notifyPayload)))
	var runs atomic.Int64
	done := make(chan struct{})
	reg := prometheus.NewRegistry()
	metrics := workers.NewMetrics(reg)
	b.start(t, workers.Config{Concurrency: 2, Metrics: metrics, Handlers: map[string]workers.Handler{
		messages.TypeNotifyEmail: workers.HandlerFunc(func(ctx context.Context, j messages.Job) ([]byte, error) {
			runs.Add(1)
			if zerolog.Ctx(ctx).GetLevel() == zerolog.Disabled {
				t.Error("handler context carries no logger")
			}
			select {
			case <-time.After(15 * time.Second): // 5× the visibility timeout
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			close(done)
			return nil, nil
		}),
	}})
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("long job did not finish")
	}
	waitFor(t, 10*time.Second, "queue to drain", func() bool { return b.drained(t) })
	if got := counter(t, reg, "quarry_messages_received_total"); got != 1 {
		t.Fatalf("message received %v times, want 1 (the heartbeat must keep it invisible)", got)
	}
	if runs.Load() != 1 {
		t.Fatalf("handler ran %d times", runs.Load())
	}
}

func TestKilledWorkersJobIsTakenOverAfterItsLease(t *testing.T) {
	ctx := context.Background()
	b := setup(t, localaws.Config{}, 2, 5)
	j := job(t, messages.TypeNotifyEmail, notifyPayload)
	b.send(t, encode(t, j))

	// A worker receives the job, claims it with a 3 s lease, and dies: no
	// heartbeat, no release, no delete.
	got, err := b.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(b.queue), WaitTimeSeconds: 1})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("receive: %v %+v", err, got)
	}
	// The lease starts inside Claim, so no earlier than claimedAt: a
	// run before claimedAt+3s would be inside it.
	claimedAt := time.Now()
	dead, err := b.claims.Claim(ctx, j.IdempotencyKey, messages.PayloadHash(j), 3*time.Second)
	if err != nil || dead.Status != idempotency.StatusAcquired {
		t.Fatalf("dead worker's claim: %+v %v", dead, err)
	}
	if !b.redis.Real() {
		// miniredis's clock moves only when told: let the lease lapse now.
		b.redis.Advance(t, 3*time.Second)
	}

	ran := make(chan time.Time, 1)
	b.start(t, workers.Config{Concurrency: 1, Handlers: map[string]workers.Handler{
		messages.TypeNotifyEmail: workers.HandlerFunc(func(ctx context.Context, j messages.Job) ([]byte, error) {
			ran <- time.Now()
			return nil, nil
		}),
	}})
	select {
	case at := <-ran:
		if b.redis.Real() && at.Sub(claimedAt) < 3*time.Second {
			t.Fatalf("job ran %v after the dead worker's claim, before its 3s lease expired", at.Sub(claimedAt))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("job was not taken over")
	}
	// The dead worker's lease is fenced off: it cannot complete the job now.
	if err := b.claims.Complete(ctx, dead.Lease, nil, time.Hour); !errors.Is(err, idempotency.ErrNotOwner) && !errors.Is(err, idempotency.ErrLeaseLost) {
		t.Fatalf("stale owner's Complete = %v, want refused", err)
	}
	waitFor(t, 10*time.Second, "queue to drain", func() bool { return b.drained(t) })
}

func TestPermanentErrorGoesToTheDLQWithItsReason(t *testing.T) {
	b := setup(t, localaws.Config{}, 30, 5)
	j := job(t, messages.TypeNotifyEmail, notifyPayload)
	b.send(t, encode(t, j))
	b.start(t, workers.Config{Role: "notify", Handlers: map[string]workers.Handler{
		messages.TypeNotifyEmail: workers.HandlerFunc(func(ctx context.Context, j messages.Job) ([]byte, error) {
			return nil, fmt.Errorf("rendering: %w", messages.Permanent(errors.New(`template "tables-ready" not found`)))
		}),
	}})
	m := b.receiveDLQ(t)
	if aws.ToString(m.Body) != encode(t, j) {
		t.Errorf("DLQ body = %s", aws.ToString(m.Body))
	}
	reason := aws.ToString(m.MessageAttributes[workers.AttrError].StringValue)
	if !strings.Contains(reason, `template "tables-ready" not found`) || !strings.HasPrefix(reason, "permanent") {
		t.Errorf("reason = %q", reason)
	}
	if s := aws.ToString(m.MessageAttributes[workers.AttrStage].StringValue); s != "notify" {
		t.Errorf("stage = %q", s)
	}
	if c := aws.ToString(m.MessageAttributes[workers.AttrReceiveCount].StringValue); c != "1" {
		t.Errorf("receive count = %q", c)
	}
	if _, err := time.Parse(time.RFC3339Nano, aws.ToString(m.MessageAttributes[workers.AttrFirstSeen].StringValue)); err != nil {
		t.Errorf("first seen: %v", err)
	}
	if typ := aws.ToString(m.MessageAttributes[messages.AttrJobType].StringValue); typ != messages.TypeNotifyEmail {
		t.Errorf("job type attribute = %q, want %q", typ, messages.TypeNotifyEmail)
	}
	waitFor(t, 5*time.Second, "source queue to drain", func() bool { return b.drained(t) })
}

func (b *testBundle) receiveDLQ(t *testing.T) types.Message {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		out, err := b.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(b.dlq), WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"}, VisibilityTimeout: 60,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) > 0 {
			return out.Messages[0]
		}
	}
	t.Fatal("nothing arrived in the DLQ")
	return types.Message{}
}

func TestBadMessagesGoToTheDLQAndTheWorkerKeepsGoing(t *testing.T) {
	b := setup(t, localaws.Config{}, 30, 5)
	missingField := encode(t, job(t, messages.TypeNotifyEmail, notifyPayload))
	missingField = strings.Replace(missingField, `"type":"notify.email"`, `"type":""`, 1)
	bad := map[string]string{
		"not json":      `this is not json`,
		"unknown type":  strings.Replace(encode(t, job(t, messages.TypeNotifyEmail, notifyPayload)), `"type":"notify.email"`, `"type":"paint.fence"`, 1),
		"missing field": missingField,
		"oversized":     strings.Replace(encode(t, job(t, messages.TypeNotifyEmail, notifyPayload)), `"template":"tables-ready"`, `"template":"tables-ready","subject":"`+strings.Repeat("x", 300_000)+`"`, 1),
		"empty object":  `{}`,
	}
	for _, body := range bad {
		b.send(t, body)
	}
	good := job(t, messages.TypeNotifyEmail, notifyPayload)
	b.send(t, encode(t, good))
	ran := make(chan string, 10)
	b.start(t, workers.Config{Handlers: map[string]workers.Handler{
		messages.TypeNotifyEmail: workers.HandlerFunc(func(ctx context.Context, j messages.Job) ([]byte, error) {
			ran <- j.ID
			return nil, nil
		}),
	}})
	select {
	case id := <-ran:
		if id != good.ID {
			t.Fatalf("handler ran for %s, want only the good job %s", id, good.ID)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the good job did not run")
	}
	reasons := map[string]bool{}
	for range bad {
		m := b.receiveDLQ(t)
		r := aws.ToString(m.MessageAttributes[workers.AttrError].StringValue)
		if r == "" {
			t.Errorf("DLQ message without a reason: %s", aws.ToString(m.Body))
		}
		reasons[aws.ToString(m.Body)] = true
	}
	for name, body := range bad {
		if !reasons[body] {
			t.Errorf("%s message did not reach the DLQ", name)
		}
	}
}

func TestRetryDelaysGrow(t *testing.T) {
	b := setup(t, localaws.Config{}, 30, 10)
	b.send(t, encode(t, job(t, messages.TypeNotifyEmail, notifyPayload)))
	var mu sync.Mutex
	var at []time.Time
	b.start(t, workers.Config{
		Backoff: workers.Backoff{Base: time.Second, Min: time.Second, Jitter: func() float64 { return 0.999 }},
		Handlers: map[string]workers.Handler{
			messages.TypeNotifyEmail: workers.HandlerFunc(func(ctx context.Context, j messages.Job) ([]byte, error) {
				mu.Lock()
				at = append(at, time.Now())
				mu.Unlock()
				return nil, errors.New("SES is having a bad day")
			}),
		},
	})
	waitFor(t, 20*time.Second, "four attempts", func() bool { mu.Lock(); defer mu.Unlock(); return len(at) >= 4 })
	mu.Lock()
	defer mu.Unlock()
	var gaps []time.Duration
	for i := 1; i < len(at); i++ {
		gaps = append(gaps, at[i].Sub(at[i-1]))
	}
	// Ceilings 1s, 2s, 4s (SQS visibility has whole-second resolution).
	for i := 1; i < len(gaps); i++ {
		if gaps[i] <= gaps[i-1] {
			t.Fatalf("retry gaps %v do not grow", gaps)
		}
	}
	if gaps[0] < 900*time.Millisecond {
		t.Fatalf("first retry came back after %v: retries must never be immediate", gaps[0])
	}
}

func TestShutdownDrainsAndGivesBackTheRest(t *testing.T) {
	ctx := context.Background()
	b := setup(t, localaws.Config{}, 30, 5)
	quick := job(t, messages.TypeNotifyEmail, notifyPayload)
	stuck := job(t, messages.TypeExtractTables, messages.ExtractTables{PDFKey: "jobs/x/doc.pdf"})
	b.send(t, encode(t, quick), encode(t, stuck))
	started := make(chan struct{}, 2)
	stop := b.start(t, workers.Config{SoftStopTimeout: 500 * time.Millisecond, Handlers: map[string]workers.Handler{
		messages.TypeNotifyEmail: workers.HandlerFunc(func(ctx context.Context, j messages.Job) ([]byte, error) {
			started <- struct{}{}
			time.Sleep(100 * time.Millisecond) // finishes within the soft-stop budget
			return nil, nil
		}),
		messages.TypeExtractTables: workers.HandlerFunc(func(ctx context.Context, j messages.Job) ([]byte, error) {
			started <- struct{}{}
			<-ctx.Done() // never finishes on its own
			return nil, context.Cause(ctx)
		}),
	}})
	<-started
	<-started
	begin := time.Now()
	stop()
	if took := time.Since(begin); took > 5*time.Second {
		t.Fatalf("shutdown took %v", took)
	}
	// The stuck job is visible again at once and its claim is free.
	out, err := b.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(b.queue), WaitTimeSeconds: 1, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || !strings.Contains(aws.ToString(out.Messages[0].Body), stuck.ID) {
		t.Fatalf("after shutdown the queue holds %d messages, want only the stuck job", len(out.Messages))
	}
	c, err := b.claims.Claim(ctx, stuck.IdempotencyKey, messages.PayloadHash(stuck), time.Second)
	if err != nil || c.Status != idempotency.StatusAcquired {
		t.Fatalf("stuck job's claim after shutdown: %+v %v, want it released", c, err)
	}
	q, err := b.claims.Claim(ctx, quick.IdempotencyKey, messages.PayloadHash(quick), time.Second)
	if err != nil || q.Status != idempotency.StatusCompleted {
		t.Fatalf("quick job's claim after shutdown: %+v %v, want completed", q, err)
	}
}

// counter sums every series of a counter family.
func counter(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range fams {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// gate is a workers.Gate that holds receives until opened.
type gate struct {
	open  chan struct{}
	waits atomic.Int32
}

func (g *gate) Wait(ctx context.Context) error {
	g.waits.Add(1)
	select {
	case <-g.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestGateHoldsJobsInTheQueueAndHandlersSeeTheirLease(t *testing.T) {
	b := setup(t, localaws.Config{}, 30, 3)
	j := job(t, messages.TypeNotifyEmail, notifyPayload)
	b.send(t, encode(t, j))
	g := &gate{open: make(chan struct{})}
	leases := make(chan *idempotency.Lease, 1)
	b.start(t, workers.Config{Role: "notify", Gate: g, Handlers: map[string]workers.Handler{
		messages.TypeNotifyEmail: workers.HandlerFunc(func(ctx context.Context, j messages.Job) ([]byte, error) {
			leases <- idempotency.LeaseFrom(ctx)
			return nil, nil
		}),
	}})
	waitFor(t, 5*time.Second, "the runner to wait on its gate", func() bool { return g.waits.Load() > 0 })
	time.Sleep(300 * time.Millisecond)
	if v, f := b.queueDepth(t, b.queue); v != 1 || f != 0 {
		t.Fatalf("while the gate is shut: %d visible, %d in flight; want the job left in the queue", v, f)
	}
	close(g.open)
	select {
	case l := <-leases:
		if l == nil || l.Key != j.IdempotencyKey {
			t.Fatalf("lease in the handler's context = %+v, want one on %q", l, j.IdempotencyKey)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the job did not run after the gate opened")
	}
	waitFor(t, 5*time.Second, "queue to drain", func() bool { return b.drained(t) })
}

// Copies of one job received together run it once: the copies wait for
// the run in this runner and are acknowledged as duplicates, without going
// back to the queue as "in progress elsewhere" and without a claim of their
// own (the run they waited for completed the job).
func TestCopiesReceivedTogetherRunOnce(t *testing.T) {
	b := setup(t, localaws.Config{}, 30, 5)
	j := job(t, messages.TypeNotifyEmail, notifyPayload)
	other := job(t, messages.TypeNotifyEmail, notifyPayload)
	body := encode(t, j)
	b.send(t, body, body, body, encode(t, other), body, body)

	var mu sync.Mutex
	runs := map[string]int{}
	reg := prometheus.NewRegistry()
	claims := &countingClaims{Claims: b.claims}
	b.start(t, workers.Config{Concurrency: 10, Claims: claims, Metrics: workers.NewMetrics(reg), Handlers: map[string]workers.Handler{
		messages.TypeNotifyEmail: workers.HandlerFunc(func(ctx context.Context, j messages.Job) ([]byte, error) {
			mu.Lock()
			runs[j.ID]++
			mu.Unlock()
			time.Sleep(100 * time.Millisecond) // the copies arrive while it runs
			return nil, nil
		}),
	}})
	waitFor(t, 20*time.Second, "the queue to drain", func() bool { return b.drained(t) })
	mu.Lock()
	defer mu.Unlock()
	if runs[j.ID] != 1 || runs[other.ID] != 1 || len(runs) != 2 {
		t.Fatalf("runs %v, want each job once", runs)
	}
	if got := counter(t, reg, "quarry_duplicates_skipped_total"); got != 4 {
		t.Errorf("%v duplicates skipped, want the 4 copies", got)
	}
	if got := counter(t, reg, "quarry_jobs_retried_total"); got != 0 {
		t.Errorf("%v retries, want none: the copies wait for the local run", got)
	}
	if got := claims.requests.Load(); got != 2 {
		t.Errorf("%d claim requests, want 2 (one per job, none for the copies)", got)
	}
}

// countingClaims counts the jobs the runner asks to claim.
type countingClaims struct {
	workers.Claims
	requests atomic.Int64
}

func (c *countingClaims) ClaimBatch(ctx context.Context, reqs []idempotency.ClaimRequest, ttl time.Duration) []idempotency.ClaimResult {
	c.requests.Add(int64(len(reqs)))
	return c.Claims.ClaimBatch(ctx, reqs, ttl)
}

// While Redis does not answer no job runs unguarded: each delivery is
// given back to the queue with a backoff, and runs once Redis is back.
func TestJobsWaitInTheQueueWhileRedisIsDown(t *testing.T) {
	b := setup(t, localaws.Config{}, 30, 50)
	mini := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: mini.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	b.claims = idempotency.NewStore(client, "down:")
	mini.Close()

	j := job(t, messages.TypeNotifyEmail, notifyPayload)
	b.send(t, encode(t, j))
	var ran atomic.Int32
	reg := prometheus.NewRegistry()
	b.start(t, workers.Config{Concurrency: 4, Metrics: workers.NewMetrics(reg), Backoff: workers.Backoff{Base: time.Second, Max: time.Second},
		Handlers: map[string]workers.Handler{
			messages.TypeNotifyEmail: workers.HandlerFunc(func(ctx context.Context, j messages.Job) ([]byte, error) {
				ran.Add(1)
				return nil, nil
			}),
		}})
	waitFor(t, 10*time.Second, "a claim to fail and the delivery to be given back", func() bool {
		return counter(t, reg, "quarry_jobs_retried_total") >= 1
	})
	if ran.Load() != 0 {
		t.Fatal("the handler ran without a claim")
	}
	if v, f := b.queueDepth(t, b.queue); v+f != 1 {
		t.Fatalf("queue holds %d visible + %d in flight, want the one job", v, f)
	}
	if v, f := b.queueDepth(t, b.dlq); v+f != 0 {
		t.Fatalf("DLQ holds %d messages, want none", v+f)
	}

	if err := mini.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the job to run once Redis is back", func() bool { return ran.Load() == 1 && b.drained(t) })
}

// BenchmarkDrain drains b.N no-op jobs from a queue of the embedded
// endpoint that delivers 20 % of receives twice, with the runtime
// (concurrency 64, as quarry bench runtime) and, for comparison in the
// same run, with a bare loop of ReceiveMessage(10) + DeleteMessageBatch;
// both report msgs/s. Redis is the one at QUARRY_TEST_REDIS_URL, else
// miniredis.
//
//	QUARRY_TEST_REDIS_URL=redis://127.0.0.1:6379/0 go test -run '^$' -bench Drain -benchtime 20000x ./workers/
func BenchmarkDrain(b *testing.B) {
	payload := messages.NotifyEmail{Recipients: []string{"bench@example.org"}, Template: "noop"}
	fill := func(bd *testBundle, n int) {
		bodies := make([]string, n)
		for i := range bodies {
			bodies[i] = encode(b, job(b, messages.TypeNotifyEmail, payload))
		}
		bd.send(b, bodies...)
	}
	b.Run("runtime", func(b *testing.B) {
		bd := setup(b, localaws.Config{Faults: localaws.Faults{DuplicateRate: 0.2}}, 60, 5)
		fill(bd, b.N)
		var done atomic.Int64
		handler := workers.HandlerFunc(func(context.Context, messages.Job) ([]byte, error) {
			done.Add(1)
			return nil, nil
		})
		b.ResetTimer()
		stop := bd.start(b, workers.Config{Concurrency: 64, Handlers: map[string]workers.Handler{messages.TypeNotifyEmail: handler}})
		for done.Load() < int64(b.N) || !bd.drained(b) {
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		stop()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("bare", func(b *testing.B) {
		bd := setup(b, localaws.Config{Faults: localaws.Faults{DuplicateRate: 0.2}}, 60, 5)
		fill(bd, b.N)
		ctx := context.Background()
		b.ResetTimer()
		for got := 0; got < b.N || !bd.drained(b); {
			out, err := bd.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(bd.queue), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
			if err != nil {
				b.Fatal(err)
			}
			if len(out.Messages) == 0 {
				continue
			}
			entries := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
			for i, m := range out.Messages {
				entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle}
			}
			if _, err := bd.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(bd.queue), Entries: entries}); err != nil {
				b.Fatal(err)
			}
			got += len(out.Messages)
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
}
