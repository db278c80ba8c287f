package workers

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/rs/zerolog"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/messages"
)

// Reasons a message goes to the DLQ or back to the queue, as metric labels
// and in the quarry.error attribute.
const (
	reasonUndecodable = "undecodable"
	reasonNoHandler   = "no_handler"
	reasonConflict    = "payload_conflict"
	reasonPermanent   = "permanent"
)

// admit takes a received batch to the point where its jobs can run:
// decode each message, claim every job in one call to the store, and hand
// the acquired ones to the job goroutines on work. Every other delivery
// ends here: undecodable ones go to the DLQ, duplicates of finished jobs
// are deleted, jobs running elsewhere are retried later. A delivery whose
// job this runner is already running waits for that run on a job
// goroutine instead (see runAfterLocal).
//
// Every path of a delivery ends in exactly one of: delete (done or
// duplicate), a visibility change (retry later or give back), or a move to
// the DLQ. cleanup is the work context without its cancellation, for the
// calls that settle a delivery (they must run even when the job was
// cancelled).
func (r *Runner) admit(cleanup context.Context, ds []*delivery, work chan<- *delivery) {
	claiming := make([]*delivery, 0, len(ds))
	reqs := make([]idempotency.ClaimRequest, 0, len(ds))
	for _, d := range ds {
		if !r.decode(cleanup, d) {
			r.finish(d)
			continue
		}
		// A duplicate of a job this runner is running waits for it and
		// then finds it completed, instead of bouncing through SQS.
		if !r.startLocal(d) {
			work <- d
			continue
		}
		claiming = append(claiming, d)
		reqs = append(reqs, claimRequest(d))
	}
	if len(claiming) == 0 {
		return
	}
	claims := r.claim(cleanup, reqs)
	for i, d := range claiming {
		if r.claimed(cleanup, d, claims[i]) {
			work <- d
		} else {
			r.finish(d)
		}
	}
}

// decode decodes the delivery's body into its job, handler and logger. It
// returns false when the delivery carries no job to run and is settled
// (deleted, or moved to the DLQ).
func (r *Runner) decode(cleanup context.Context, d *delivery) bool {
	body, err := messages.DecodeQueueBody(aws.ToString(d.msg.Body))
	if err != nil {
		r.toDLQ(cleanup, r.deliveryLog(d), d, reasonUndecodable, err)
		return false
	}
	job, ok := jobOf(body)
	if !ok {
		// An SES setup notice carries no work.
		log := r.deliveryLog(d)
		log.Debug().Str("kind", body.Kind.String()).Msg("notice acknowledged")
		r.deletes.add(d.receipt)
		return false
	}
	// The job's logger, built once with every field a job's lines carry.
	d.log = r.log.With().Str("message_id", d.messageID).Int("attempt", d.receiveCount).
		Str("job_id", job.ID).Str("job_type", job.Type).Logger()
	d.job = job
	h, found := r.cfg.Handlers[job.Type]
	if !found {
		r.toDLQ(cleanup, d.log, d, reasonNoHandler, fmt.Errorf("role %s has no handler for job type %q", r.cfg.Role, job.Type))
		return false
	}
	d.handler = h
	return true
}

// claimRequest is the claim of a delivery's job.
func claimRequest(d *delivery) idempotency.ClaimRequest {
	return idempotency.ClaimRequest{Key: d.job.IdempotencyKey, PayloadHash: messages.PayloadHash(d.job)}
}

// claim claims jobs for a lease of the queue's visibility timeout, in one
// store call bounded by a timeout of its own.
func (r *Runner) claim(ctx context.Context, reqs []idempotency.ClaimRequest) []idempotency.ClaimResult {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return r.cfg.Claims.ClaimBatch(ctx, reqs, r.vis)
}

// claimed acts on the claim of a delivery's job. It returns true when the
// claim was acquired (d.acquired is set: run the job), and false when the
// delivery was settled instead.
func (r *Runner) claimed(cleanup context.Context, d *delivery, c idempotency.ClaimResult) bool {
	if c.Err != nil {
		// Redis is unreachable: try again later rather than run unguarded.
		r.retry(cleanup, d.log, d, "claim_failed", r.backoff(d), c.Err)
		return false
	}
	switch c.Status {
	case idempotency.StatusAcquired:
		d.acquired = c.Lease
		return true
	case idempotency.StatusCompleted:
		r.qm.duplicates.Inc()
		d.log.Debug().Str("idempotency_key", d.job.IdempotencyKey).Msg("duplicate: job already done, acknowledged")
		d.markCompleted()
		r.deletes.add(d.receipt)
	case idempotency.StatusInProgress:
		// Another worker holds a live lease. Look again after the backoff
		// delay, or once the lease could have expired if that is sooner: by
		// then the job is usually done (a duplicate) or can be taken over.
		wait := max(min(c.RetryIn, r.backoff(d)), time.Second)
		d.log.Debug().Dur("retry_in", wait).Msg("job in progress elsewhere; looking again later")
		r.retry(cleanup, d.log, d, "in_progress", wait, nil)
	case idempotency.StatusPayloadConflict:
		r.toDLQ(cleanup, d.log, d, reasonConflict, fmt.Errorf("idempotency key %q was used by a job with a different payload", d.job.IdempotencyKey))
	}
	return false
}

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
	switch {
	case err == nil:
		d.result = result
		r.completions.add(d)
		return true
	}
	// Every run that did not succeed ends with one line that says how; a
	// success gets its line once its completion is recorded.
	log = log.With().Dur("duration", elapsed).Logger()
	switch {
	case errors.Is(cause, ErrLeaseLost):
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

// deliveryLog is the logger of a delivery whose job is not known (its body
// did not decode, or carries no job).
func (r *Runner) deliveryLog(d *delivery) zerolog.Logger {
	return r.log.With().Str("message_id", d.messageID).Int("attempt", d.receiveCount).Logger()
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

// completed acts on the store's answer to a succeeded job's completion
// (recorded in a batch by the completer) and settles the delivery: the
// message is acknowledged once the completion is recorded.
func (r *Runner) completed(d *delivery, err error) {
	defer r.settle(d)
	log := d.log
	if err != nil {
		if errors.Is(err, idempotency.ErrLeaseLost) || errors.Is(err, idempotency.ErrNotOwner) {
			// Our lease expired and another worker took over; its run
			// completes the job. Drop our copy.
			log.Warn().Err(err).Msg("job finished after its lease was taken over; the new owner completes it")
			r.deletes.add(d.receipt)
			return
		}
		// The effect happened but is not recorded: let the message return
		// after the visibility timeout; the next run is guarded by the
		// handler's effect keys.
		log.Error().Err(err).Msg("recording completion failed; the job will be delivered again")
		return
	}
	r.qm.byType[d.job.Type].ok.Inc()
	log.Info().Str("outcome", "done").Dur("duration", time.Since(d.started)).Msg("job done")
	d.markCompleted()
	r.deletes.add(d.receipt)
}

// release frees a claim after a failed or interrupted run; fenced, so it
// cannot free a lease another worker has taken over.
func (r *Runner) release(ctx context.Context, log zerolog.Logger, lease *idempotency.Lease) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := r.cfg.Claims.Release(ctx, lease); err != nil && !errors.Is(err, idempotency.ErrLeaseLost) && !errors.Is(err, idempotency.ErrNotOwner) {
		log.Warn().Err(err).Msg("releasing claim failed; it frees itself when its lease expires")
	}
}

// retry gives the message back to SQS to be received again after wait.
func (r *Runner) retry(ctx context.Context, log zerolog.Logger, d *delivery, reason string, wait time.Duration, cause error) {
	if wait > maxVisibility {
		wait = maxVisibility
	}
	r.metrics.retried.WithLabelValues(r.queue, reason).Inc()
	if cause != nil {
		log.Warn().Err(cause).Str("outcome", "retry").Str("reason", reason).Dur("retry_in", wait).Msg("job will be retried")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := r.cfg.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		// SQS counts visibility in whole seconds; round up so a delay is
		// never shortened.
		QueueUrl: aws.String(r.cfg.QueueURL), ReceiptHandle: aws.String(d.receipt), VisibilityTimeout: int32((wait + time.Second - 1) / time.Second),
	}); err != nil {
		log.Warn().Err(err).Msg("setting retry delay failed; the message returns after its visibility timeout")
	}
}

// toDLQ moves the message to the DLQ; if that fails, the message stays and
// SQS's own redrive policy catches it after maxReceiveCount receives.
func (r *Runner) toDLQ(ctx context.Context, log zerolog.Logger, d *delivery, reason string, cause error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.deadLetter(ctx, d, reason, cause); err != nil {
		log.Error().Err(err).AnErr("cause", cause).Str("reason", reason).Msg("moving message to the DLQ failed; retrying it later")
		r.retry(ctx, log, d, "dlq_failed", r.backoff(d), nil)
		return
	}
	log.Error().Err(cause).Str("outcome", "dead_lettered").Str("reason", reason).Msg("message moved to the DLQ")
}
