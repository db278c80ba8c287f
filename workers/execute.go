package workers

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/rs/zerolog"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/messages"
)

// runAfterLocal is the path of a delivery whose job this runner was
// already running when it arrived: wait for that run to end; if it
// completed the job, acknowledge this copy as a duplicate, and otherwise
// claim the job on its own and run it if acquired.
func (r *Runner) runAfterLocal(workCtx, cleanup context.Context, d *delivery) (pending bool) {
	completed, ok := r.waitLocal(workCtx, d)
	if !ok {
		r.retry(cleanup, d.log, d, "shutdown", 0, nil)
		return false
	}
	if completed {
		// The run it waited for recorded the job as done: the claim would
		// say so too.
		r.qm.duplicates.Inc()
		d.log.Debug().Str("idempotency_key", d.job.IdempotencyKey).Msg("duplicate: job done by this runner, acknowledged")
		r.deletes.add(d.receipt)
		return false
	}
	c := r.claim(cleanup, []idempotency.ClaimRequest{claimRequest(d)})[0]
	return r.claimed(cleanup, d, c) && r.runJob(workCtx, cleanup, d)
}

// runJob runs an acquired job's handler under its lease and settles the
// delivery by the outcome. It returns true when the job succeeded: the
// delivery then waits for its completion to be recorded, and the
// completer settles it.
func (r *Runner) runJob(workCtx, cleanup context.Context, d *delivery) (pending bool) {
	lease, log, job := d.acquired, d.log, d.job
	jobCtx, cancelJob := context.WithCancelCause(workCtx)
	defer cancelJob(nil)
	d.setLease(lease, cancelJob)
	jobCtx, cancelTimeout := context.WithTimeout(jobCtx, r.cfg.JobTimeout)
	defer cancelTimeout()
	jobCtx = idempotency.WithLease(log.WithContext(jobCtx), lease)

	tm := r.qm.byType[job.Type] // set for every type with a handler
	d.started = time.Now()
	result, err := r.run(jobCtx, d.handler, job)
	elapsed := time.Since(d.started)
	tm.duration.Observe(elapsed.Seconds())
	// The heartbeat stops extending the lease: it is completed or released
	// below. The message's visibility is still extended until it is settled.
	d.setLease(nil, nil)

	cause := context.Cause(jobCtx)
	if err == nil {
		d.result = result
		r.completions.add(d)
		return true
	}
	// Every run that did not succeed ends with one line that says how; a
	// success gets its line once its completion is recorded.
	log = log.With().Dur("duration", elapsed).Logger()
	switch {
	case errors.Is(cause, ErrClaimTakenOver):
		// Another worker owns the job now; our copy of the message stays
		// for the heartbeat-less visibility timeout and becomes a duplicate.
		r.metrics.processed.WithLabelValues(r.queue, job.Type, "lease_lost").Inc()
		log.Warn().Err(err).Str("outcome", "lease_lost").Msg("job abandoned: claim lease lost to another worker")
	case errors.Is(cause, ErrShutdown):
		r.metrics.processed.WithLabelValues(r.queue, job.Type, "shutdown").Inc()
		r.release(cleanup, log, lease)
		r.retry(cleanup, log, d, "shutdown", 0, nil)
		log.Info().Str("outcome", "given_back").Msg("job given back at shutdown")
	case messages.IsPermanent(err):
		r.metrics.processed.WithLabelValues(r.queue, job.Type, "permanent").Inc()
		r.release(cleanup, log, lease)
		r.toDLQ(cleanup, log, d, reasonPermanent, err)
	default:
		r.metrics.processed.WithLabelValues(r.queue, job.Type, "retry").Inc()
		r.release(cleanup, log, lease)
		wait, ok := messages.RetryDelay(err)
		if !ok {
			wait = r.backoff(d)
		}
		r.retry(cleanup, log, d, "handler_error", wait, err)
	}
	return false
}

// run calls the handler, turning a panic into an ordinary (retryable) error.
func (r *Runner) run(ctx context.Context, h Handler, job messages.Job) (result []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			zerolog.Ctx(ctx).Error().Str("stack", string(debug.Stack())).Interface("panic", p).Msg("handler panicked")
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return h.Handle(ctx, job)
}

func (r *Runner) backoff(d *delivery) time.Duration {
	return r.cfg.Backoff.Delay(d.receiveCount, r.jitter())
}
