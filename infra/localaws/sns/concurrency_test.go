package sns

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentUse drives every kind of operation at once; run with -race.
// FIFO deliveries must still arrive in sequence order.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	h := setup(t, t.TempDir())
	std := h.createTopic(t, "jobs")
	fifo := h.createTopic(t, "jobs.fifo", "Attributes.entry.1.key", "FifoTopic", "Attributes.entry.1.value", "true",
		"Attributes.entry.2.key", "ContentBasedDeduplication", "Attributes.entry.2.value", "true")
	h.subscribe(t, fifo, "ordered.fifo")
	h.subscribe(t, std, "steady", "Attributes.entry.1.key", "FilterPolicy", "Attributes.entry.1.value", `{"n":[{"numeric":[">=",0]}]}`)

	const workers, rounds = 4, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*8)
	run := func(f func(w, i int) error) {
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range rounds {
					if err := f(w, i); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	}
	run(func(w, i int) error { // FIFO publishers
		_, e := h.do("Publish", "TopicArn", fifo, "Message", fmt.Sprintf("w%d-%d", w, i), "MessageGroupId", "g")
		return errOrNil(e)
	})
	run(func(w, i int) error { // standard publishers, through both entry points
		if i%2 == 0 {
			return h.svc.PublishToTopic(context.Background(), std, "s", "m")
		}
		_, e := h.do("PublishBatch", "TopicArn", std,
			"PublishBatchRequestEntries.member.1.Id", "a", "PublishBatchRequestEntries.member.1.Message", "m",
			"PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name", "n",
			"PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.DataType", "Number",
			"PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.StringValue", fmt.Sprint(i))
		return errOrNil(e)
	})
	run(func(w, i int) error { // subscription churn
		out, e := h.do("Subscribe", "TopicArn", std, "Protocol", "sqs", "Endpoint", queueARNOf(fmt.Sprintf("churn-%d-%d", w, i)))
		if e != nil {
			return e
		}
		arn := out.(*subscribeResult).SubscriptionArn
		if _, e := h.do("SetSubscriptionAttributes", "SubscriptionArn", arn, "AttributeName", "FilterPolicy", "AttributeValue", `{"n":[1]}`); e != nil {
			return e
		}
		_, e = h.do("Unsubscribe", "SubscriptionArn", arn)
		return errOrNil(e)
	})
	run(func(w, i int) error { // topic churn, reads and saves
		name := fmt.Sprintf("tmp-%d-%d", w, i)
		if _, e := h.do("CreateTopic", "Name", name); e != nil {
			return e
		}
		for _, action := range []string{"ListTopics", "ListSubscriptions"} {
			if _, e := h.do(action); e != nil {
				return e
			}
		}
		if _, e := h.do("GetTopicAttributes", "TopicArn", std); e != nil {
			return e
		}
		if _, e := h.do("DeleteTopic", "TopicArn", topicARNOf(name)); e != nil {
			return e
		}
		return h.svc.SaveState()
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	var last string
	ordered := 0
	for _, d := range h.queue.take() {
		if d.queue != queueARNOf("ordered.fifo") {
			continue
		}
		ordered++
		seq := envelopeOf(t, d.msg.Body)["SequenceNumber"].(string)
		if seq <= last {
			t.Fatalf("FIFO delivery %s after %s", seq, last)
		}
		last = seq
	}
	if ordered != workers*rounds {
		t.Fatalf("%d FIFO deliveries, want %d", ordered, workers*rounds)
	}
}

// errOrNil turns a nil *awsproto.Error into a nil error.
func errOrNil[E interface {
	*T
	error
}, T any](e E) error {
	if e == nil {
		return nil
	}
	return e
}
