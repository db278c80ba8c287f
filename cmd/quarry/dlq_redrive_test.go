package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/workers"
)

// depth is a queue's visible plus in-flight messages.
func depth(t *testing.T, c *sqs.Client, url string) int {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	b, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return a + b
}

// runWorker runs a real runner of role on queue, its handler h for
// jobType, until until() holds or within has passed, then stops it and
// fails the test on a runner error. until is checked every 50 ms.
func runWorker(t *testing.T, c *sqs.Client, queue, role, jobType string, h workers.Handler, within time.Duration, until func() bool) {
	t.Helper()
	runner, err := workers.New(workers.Config{
		SQS: c, QueueURL: queue, Role: role, WaitTime: time.Second,
		Claims:   idempotency.NewStore(redistest.Client(t), redistest.Prefix(t)),
		Handlers: map[string]workers.Handler{jobType: h},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx) }()
	deadline := time.Now().Add(within)
	for !until() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// failsForGood is a handler whose every job fails permanently, as a
// notify job naming a template that does not exist does.
var failsForGood = workers.HandlerFunc(func(ctx context.Context, j messages.Job) ([]byte, error) {
	return nil, messages.Permanent(errors.New(`template "missing-template" not found`))
})

type redriveFixture struct {
	ep           *localawstest.Endpoint
	env          *awsEnv
	queue, dlq   string
	sqs          *sqs.Client
	role, jobTyp string
}

func newRedriveFixture(t *testing.T) *redriveFixture {
	ep := localawstest.Start(t, localaws.Config{})
	runQuarry(t, "infra", "apply", "--endpoint-url", ep.URL)
	clients := infra.NewClients(ep.Config)
	f := &redriveFixture{ep: ep, env: &awsEnv{clients: clients, topology: infra.DefaultTopology()}, sqs: clients.SQS,
		role: "notify", jobTyp: messages.TypeNotifyEmail}
	var err error
	if f.queue, err = f.env.queueURL(context.Background(), f.role); err != nil {
		t.Fatal(err)
	}
	if f.dlq, err = f.env.dlqURL(context.Background(), f.role); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *redriveFixture) publish(t *testing.T, n int) {
	for i := range n {
		runQuarry(t, "publish", f.jobTyp, "--endpoint-url", f.ep.URL,
			"--payload", fmt.Sprintf(`{"recipients":["a%d@example.org"],"template":"missing-template"}`, i))
	}
}

// deadLetterByWorker runs the role's worker with a handler that fails
// every job permanently until the DLQ holds n messages: the worker sends
// them there itself (SendMessage), so they carry no DeadLetterQueueSourceArn.
func (f *redriveFixture) deadLetterByWorker(t *testing.T, n int) {
	t.Helper()
	runWorker(t, f.sqs, f.queue, f.role, f.jobTyp, failsForGood, 20*time.Second, func() bool { return depth(t, f.sqs, f.dlq) >= n })
	if d := depth(t, f.sqs, f.dlq); d != n {
		t.Fatalf("the worker dead-lettered %d messages, want %d", d, n)
	}
}

// deadLetterBySQS receives every message of the queue maxReceiveCount
// times without deleting it, so SQS's redrive policy moves it to the DLQ.
func (f *redriveFixture) deadLetterBySQS(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	q, _ := f.env.topology.Queue(f.role)
	for i := 0; i < 10*(q.MaxReceiveCount+1) && depth(t, f.sqs, f.dlq) < n; i++ {
		got, err := f.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(f.queue), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		// Give each back at once (a zero VisibilityTimeout on receive is
		// not sent: the SDK leaves zero fields out).
		for _, m := range got.Messages {
			if _, err := f.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
				QueueUrl: aws.String(f.queue), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0,
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if d := depth(t, f.sqs, f.dlq); d != n {
		t.Fatalf("SQS moved %d messages to the DLQ, want %d", d, n)
	}
}

func (f *redriveFixture) redriveAll(t *testing.T, n int) {
	t.Helper()
	out := runQuarry(t, "dlq", "redrive", f.role, "--endpoint-url", f.ep.URL)
	if !strings.Contains(out, fmt.Sprintf("moved %d messages", n)) {
		t.Fatalf("redrive output: %s", out)
	}
	if d := depth(t, f.sqs, f.dlq); d != 0 {
		t.Errorf("the DLQ holds %d messages after the redrive", d)
	}
	if d := depth(t, f.sqs, f.queue); d != n {
		t.Errorf("the queue holds %d messages after the redrive, want %d", d, n)
	}
}

func TestRedriveWithoutFlagsReturnsWhatTheWorkerDeadLettered(t *testing.T) {
	t.Parallel()
	f := newRedriveFixture(t)
	f.publish(t, 3)
	f.deadLetterByWorker(t, 3)
	f.redriveAll(t, 3)
}

func TestRedriveWithoutFlagsReturnsWhatSQSMoved(t *testing.T) {
	t.Parallel()
	f := newRedriveFixture(t)
	f.publish(t, 2)
	f.deadLetterBySQS(t, 2)
	f.redriveAll(t, 2)
}

func TestRedriveWithoutFlagsReturnsBothKinds(t *testing.T) {
	t.Parallel()
	f := newRedriveFixture(t)
	f.publish(t, 2)
	f.deadLetterBySQS(t, 2)
	f.publish(t, 2)
	f.deadLetterByWorker(t, 4)
	f.redriveAll(t, 4)
}

func TestDLQListShowsUnroutableJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ep := localawstest.Start(t, localaws.Config{})
	runQuarry(t, "infra", "apply", "--endpoint-url", ep.URL)
	clients := infra.NewClients(ep.Config)
	env := &awsEnv{clients: clients, topology: infra.DefaultTopology()}
	arn, err := env.jobsTopicARN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []*sns.PublishInput{
		{TopicArn: aws.String(arn), Message: aws.String(`{"id":"j1"}`), MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"job_type": {DataType: aws.String("String"), StringValue: aws.String("bogus.type")}}},
		{TopicArn: aws.String(arn), Message: aws.String(`{"id":"j2"}`)},
	} {
		if _, err := clients.SNS.Publish(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(runQuarry(t, "dlq", "list", "--json", "--endpoint-url", ep.URL)), "\n") {
		var r dlqRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("dlq list --json line %q: %v", line, err)
		}
		if r.Queue == "quarry-unroutable" {
			found = true
			if !r.Unroutable || r.Messages != 2 || r.Role != "unroutable" {
				t.Errorf("unroutable row = %+v, want 2 messages", r)
			}
		}
	}
	if !found {
		t.Fatal("dlq list --json has no quarry-unroutable row")
	}
	if text := runQuarry(t, "dlq", "list", "--endpoint-url", ep.URL); !strings.Contains(text, "quarry-unroutable") {
		t.Errorf("dlq list:\n%s", text)
	}
	if text := runQuarry(t, "dlq", "peek", "unroutable", "--endpoint-url", ep.URL); strings.Count(text, "message ") != 2 {
		t.Errorf("dlq peek unroutable:\n%s", text)
	}
}

func TestRedriveOfTheUnroutableQueueSaysWhyNot(t *testing.T) {
	t.Parallel()
	ep := localawstest.Start(t, localaws.Config{})
	runQuarry(t, "infra", "apply", "--endpoint-url", ep.URL)
	cmd := newRootCommand(io.Discard, io.Discard)
	cmd.SetArgs([]string{"dlq", "redrive", "unroutable", "--endpoint-url", ep.URL})
	err := cmd.ExecuteContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no queue to return them to") {
		t.Fatalf("redrive unroutable: %v", err)
	}
}
