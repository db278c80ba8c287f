package sqs_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra/localaws"
)

// TestConcurrentWorkers runs producers and long-polling consumers at once
// (under -race in CI): every message is delivered and deleted exactly once.
func TestConcurrentWorkers(t *testing.T) {
	e := start(t, localaws.Config{})
	url := e.createQueue("busy", nil)
	const producers, perProducer, consumers = 4, 50, 4
	total := producers * perProducer

	var (
		mu       sync.Mutex
		seen     = map[string]int{}
		wg       sync.WaitGroup
		doneOnce sync.Once
	)
	done := make(chan struct{})
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perProducer; i += 10 {
				var entries []types.SendMessageBatchRequestEntry
				for j := range 10 {
					entries = append(entries, entry(fmt.Sprint(j), fmt.Sprintf("p%d-%d", p, i+j)))
				}
				if _, err := e.c.SendMessageBatch(e.ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var cwg sync.WaitGroup
	for range consumers {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				out, err := e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
				if err != nil {
					t.Error(err)
					return
				}
				for _, m := range out.Messages {
					mu.Lock()
					seen[*m.Body]++
					n := len(seen)
					mu.Unlock()
					e.deleteMessage(url, *m.ReceiptHandle)
					if n == total {
						doneOnce.Do(func() { close(done) })
					}
				}
			}
		}()
	}
	wg.Wait()
	cwg.Wait()
	if len(seen) != total {
		t.Fatalf("consumed %d distinct messages, want %d", len(seen), total)
	}
	for body, n := range seen {
		if n != 1 {
			t.Errorf("%s delivered %d times", body, n)
		}
	}
}
