package workers

import (
	"context"
	"errors"
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

// completed acts on the store's answer to a succeeded job's completion
// (recorded in a batch by the completer) and settles the delivery: the
// message is acknowledged once the completion is recorded.
func (r *Runner) completed(d *delivery, err error) {
	defer r.settle(d)
	log := d.log
	if err != nil {
		if claimGone(err) {
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
	if err := r.cfg.Claims.Release(ctx, lease); err != nil && !claimGone(err) {
		log.Warn().Err(err).Msg("releasing claim failed; it frees itself when its lease expires")
	}
}

// retry gives the message back to SQS to be received again after wait.
func (r *Runner) retry(ctx context.Context, log zerolog.Logger, d *delivery, reason string, wait time.Duration, cause error) {
	wait = min(wait, messages.MaxVisibilityTimeout)
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

// claimGone reports whether a store call failed because the job's claim is
// no longer this runner's: completed or released (idempotency.ErrLeaseLost)
// or taken over by another worker (idempotency.ErrNotOwner).
func claimGone(err error) bool {
	return errors.Is(err, idempotency.ErrLeaseLost) || errors.Is(err, idempotency.ErrNotOwner)
}

// settle ends the runner's hold on a delivery whose message is dealt with:
// deliveries of the same job that wait for it go on, and it is no longer
// tracked (nor its visibility extended).
func (r *Runner) settle(d *delivery) {
	if d.local != nil {
		r.mu.Lock()
		delete(r.running, d.job.IdempotencyKey)
		r.mu.Unlock()
		close(d.local.done)
		d.local = nil
	}
	r.untrack(d)
}
