package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/messages"
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

// jobOf returns the job a decoded queue body carries: the job itself, or
// for an SES event the job [messages.SESEventJob] wraps it in, keyed for
// deduplication by the event's SNS message id. ok is false for bodies that
// carry no work (SES setup notices).
func jobOf(b messages.Body) (messages.Job, bool) {
	switch b.Kind {
	case messages.KindJob:
		return *b.Job, true
	case messages.KindSESEvent:
		return messages.SESEventJob(b), true
	}
	return messages.Job{}, false
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
