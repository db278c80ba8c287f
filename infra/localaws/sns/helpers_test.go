package sns

import (
	"context"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// recorder is a QueueSender that keeps what it is given, standing in for
// the SQS service. Queues named in missing fail as a deleted queue does.
type recorder struct {
	mu      sync.Mutex
	sent    []delivered
	missing map[string]bool
}

type delivered struct {
	queue string
	msg   awsproto.QueueMessage
}

func (r *recorder) SendToQueue(_ context.Context, queueARN string, m awsproto.QueueMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.missing[queueARN] {
		return awsproto.Errorf(400, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "The specified queue does not exist: %s", queueARN)
	}
	r.sent = append(r.sent, delivered{queue: queueARN, msg: m})
	return nil
}

// take returns and forgets what was delivered.
func (r *recorder) take() []delivered {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sent
	r.sent = nil
	return out
}

func (r *recorder) setMissing(arn string, gone bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.missing == nil {
		r.missing = map[string]bool{}
	}
	r.missing[arn] = gone
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testBundle is a service with a recorder and a clock.
type testBundle struct {
	svc   *Service
	queue *recorder
	clock *clock
}

func setup(t testing.TB, stateDir string) *testBundle {
	t.Helper()
	h := &testBundle{queue: &recorder{}, clock: &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 456_000_000, time.UTC)}}
	svc, err := New(Config{StateDir: stateDir, Queues: h.queue, Now: h.clock.now})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	h.svc = svc
	return h
}

// do runs one query action with the given key/value pairs.
func (h *testBundle) do(action string, kv ...string) (any, *awsproto.Error) {
	return h.svc.ServeQuery(&awsproto.Call{Ctx: context.Background(), Action: action, Region: "us-east-1", RequestID: "r"}, form(kv...))
}

// must runs an action that has to succeed.
func (h *testBundle) must(t testing.TB, action string, kv ...string) any {
	t.Helper()
	out, e := h.do(action, kv...)
	if e != nil {
		t.Fatalf("%s: %v", action, e)
	}
	return out
}

// fails runs an action that has to fail with code and message.
func (h *testBundle) fails(t testing.TB, code, message, action string, kv ...string) {
	t.Helper()
	_, e := h.do(action, kv...)
	if e == nil {
		t.Fatalf("%s succeeded, want %s %q", action, code, message)
	}
	if e.Code != code || (message != "" && e.Message != message) {
		t.Fatalf("%s = %s %q\nwant %s %q", action, e.Code, e.Message, code, message)
	}
}

func form(kv ...string) awsproto.Form {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return awsproto.Form{Values: v}
}

func (h *testBundle) createTopic(t testing.TB, name string, kv ...string) string {
	t.Helper()
	return h.must(t, "CreateTopic", append([]string{"Name", name}, kv...)...).(*createTopicResult).TopicArn
}

func (h *testBundle) subscribe(t testing.TB, topicARN, queue string, kv ...string) string {
	t.Helper()
	out := h.must(t, "Subscribe", append([]string{"TopicArn", topicARN, "Protocol", "sqs", "Endpoint", queueARNOf(queue)}, kv...)...)
	return out.(*subscribeResult).SubscriptionArn
}

func (h *testBundle) publish(t testing.TB, topicARN string, kv ...string) *publishResult {
	t.Helper()
	return h.must(t, "Publish", append([]string{"TopicArn", topicARN}, kv...)...).(*publishResult)
}

func queueARNOf(name string) string { return "arn:aws:sqs:us-east-1:000000000000:" + name }

func topicARNOf(name string) string { return "arn:aws:sns:us-east-1:000000000000:" + name }
