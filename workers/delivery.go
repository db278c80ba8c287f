package workers

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/idempotency"
)

// delivery is one received message while the runner holds it.
type delivery struct {
	msg          types.Message
	receipt      string
	messageID    string
	receiveCount int
	firstSeen    time.Time // ApproximateFirstReceiveTimestamp
	sent         time.Time // SentTimestamp

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

// singleFlight lets one delivery per idempotency key run in this runner at a
// time; the others wait until it is done. ok is false when ctx ended first.
func (r *Runner) singleFlight(ctx context.Context, key string) (release func(), ok bool) {
	for {
		r.mu.Lock()
		ch, busy := r.running[key]
		if !busy {
			ch = make(chan struct{})
			r.running[key] = ch
			r.mu.Unlock()
			return func() {
				r.mu.Lock()
				delete(r.running, key)
				r.mu.Unlock()
				close(ch)
			}, true
		}
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, false
		}
	}
}
