package workers

import (
	"context"
	"time"

	"github.com/quarry-dev/quarry/idempotency"
)

// maxCompletionBatch bounds the completions recorded in one call.
const maxCompletionBatch = 64

// completer records finished jobs in the idempotency store in batches: it
// sends what is waiting as one CompleteBatch, and while that call is out
// the completions of jobs finishing meanwhile gather for the next one. A
// lone completion is sent at once, so batching adds no wait of its own;
// under load one call records many jobs.
type completer struct {
	claims Claims
	in     chan *completion
}

type completion struct {
	item idempotency.Completion
	done chan error // buffered: run never waits for the job goroutine
}

func newCompleter(c Claims) *completer {
	return &completer{claims: c, in: make(chan *completion, maxCompletionBatch)}
}

// complete records one job as done and returns the store's answer. It is
// called from job goroutines until close.
func (c *completer) complete(item idempotency.Completion) error {
	x := &completion{item: item, done: make(chan error, 1)}
	c.in <- x
	return <-x.done
}

// close ends run once what is queued is recorded; no complete may follow.
func (c *completer) close() { close(c.in) }

// run records completions until close. ctx bounds each store call, with a
// timeout of its own on top.
func (c *completer) run(ctx context.Context) {
	batch := make([]*completion, 0, maxCompletionBatch)
	items := make([]idempotency.Completion, 0, maxCompletionBatch)
	for first := range c.in {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxCompletionBatch {
			select {
			case x, ok := <-c.in:
				if !ok {
					break fill
				}
				batch = append(batch, x)
			default:
				break fill
			}
		}
		items = items[:0]
		for _, x := range batch {
			items = append(items, x.item)
		}
		callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		errs := c.claims.CompleteBatch(callCtx, items)
		cancel()
		for i, x := range batch {
			x.done <- errs[i]
		}
	}
}
