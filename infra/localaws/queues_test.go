package localaws_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
)

// TestQueuesViewShowsDepthAndOldestAge drives a queue through the SDK and
// reads GET /_localaws/queues: visible, in-flight and delayed counts, and
// the age of the oldest message by the endpoint's clock, which follows the
// message when SQS moves it to the dead-letter queue.
func TestQueuesViewShowsDepthAndOldestAge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	ep := localawstest.Start(t, localaws.Config{Now: clock})
	c := ep.SQS()

	dlq, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	dlqArn, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work"), Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqArn.Attributes["QueueArn"] + `","maxReceiveCount":"1"}`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	send := func(delay int32) {
		t.Helper()
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("job"), DelaySeconds: delay}); err != nil {
			t.Fatal(err)
		}
	}
	if v := getQueues(t, ep.URL); len(v.Queues) != 2 || v.Queues[0] != (localaws.QueueView{Name: "work"}) || v.Queues[1] != (localaws.QueueView{Name: "work-dlq"}) {
		t.Fatalf("empty queues: %+v", v)
	}

	send(0) // the oldest, received below
	advance(30 * time.Second)
	send(0)
	send(600)
	advance(15 * time.Second)
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 60})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("receive: %v, %d messages", err, len(got.Messages))
	}
	v := getQueues(t, ep.URL)
	want := localaws.QueueView{Name: "work", Visible: 1, InFlight: 1, Delayed: 1,
		OldestEnqueuedAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), OldestAgeSeconds: 45}
	if !v.Now.Equal(clock()) || v.Queues[0] != want {
		t.Fatalf("work queue: %+v, want %+v (now %v)", v.Queues[0], want, v.Now)
	}

	// The visibility timeout runs out; the next receive would be the
	// second one, over maxReceiveCount, so SQS moves the message to the DLQ
	// with its enqueue time.
	advance(61 * time.Second)
	if _, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60}); err != nil {
		t.Fatal(err)
	}
	v = getQueues(t, ep.URL)
	if d := v.Queues[1]; d.Visible != 1 || d.InFlight != 0 || d.OldestAgeSeconds != 106 {
		t.Fatalf("dlq after the move: %+v", d)
	}
	if w := v.Queues[0]; w.Visible != 0 || w.InFlight != 1 || w.Delayed != 1 || w.OldestAgeSeconds != 76 {
		t.Fatalf("work queue after the move: %+v", w)
	}

	resp, err := http.Post(ep.URL+"/_localaws/queues", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST /_localaws/queues: %d, want 405", resp.StatusCode)
	}
}

func getQueues(t *testing.T, url string) localaws.QueuesView {
	t.Helper()
	resp, err := http.Get(url + "/_localaws/queues")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v localaws.QueuesView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("decoding /_localaws/queues: %v", err)
	}
	return v
}
