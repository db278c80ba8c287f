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

// process runs one delivery to its end: decode, claim, handle, settle.
// Every path ends in exactly one of: delete (done or duplicate), a visibility
// change (retry later or give back), or a move to the DLQ.
//
// cleanup is workCtx without its cancellation, for the calls that settle a
// delivery (they must run even when the job was cancelled).
func (r *Runner) process(workCtx, cleanup context.Context, d *delivery) {
	body, err := messages.DecodeQueueBody(aws.ToString(d.msg.Body))
	if err != nil {
		r.toDLQ(cleanup, r.deliveryLog(d), d, reasonUndecodable, err)
		return
	}
	job, ok := jobOf(body)
	if !ok {
		// An SES setup notice carries no work.
		log := r.deliveryLog(d)
		log.Debug().Str("kind", body.Kind.String()).Msg("notice acknowledged")
		r.deletes.add(d.receipt)
		return
	}
	// The job's logger, built once with every field a job's lines carry.
	log := r.log.With().Str("message_id", d.messageID).Int("attempt", d.receiveCount).
		Str("job_id", job.ID).Str("job_type", job.Type).Logger()
	h, found := r.cfg.Handlers[job.Type]
	if !found {
		r.toDLQ(cleanup, log, d, reasonNoHandler, fmt.Errorf("role %s has no handler for job type %q", r.cfg.Role, job.Type))
		return
	}

	// A duplicate of a job this runner is already running waits for it here
	// and then finds it completed, instead of bouncing through SQS.
	release, ok := r.singleFlight(workCtx, job.IdempotencyKey)
	if !ok {
		r.retry(cleanup, log, d, "shutdown", 0, nil)
		return
	}
	defer release()

	claim, err := r.cfg.Claims.Claim(cleanup, job.IdempotencyKey, messages.PayloadHash(job), r.vis)
	if err != nil {
		// Redis is unreachable: try again later rather than run unguarded.
		r.retry(cleanup, log, d, "claim_failed", r.backoff(d), err)
		return
	}
	switch claim.Status {
	case idempotency.StatusCompleted:
		r.qm.duplicates.Inc()
		log.Debug().Str("idempotency_key", job.IdempotencyKey).Msg("duplicate: job already done, acknowledged")
		r.deletes.add(d.receipt)
		return
	case idempotency.StatusInProgress:
		// Another worker holds a live lease. Look again after the backoff
		// delay, or once the lease could have expired if that is sooner: by
		// then the job is usually done (a duplicate) or can be taken over.
		wait := max(min(claim.RetryIn, r.backoff(d)), time.Second)
		log.Debug().Dur("retry_in", wait).Msg("job in progress elsewhere; looking again later")
		r.retry(cleanup, log, d, "in_progress", wait, nil)
		return
	case idempotency.StatusPayloadConflict:
		r.toDLQ(cleanup, log, d, reasonConflict, fmt.Errorf("idempotency key %q was used by a job with a different payload", job.IdempotencyKey))
		return
	}
	lease := claim.Lease

	jobCtx, cancelJob := context.WithCancelCause(workCtx)
	defer cancelJob(nil)
	d.setLease(lease, cancelJob)
	jobCtx, cancelTimeout := context.WithTimeout(jobCtx, r.cfg.JobTimeout)
	defer cancelTimeout()
	jobCtx = idempotency.WithLease(log.WithContext(jobCtx), lease)

	tm := r.qm.byType[job.Type] // set for every type with a handler
	start := time.Now()
	result, err := r.run(jobCtx, h, job)
	tm.duration.Observe(time.Since(start).Seconds())
	// The heartbeat stops extending the lease: it is completed or released
	// below. The message's visibility is still extended until it is settled.
	d.setLease(nil, nil)

	cause := context.Cause(jobCtx)
	switch {
	case err == nil:
		r.complete(cleanup, log, d, tm, lease, result)
	case errors.Is(cause, ErrLeaseLost):
		// Another worker owns the job now; our copy of the message stays
		// for the heartbeat-less visibility timeout and becomes a duplicate.
		r.metrics.processed.WithLabelValues(r.queue, job.Type, "lease_lost").Inc()
		log.Warn().Err(err).Msg("job abandoned: claim lease lost to another worker")
	case errors.Is(cause, ErrShutdown):
		r.metrics.processed.WithLabelValues(r.queue, job.Type, "shutdown").Inc()
		r.release(cleanup, log, lease)
		r.retry(cleanup, log, d, "shutdown", 0, nil)
		log.Info().Msg("job given back at shutdown")
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

// complete stores the result with the claim and acknowledges the message.
func (r *Runner) complete(ctx context.Context, log zerolog.Logger, d *delivery, tm typeMetrics, lease *idempotency.Lease, result []byte) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.cfg.Claims.Complete(ctx, lease, result, r.cfg.ResultRetention); err != nil {
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
	tm.ok.Inc()
	log.Debug().Msg("job done")
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
		log.Warn().Err(cause).Str("reason", reason).Dur("retry_in", wait).Msg("job will be retried")
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
	log.Error().Err(cause).Str("reason", reason).Msg("message moved to the DLQ")
}
