package sqs_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra/localaws"
)

func redrive(arn string, max int) map[string]string {
	return map[string]string{"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, arn, max)}
}

// TestMaxReceiveCountMovesToDLQ checks that maxReceiveCount N gives exactly
// N deliveries, and what the message looks like in the dead-letter queue.
func TestMaxReceiveCountMovesToDLQ(t *testing.T) {
	e := start(t, localaws.Config{})
	dlq := e.createQueue("jobs-dlq", nil)
	dlqARN := e.queueARN(dlq)
	attrs := redrive(dlqARN, 3)
	attrs["VisibilityTimeout"] = "0" // every receive gives the message back at once
	src := e.createQueue("jobs", attrs)
	srcARN := e.queueARN(src)
	sent, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(src), MessageBody: aws.String("poison"),
		MessageAttributes: map[string]types.MessageAttributeValue{"jobType": strAttr("String", "pdf-extract")},
	})
	if err != nil {
		t.Fatal(err)
	}

	deliveries := 0
	for range 10 {
		for _, m := range e.receive(src, 10) {
			deliveries++
			if got := m.Attributes["ApproximateReceiveCount"]; got != fmt.Sprint(deliveries) {
				t.Fatalf("delivery %d has ApproximateReceiveCount %s", deliveries, got)
			}
		}
	}
	if deliveries != 3 {
		t.Fatalf("delivered %d times, want exactly maxReceiveCount = 3", deliveries)
	}
	msgs := e.receive(dlq, 10)
	if len(msgs) != 1 {
		t.Fatalf("DLQ holds %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if *m.MessageId != *sent.MessageId || *m.Body != "poison" || *m.MD5OfMessageAttributes != "5415ebf34d04831dd7019c8319fe2622" {
		t.Fatalf("moved message = %+v", m)
	}
	if m.Attributes["DeadLetterQueueSourceArn"] != srcARN || m.Attributes["ApproximateReceiveCount"] != "4" {
		t.Fatalf("moved message attributes = %v", m.Attributes)
	}

	out, err := e.c.ListDeadLetterSourceQueues(e.ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlq)})
	if err != nil || len(out.QueueUrls) != 1 || out.QueueUrls[0] != src {
		t.Fatalf("ListDeadLetterSourceQueues = %v, %v", out, err)
	}
	none, err := e.c.ListDeadLetterSourceQueues(e.ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(src)})
	if err != nil || len(none.QueueUrls) != 0 {
		t.Fatalf("ListDeadLetterSourceQueues(source) = %v, %v", none, err)
	}
	if got := e.attrs(src, "RedrivePolicy")["RedrivePolicy"]; got != fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":3}`, dlqARN) {
		t.Fatalf("RedrivePolicy = %s", got)
	}
}

func TestRedrivePolicyValidation(t *testing.T) {
	e := start(t, localaws.Config{})
	dlq := e.createQueue("dlq", map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"byQueue","sourceQueueArns":["arn:aws:sqs:us-east-1:000000000000:allowed"]}`})
	dlqARN := e.queueARN(dlq)
	fifoDLQ := e.createQueue("dlq.fifo", map[string]string{"FifoQueue": "true"})
	for _, tc := range []struct {
		name   string
		policy string
	}{
		{"denied", fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":3}`, dlqARN)},
		{"allowed", `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:missing","maxReceiveCount":3}`},
		{"allowed", fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":0}`, dlqARN)},
		{"allowed", fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":1001}`, dlqARN)},
		{"allowed", fmt.Sprintf(`{"deadLetterTargetArn":%q}`, dlqARN)},
		{"allowed", fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":2}`, e.queueARN(fifoDLQ))},
		{"allowed", `not json`},
	} {
		_, err := e.c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String(tc.name), Attributes: map[string]string{"RedrivePolicy": tc.policy}})
		if err == nil {
			t.Errorf("RedrivePolicy %s accepted", tc.policy)
			continue
		}
		if code, _ := apiError(t, err); code != "InvalidParameterValue" {
			t.Errorf("RedrivePolicy %s: %v", tc.policy, err)
		}
	}
	// maxReceiveCount as a string, as CloudFormation writes it.
	url := e.createQueue("allowed", map[string]string{"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"5"}`, dlqARN)})
	if got := e.attrs(url, "RedrivePolicy")["RedrivePolicy"]; got != fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":5}`, dlqARN) {
		t.Fatalf("normalized RedrivePolicy = %s", got)
	}
	// An empty value removes the policy.
	if _, err := e.c.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"RedrivePolicy": ""}}); err != nil {
		t.Fatal(err)
	}
	if got := e.attrs(url, "RedrivePolicy"); len(got) != 0 {
		t.Fatalf("after removal: %v", got)
	}
}

// fillDLQ sends n messages to src and lets each fail once, so that they all
// sit in the DLQ (maxReceiveCount 1).
func fillDLQ(t *testing.T, e *env, src, dlq string, n int) {
	t.Helper()
	for i := range n {
		e.send(src, fmt.Sprint("job-", i))
	}
	for len(e.receive(src, 10)) > 0 {
	}
	if got := e.attrs(dlq, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"]; got != fmt.Sprint(n) {
		t.Fatalf("DLQ holds %s messages, want %d", got, n)
	}
}

// waitTask polls ListMessageMoveTasks until the latest task leaves RUNNING.
func waitTask(t *testing.T, e *env, source string) types.ListMessageMoveTasksResultEntry {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := e.c.ListMessageMoveTasks(e.ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(source)})
		if err != nil || len(out.Results) == 0 {
			t.Fatalf("ListMessageMoveTasks = %v, %v", out, err)
		}
		if r := out.Results[0]; *r.Status != "RUNNING" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatal("move task still running after 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMessageMoveTask(t *testing.T) {
	e := start(t, localaws.Config{})
	dlq := e.createQueue("jobs-dlq", nil)
	dlqARN := e.queueARN(dlq)
	attrs := redrive(dlqARN, 1)
	attrs["VisibilityTimeout"] = "0"
	src := e.createQueue("jobs", attrs)
	srcARN := e.queueARN(src)
	fillDLQ(t, e, src, dlq, 5)

	task, err := e.c.StartMessageMoveTask(e.ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN)})
	if err != nil || task.TaskHandle == nil {
		t.Fatalf("StartMessageMoveTask = %v, %v", task, err)
	}
	r := waitTask(t, e, dlqARN)
	if *r.Status != "COMPLETED" || r.ApproximateNumberOfMessagesMoved != 5 || aws.ToInt64(r.ApproximateNumberOfMessagesToMove) != 5 ||
		*r.SourceArn != dlqARN || r.TaskHandle != nil || r.StartedTimestamp == 0 {
		t.Fatalf("finished task = %+v", r)
	}
	// Back in the source queue with a fresh receive count; set the
	// visibility so that the messages stay put while we look.
	if _, err := e.c.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(src), Attributes: map[string]string{"VisibilityTimeout": "30"}}); err != nil {
		t.Fatal(err)
	}
	msgs := e.receive(src, 10)
	if len(msgs) != 5 {
		t.Fatalf("source holds %d messages after the redrive, want 5", len(msgs))
	}
	for _, m := range msgs {
		if m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["DeadLetterQueueSourceArn"] != "" {
			t.Fatalf("redriven message attributes = %v", m.Attributes)
		}
	}

	// Errors.
	_, err = e.c.StartMessageMoveTask(e.ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(srcARN)})
	wantCode(t, err, "InvalidParameterValue")
	_, err = e.c.StartMessageMoveTask(e.ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:nope")})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("unknown source: err = %v, want ResourceNotFoundException", err)
	}
	if _, status := apiError(t, err); status != 404 {
		t.Fatalf("unknown source status %d", status)
	}
	_, err = e.c.StartMessageMoveTask(e.ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN), MaxNumberOfMessagesPerSecond: aws.Int32(501)})
	wantCode(t, err, "InvalidParameterValue")
	_, err = e.c.CancelMessageMoveTask(e.ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: aws.String("nope")})
	if !errors.As(err, &notFound) {
		t.Fatalf("cancel unknown task: err = %v", err)
	}
	_, err = e.c.CancelMessageMoveTask(e.ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: task.TaskHandle})
	wantCode(t, err, "InvalidParameterValue")
}

func TestMessageMoveTaskRateCancelAndDestination(t *testing.T) {
	e := start(t, localaws.Config{})
	dlq := e.createQueue("dlq", nil)
	dlqARN := e.queueARN(dlq)
	attrs := redrive(dlqARN, 1)
	attrs["VisibilityTimeout"] = "0"
	src := e.createQueue("src", attrs)
	elsewhere := e.createQueue("elsewhere", nil)
	fillDLQ(t, e, src, dlq, 20)

	// At 10 messages a second the task is still running when we look.
	task, err := e.c.StartMessageMoveTask(e.ctx, &sqs.StartMessageMoveTaskInput{
		SourceArn: aws.String(dlqARN), DestinationArn: aws.String(e.queueARN(elsewhere)), MaxNumberOfMessagesPerSecond: aws.Int32(10),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.c.StartMessageMoveTask(e.ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN)})
	wantCode(t, err, "InvalidParameterValue")
	list, err := e.c.ListMessageMoveTasks(e.ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqARN), MaxResults: aws.Int32(10)})
	if err != nil || len(list.Results) != 1 || *list.Results[0].Status != "RUNNING" || *list.Results[0].TaskHandle != *task.TaskHandle ||
		aws.ToInt32(list.Results[0].MaxNumberOfMessagesPerSecond) != 10 {
		t.Fatalf("running task = %+v, %v", list, err)
	}
	time.Sleep(250 * time.Millisecond)
	cancelled, err := e.c.CancelMessageMoveTask(e.ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: task.TaskHandle})
	if err != nil {
		t.Fatal(err)
	}
	moved := cancelled.ApproximateNumberOfMessagesMoved
	if moved < 1 || moved >= 20 {
		t.Fatalf("moved %d messages before the cancel, want some but not all", moved)
	}
	time.Sleep(250 * time.Millisecond)
	r := waitTask(t, e, dlqARN)
	if *r.Status != "CANCELLED" || r.ApproximateNumberOfMessagesMoved != moved {
		t.Fatalf("cancelled task = %+v", r)
	}
	got := e.attrs(elsewhere, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"]
	left := e.attrs(dlq, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"]
	if got != fmt.Sprint(moved) || left != fmt.Sprint(20-moved) {
		t.Fatalf("destination holds %s, DLQ %s; moved %d", got, left, moved)
	}
}
