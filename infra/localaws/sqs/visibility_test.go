package sqs_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra/localaws"
)

// TestVisibilityExpiryRealClock uses the real clock: a message received
// with a 1 s visibility timeout is invisible at once and comes back about a
// second later, to a long poll that was already waiting.
func TestVisibilityExpiryRealClock(t *testing.T) {
	e := start(t, localaws.Config{})
	url := e.createQueue("vis", map[string]string{"VisibilityTimeout": "1"})
	sent := e.send(url, "job")
	first := e.receive(url, 1)
	if len(first) != 1 {
		t.Fatal("no message")
	}
	if again := e.receive(url, 1); len(again) != 0 {
		t.Fatal("message visible while in flight")
	}
	begin := time.Now()
	out, err := e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), WaitTimeSeconds: 5,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"},
	})
	took := time.Since(begin)
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("long poll: %v, %v", out, err)
	}
	m := out.Messages[0]
	if *m.MessageId != *sent.MessageId || m.Attributes["ApproximateReceiveCount"] != "2" || *m.ReceiptHandle == *first[0].ReceiptHandle {
		t.Fatalf("redelivery = %+v", m)
	}
	if took < 500*time.Millisecond || took > 2500*time.Millisecond {
		t.Fatalf("message came back after %v, want about 1 s", took)
	}
}

func TestChangeMessageVisibility(t *testing.T) {
	clock := newFakeClock()
	e := start(t, localaws.Config{Now: clock.Now})
	url := e.createQueue("change", nil)
	e.send(url, "job")
	h := e.receive(url, 1)[0].ReceiptHandle
	change := func(h *string, secs int32) error {
		_, err := e.c.ChangeMessageVisibility(e.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: h, VisibilityTimeout: secs})
		return err
	}

	// 0 releases the message at once.
	if err := change(h, 0); err != nil {
		t.Fatal(err)
	}
	h = e.receive(url, 1)[0].ReceiptHandle

	// Extended from now, not from the receive.
	clock.Advance(20 * time.Second)
	if err := change(h, 60); err != nil {
		t.Fatal(err)
	}
	clock.Advance(50 * time.Second)
	if got := e.receive(url, 1); len(got) != 0 {
		t.Fatal("visible before the changed timeout")
	}
	clock.Advance(11 * time.Second)
	msgs := e.receive(url, 1)
	if len(msgs) != 1 {
		t.Fatal("not visible after the changed timeout")
	}
	h = msgs[0].ReceiptHandle

	// The total since the receive is capped at 12 hours; beyond is refused.
	if err := change(h, 43200); err != nil {
		t.Fatalf("change to 12 h right after the receive: %v", err)
	}
	clock.Advance(time.Hour)
	err := change(h, 43200)
	wantCode(t, err, "InvalidParameterValue")
	if err := change(h, 39600); err != nil {
		t.Fatalf("change to the remaining 11 h: %v", err)
	}
	wantCode(t, change(h, 43201), "InvalidParameterValue")
	if err := change(h, 0); err != nil {
		t.Fatal(err)
	}

	// A per-receive timeout applies to that receive only.
	out, err := e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), VisibilityTimeout: 5})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive with VisibilityTimeout 5: %v, %v", out, err)
	}
	clock.Advance(6 * time.Second)
	msgs = e.receive(url, 1)
	if len(msgs) != 1 {
		t.Fatal("per-receive timeout not applied")
	}
	clock.Advance(29 * time.Second)
	if got := e.receive(url, 1); len(got) != 0 {
		t.Fatal("the per-receive timeout was remembered; want the queue's 30 s")
	}
	clock.Advance(2 * time.Second)
	if got := e.receive(url, 1); len(got) != 1 {
		t.Fatal("not visible after the queue's 30 s")
	}
}

// TestReceiptHandles covers reference §1.7 for a standard queue.
func TestReceiptHandles(t *testing.T) {
	clock := newFakeClock()
	e := start(t, localaws.Config{Now: clock.Now})
	url := e.createQueue("handles", nil)
	other := e.createQueue("other", nil)
	e.send(url, "job")
	old := e.receive(url, 1)[0].ReceiptHandle

	// Garbage, or another queue's handle, is ReceiptHandleIsInvalid (404).
	for _, tc := range []struct{ queue, handle string }{{url, "garbage"}, {other, *old}} {
		_, err := e.c.DeleteMessage(e.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(tc.queue), ReceiptHandle: aws.String(tc.handle)})
		var invalid *types.ReceiptHandleIsInvalid
		if !errors.As(err, &invalid) {
			t.Fatalf("DeleteMessage(%s): err = %v, want ReceiptHandleIsInvalid", tc.handle, err)
		}
		if code, status := apiError(t, err); code != "ReceiptHandleIsInvalid" || status != 404 {
			t.Fatalf("code, status = %s, %d", code, status)
		}
		_, err = e.c.ChangeMessageVisibility(e.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(tc.queue), ReceiptHandle: aws.String(tc.handle), VisibilityTimeout: 1})
		if !errors.As(err, &invalid) {
			t.Fatalf("ChangeMessageVisibility(%s): err = %v, want ReceiptHandleIsInvalid", tc.handle, err)
		}
	}

	// Visibility expired, not received again: change succeeds, delete deletes.
	clock.Advance(31 * time.Second)
	if _, err := e.c.ChangeMessageVisibility(e.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: old, VisibilityTimeout: 10}); err != nil {
		t.Fatalf("change with an expired handle: %v", err)
	}
	newer := e.receive(url, 1)[0].ReceiptHandle
	if *newer == *old {
		t.Fatal("same receipt handle for two receives")
	}
	// An older handle after a newer receive: delete still deletes (standard).
	e.deleteMessage(url, *old)
	if got := e.attrs(url, "ApproximateNumberOfMessagesNotVisible")["ApproximateNumberOfMessagesNotVisible"]; got != "0" {
		t.Fatalf("in flight after delete with the older handle: %s", got)
	}
	// Deleted message: delete is idempotent, change is refused.
	e.deleteMessage(url, *newer)
	_, err := e.c.ChangeMessageVisibility(e.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: newer, VisibilityTimeout: 10})
	wantCode(t, err, "InvalidParameterValue")
	_, err = e.c.DeleteMessage(e.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("")})
	wantCode(t, err, "MissingParameter")
}
