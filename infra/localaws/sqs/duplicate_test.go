package sqs_test

import (
	"testing"

	"github.com/quarry-dev/quarry/infra/localaws"
)

// TestDuplicateRate: at rate 1 every delivery from a standard queue leaves a
// second, independent copy for a later receive; copies are not copied
// again, and deleting one copy leaves the other.
func TestDuplicateRate(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{Faults: localaws.Faults{DuplicateRate: 1}})
	dlq := e.createQueue("dups-dlq", nil)
	url := e.createQueue("dups", redrive(e.queueARN(dlq), 1)) // the copy must not land in the DLQ
	sent := e.send(url, "job")

	first := e.receive(url, 10)
	if len(first) != 1 || *first[0].MessageId != *sent.MessageId {
		t.Fatalf("first receive = %v", bodies(first))
	}
	// The first copy is deleted before the second is received: the second
	// still arrives, as a late duplicate does on SQS.
	e.deleteMessage(url, *first[0].ReceiptHandle)
	second := e.receive(url, 10)
	if len(second) != 1 || *second[0].MessageId != *sent.MessageId || *second[0].ReceiptHandle == *first[0].ReceiptHandle {
		t.Fatalf("second receive = %+v", second)
	}
	if got := second[0].Attributes["ApproximateReceiveCount"]; got != "1" {
		t.Fatalf("duplicate ApproximateReceiveCount = %s, want 1 (the same delivery attempt)", got)
	}
	if third := e.receive(url, 10); len(third) != 0 {
		t.Fatalf("a duplicate was duplicated again: %v", bodies(third))
	}
	e.deleteMessage(url, *second[0].ReceiptHandle)
	if got := e.receive(dlq, 10); len(got) != 0 {
		t.Fatalf("DLQ got %v", bodies(got))
	}
	if got := e.attrs(url, "ApproximateNumberOfMessagesNotVisible")["ApproximateNumberOfMessagesNotVisible"]; got != "0" {
		t.Fatalf("in flight after deleting both copies: %s", got)
	}

	fifo := e.createQueue("dups.fifo", fifoAttrs())
	e.sendFIFO(fifo, "once", "G", "")
	msgs := e.receive(fifo, 10)
	e.deleteMessage(fifo, *msgs[0].ReceiptHandle)
	if again := e.receive(fifo, 10); len(again) != 0 {
		t.Fatalf("FIFO queue duplicated %v", bodies(again))
	}
}
