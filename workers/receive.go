package workers

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// receiveLinger is how long a receive waits for more handler slots to free
// up when fewer than a full batch are free: long enough for a busy runner's
// slots to fill a batch of 10 (fewer, larger receives: less SQS cost and
// CPU per message), short enough to add nothing a person would notice to
// the latency of a job that waits for a slot.
const receiveLinger = 10 * time.Millisecond

// receiveLoop receives until ctx is cancelled and hands each received
// batch to admit. Each receive asks for as many messages as there are free
// handler slots (at most 10), so no message waits in memory while its
// visibility timeout runs. When fewer than a batch are free it waits up to
// receiveLinger for more.
func (r *Runner) receiveLoop(ctx context.Context, admit func([]*delivery)) {
	failures := 0
	batch := min(10, r.cfg.Concurrency)
	linger := time.NewTimer(receiveLinger)
	linger.Stop()
	defer linger.Stop()
	for ctx.Err() == nil {
		if r.cfg.Gate != nil {
			if err := r.cfg.Gate.Wait(ctx); err != nil {
				return
			}
		}
		n, ok := r.takeSlots(ctx, batch, linger)
		if !ok {
			return
		}
		out, err := r.cfg.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(r.cfg.QueueURL),
			MaxNumberOfMessages: int32(n),
			WaitTimeSeconds:     int32(r.cfg.WaitTime / time.Second),
			// Only the system attributes the runner reads: the receive
			// count (attempt, backoff), the first receive (DLQ reason)
			// and the send time (queue lag). It reads no message
			// attributes, so it asks for none: they would cost every
			// receive their encoding, decoding and MD5 check (about a
			// tenth of the runtime's CPU per message in the bench).
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{
				types.MessageSystemAttributeNameApproximateReceiveCount,
				types.MessageSystemAttributeNameApproximateFirstReceiveTimestamp,
				types.MessageSystemAttributeNameSentTimestamp,
			},
		})
		var got []types.Message
		if out != nil {
			got = out.Messages
		}
		for range n - len(got) {
			<-r.slots
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			wait := r.cfg.Backoff.Delay(min(failures, 6), r.jitter())
			r.log.Warn().Err(err).Dur("retry_in", wait).Msg("receive failed")
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return
			}
			continue
		}
		failures = 0
		if len(got) > 0 {
			ds := make([]*delivery, len(got))
			for i, m := range got {
				ds[i] = r.track(m)
			}
			admit(ds)
		}
	}
}

// takeSlots waits for one free handler slot, then takes more up to batch,
// waiting at most receiveLinger for them. It returns how many it took; ok
// is false (and none are held) when ctx ended first.
func (r *Runner) takeSlots(ctx context.Context, batch int, linger *time.Timer) (n int, ok bool) {
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return 0, false
	}
	linger.Reset(receiveLinger)
	defer linger.Stop()
	for n = 1; n < batch; n++ {
		select {
		case r.slots <- struct{}{}:
		case <-linger.C:
			return n, true
		case <-ctx.Done():
			for range n {
				<-r.slots
			}
			return 0, false
		}
	}
	return n, true
}
