package workers

import (
	"context"
	"time"

	"github.com/quarry-dev/quarry/idempotency"
)

const (
	// maxCompletionBatch bounds the completions recorded in one call.
	maxCompletionBatch = 64
	// completeLinger is how long a finished job waits for others to be
	// recorded with it. The job's handler slot is free already, and its
	// message is deleted after a linger of its own, so the wait costs a
	// busy runner nothing and saves it most of its completion calls.
	completeLinger = 5 * time.Millisecond
)

// completer records finished jobs in the idempotency store in batches and
// hands each delivery, with the store's answer, to done.
type completer struct {
	claims    Claims
	retention time.Duration
	in        chan *delivery // closed by close()
	done      func(d *delivery, err error)
}

// newCompleter queues at most backlog deliveries; add waits beyond that,
// which holds the job goroutine and so its handler slot.
func newCompleter(c Claims, retention time.Duration, backlog int, done func(*delivery, error)) *completer {
	return &completer{claims: c, retention: retention, in: make(chan *delivery, backlog), done: done}
}

// add queues a delivery whose job succeeded (d.acquired and d.result set).
func (c *completer) add(d *delivery) { c.in <- d }

// close ends run once what is queued is recorded; no add may follow.
func (c *completer) close() { close(c.in) }

// run records completions until close. ctx bounds each store call, with a
// timeout of its own on top.
func (c *completer) run(ctx context.Context) {
	batch := make([]*delivery, 0, maxCompletionBatch)
	items := make([]idempotency.Completion, 0, maxCompletionBatch)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	open := true
	for open {
		first, ok := <-c.in
		if !ok {
			return
		}
		batch = append(batch[:0], first)
		linger.Reset(completeLinger)
	fill:
		for len(batch) < maxCompletionBatch {
			select {
			case d, ok := <-c.in:
				if !ok {
					open = false
					break fill
				}
				batch = append(batch, d)
			case <-linger.C:
				break fill
			}
		}
		linger.Stop()
		items = items[:0]
		for _, d := range batch {
			items = append(items, idempotency.Completion{Lease: d.acquired, Result: d.result, Retention: c.retention})
		}
		callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		errs := c.claims.CompleteBatch(callCtx, items)
		cancel()
		for i, d := range batch {
			c.done(d, errs[i])
		}
	}
}
