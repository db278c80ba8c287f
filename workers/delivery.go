package workers

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/rs/zerolog"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/messages"
)

// delivery is one received message while the runner holds it.
type delivery struct {
	msg          types.Message
	receipt      string
	messageID    string
	receiveCount int
	firstSeen    time.Time // ApproximateFirstReceiveTimestamp
	sent         time.Time // SentTimestamp

	// Set by admit before the job runs.
	job      messages.Job
	handler  Handler
	log      zerolog.Logger     // carries the job's fields
	acquired *idempotency.Lease // the job's claim, once acquired
	result   []byte             // what the succeeded job returned, to record
	started  time.Time          // when the handler started
	local    *localRun          // registered in Runner.running; ended by settle

	// mu guards lease and cancel, which the heartbeat reads.
	mu     sync.Mutex
	lease  *idempotency.Lease
	cancel context.CancelCauseFunc
}

func (d *delivery) setLease(l *idempotency.Lease, cancel context.CancelCauseFunc) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lease, d.cancel = l, cancel
}

func (d *delivery) claim() (*idempotency.Lease, context.CancelCauseFunc) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lease, d.cancel
}

func msTime(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func (r *Runner) track(m types.Message) *delivery {
	d := &delivery{
		msg:       m,
		receipt:   aws.ToString(m.ReceiptHandle),
		messageID: aws.ToString(m.MessageId),
		firstSeen: msTime(m.Attributes[string(types.MessageSystemAttributeNameApproximateFirstReceiveTimestamp)]),
		sent:      msTime(m.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)]),
	}
	d.receiveCount, _ = strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
	if d.receiveCount < 1 {
		d.receiveCount = 1
	}
	r.mu.Lock()
	r.inflight[d.receipt] = d
	r.mu.Unlock()
	r.qm.received.Inc()
	r.qm.inFlight.Inc()
	if !d.sent.IsZero() {
		r.qm.lag.Observe(r.cfg.Now().Sub(d.sent).Seconds())
	}
	return d
}

func (r *Runner) untrack(d *delivery) {
	r.mu.Lock()
	delete(r.inflight, d.receipt)
	r.mu.Unlock()
	r.qm.inFlight.Dec()
}

// tracked reports whether d is still held (not settled yet).
func (r *Runner) tracked(d *delivery) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inflight[d.receipt] == d
}

// snapshot returns the deliveries in flight, for the heartbeat.
func (r *Runner) snapshot() []*delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*delivery, 0, len(r.inflight))
	for _, d := range r.inflight {
		out = append(out, d)
	}
	return out
}

// localRun is the one delivery of a job that this runner is running;
// other deliveries of the job wait for it.
type localRun struct {
	done chan struct{} // closed when the delivery is settled
	// completed is set before done is closed when the run recorded the job
	// as completed: a waiting copy is then a duplicate, as a claim would say.
	completed bool
}

// markCompleted notes that d's job is recorded as completed, for the
// copies waiting for d. Called before settle, on the goroutine that
// settles d.
func (d *delivery) markCompleted() {
	if d.local != nil {
		d.local.completed = true
	}
}

// finish settles d and frees its handler slot.
func (r *Runner) finish(d *delivery) {
	r.settle(d)
	<-r.slots
}

// startLocal registers d as the one delivery of its job this runner runs.
// It returns false, registering nothing, when another delivery of the same
// job holds the registration: d then waits for it with waitLocal.
func (r *Runner) startLocal(d *delivery) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, busy := r.running[d.job.IdempotencyKey]; busy {
		return false
	}
	d.local = &localRun{done: make(chan struct{})}
	r.running[d.job.IdempotencyKey] = d.local
	return true
}

// waitLocal waits until no other delivery of d's job is running in this
// runner. If the one it waited for completed the job, it returns
// completed: d is a duplicate. Otherwise it registers d and returns
// neither. ok is false when ctx ended first.
func (r *Runner) waitLocal(ctx context.Context, d *delivery) (completed, ok bool) {
	for {
		r.mu.Lock()
		run, busy := r.running[d.job.IdempotencyKey]
		if !busy {
			d.local = &localRun{done: make(chan struct{})}
			r.running[d.job.IdempotencyKey] = d.local
			r.mu.Unlock()
			return false, true
		}
		r.mu.Unlock()
		select {
		case <-run.done:
			if run.completed {
				return true, true
			}
		case <-ctx.Done():
			return false, false
		}
	}
}

// deliveryLog is the logger of a delivery whose job is not known (its body
// did not decode, or carries no job).
func (r *Runner) deliveryLog(d *delivery) zerolog.Logger {
	return r.log.With().Str("message_id", d.messageID).Int("attempt", d.receiveCount).Logger()
}
