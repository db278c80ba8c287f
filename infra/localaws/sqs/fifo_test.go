package sqs_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra/localaws"
)

func fifoAttrs(extra ...string) map[string]string {
	a := map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}
	for i := 0; i+1 < len(extra); i += 2 {
		a[extra[i]] = extra[i+1]
	}
	return a
}

// TestFIFOGroupOrderAndLocking: messages of a group come in send order, a
// group is locked while any of its messages is in flight, and one receive
// may return consecutive messages of a group plus other groups.
func TestFIFOGroupOrderAndLocking(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	url := e.createQueue("jobs.fifo", fifoAttrs())
	var seqs []string
	for _, m := range [][2]string{{"a1", "A"}, {"a2", "A"}, {"b1", "B"}, {"a3", "A"}, {"b2", "B"}} {
		out := e.sendFIFO(url, m[0], m[1], "")
		seqs = append(seqs, *out.SequenceNumber)
	}
	if !slices.IsSorted(seqs) || len(seqs[0]) != 20 {
		t.Fatalf("sequence numbers %v, want increasing 20-digit numbers", seqs)
	}

	first := e.receive(url, 2)
	if got := bodies(first); !slices.Equal(got, []string{"a1", "a2"}) {
		t.Fatalf("first receive = %v, want [a1 a2]", got)
	}
	if first[0].Attributes["MessageGroupId"] != "A" || first[0].Attributes["SequenceNumber"] != seqs[0] || first[0].Attributes["MessageDeduplicationId"] == "" {
		t.Fatalf("FIFO system attributes = %v", first[0].Attributes)
	}
	// Group A is locked; B delivers both of its messages.
	second := e.receive(url, 10)
	if got := bodies(second); !slices.Equal(got, []string{"b1", "b2"}) {
		t.Fatalf("second receive = %v, want [b1 b2]", got)
	}
	if got := e.receive(url, 10); len(got) != 0 {
		t.Fatalf("received %v while both groups are locked", bodies(got))
	}
	// Releasing a1 alone does not unlock A while a2 is in flight...
	if _, err := e.c.ChangeMessageVisibility(e.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	if got := e.receive(url, 10); len(got) != 0 {
		t.Fatalf("received %v while a2 is in flight", bodies(got))
	}
	// ...deleting a2 does, and a1 comes before a3.
	e.deleteMessage(url, *first[1].ReceiptHandle)
	if got := bodies(e.receive(url, 10)); !slices.Equal(got, []string{"a1", "a3"}) {
		t.Fatalf("after unlock = %v, want [a1 a3]", got)
	}
}

func TestFIFODelayedMessagesDoNotLock(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := start(t, localaws.Config{Now: clock.Now})
	url := e.createQueue("delay.fifo", fifoAttrs())
	e.sendFIFO(url, "early", "G", "")
	if _, err := e.c.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"DelaySeconds": "30"}}); err != nil {
		t.Fatal(err)
	}
	e.sendFIFO(url, "late", "G", "")
	if got := bodies(e.receive(url, 10)); !slices.Equal(got, []string{"early"}) {
		t.Fatalf("received %v, want [early] (the delayed message neither delivered nor locking)", got)
	}
}

func TestFIFODeduplication(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := start(t, localaws.Config{Now: clock.Now})
	url := e.createQueue("dedup.fifo", fifoAttrs())

	first := e.sendFIFO(url, "job", "G", "dedup-1")
	dup := e.sendFIFO(url, "other body", "G", "dedup-1")
	if *dup.MessageId != *first.MessageId || *dup.SequenceNumber != *first.SequenceNumber {
		t.Fatalf("duplicate send = %s/%s, want the first's %s/%s", *dup.MessageId, *dup.SequenceNumber, *first.MessageId, *first.SequenceNumber)
	}
	msgs := e.receive(url, 10)
	if len(msgs) != 1 {
		t.Fatalf("received %d messages, want 1", len(msgs))
	}
	e.deleteMessage(url, *msgs[0].ReceiptHandle)
	// Still remembered after the delete, within 5 minutes of the first send.
	clock.Advance(4 * time.Minute)
	e.sendFIFO(url, "job", "G", "dedup-1")
	if got := e.receive(url, 10); len(got) != 0 {
		t.Fatalf("duplicate within the window delivered: %v", bodies(got))
	}
	clock.Advance(time.Minute + time.Second)
	again := e.sendFIFO(url, "job", "G", "dedup-1")
	if *again.MessageId == *first.MessageId {
		t.Fatal("send after the window was deduplicated")
	}

	// Content-based: the body's SHA-256, attributes excluded.
	c1 := e.sendFIFO(url, "same body", "H", "")
	c2, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(url), MessageBody: aws.String("same body"), MessageGroupId: aws.String("H"),
		MessageAttributes: map[string]types.MessageAttributeValue{"x": strAttr("String", "y")},
	})
	if err != nil || *c2.MessageId != *c1.MessageId {
		t.Fatalf("content-based duplicate = %v, %v", c2, err)
	}

	// DeduplicationScope messageGroup: the same id in two groups is two messages.
	scoped := e.createQueue("scoped.fifo", fifoAttrs("DeduplicationScope", "messageGroup"))
	s1 := e.sendFIFO(scoped, "x", "G1", "same")
	s2 := e.sendFIFO(scoped, "x", "G2", "same")
	s3 := e.sendFIFO(scoped, "x", "G1", "same")
	if *s1.MessageId == *s2.MessageId || *s3.MessageId != *s1.MessageId {
		t.Fatalf("group-scoped dedup: %s %s %s", *s1.MessageId, *s2.MessageId, *s3.MessageId)
	}
}

func TestFIFOErrors(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := start(t, localaws.Config{Now: clock.Now})
	url := e.createQueue("errs.fifo", map[string]string{"FifoQueue": "true"})
	send := func(in *sqs.SendMessageInput) error {
		in.QueueUrl, in.MessageBody = aws.String(url), aws.String("b")
		_, err := e.c.SendMessage(e.ctx, in)
		return err
	}
	wantCode(t, send(&sqs.SendMessageInput{MessageDeduplicationId: aws.String("d")}), "MissingParameter")
	wantCode(t, send(&sqs.SendMessageInput{MessageGroupId: aws.String("G")}), "InvalidParameterValue")
	wantCode(t, send(&sqs.SendMessageInput{MessageGroupId: aws.String("G"), MessageDeduplicationId: aws.String("d"), DelaySeconds: 2}), "InvalidParameterValue")
	wantCode(t, send(&sqs.SendMessageInput{MessageGroupId: aws.String("group 1"), MessageDeduplicationId: aws.String("d")}), "InvalidParameterValue")

	batch, err := e.c.SendMessageBatch(e.ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("ok"), MessageBody: aws.String("b"), MessageGroupId: aws.String("G"), MessageDeduplicationId: aws.String("d1")},
		{Id: aws.String("nogroup"), MessageBody: aws.String("b"), MessageDeduplicationId: aws.String("d2")},
	}})
	if err != nil || len(batch.Successful) != 1 || len(batch.Failed) != 1 || *batch.Failed[0].Code != "InvalidParameterValue" || *batch.Failed[0].Id != "nogroup" {
		t.Fatalf("batch without group = %+v, %v", batch, err)
	}

	// FIFO receipt handles expire with the visibility timeout.
	h := e.receive(url, 1)[0].ReceiptHandle
	clock.Advance(31 * time.Second)
	_, err = e.c.DeleteMessage(e.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: h})
	wantCode(t, err, "InvalidParameterValue")
	_, err = e.c.ChangeMessageVisibility(e.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: h, VisibilityTimeout: 5})
	wantCode(t, err, "InvalidParameterValue")
	newer := e.receive(url, 1)[0].ReceiptHandle
	_, err = e.c.DeleteMessage(e.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: h})
	wantCode(t, err, "InvalidParameterValue")
	e.deleteMessage(url, *newer)
}

func TestFIFOReceiveRequestAttemptID(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	url := e.createQueue("attempt.fifo", fifoAttrs())
	e.sendFIFO(url, "one", "G", "")
	e.sendFIFO(url, "two", "G", "")
	receive := func() []types.Message {
		out, err := e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, ReceiveRequestAttemptId: aws.String("attempt-1")})
		if err != nil {
			t.Fatal(err)
		}
		return out.Messages
	}
	a, b := receive(), receive()
	if len(a) != 2 || len(b) != 2 || *a[0].ReceiptHandle != *b[0].ReceiptHandle || *a[1].ReceiptHandle != *b[1].ReceiptHandle {
		t.Fatalf("retried attempt returned %v then %v, want the same messages and handles", bodies(a), bodies(b))
	}
	e.deleteMessage(url, *a[0].ReceiptHandle)
	if got := receive(); len(got) != 0 {
		t.Fatalf("after a delete the attempt is not replayed; got %v while the group is locked", bodies(got))
	}
}
