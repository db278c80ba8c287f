package workers

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/idempotency"
)

// heartbeat keeps long jobs alive: every third of the visibility timeout it
// extends
// the SQS visibility of every message in flight (ChangeMessageVisibilityBatch,
// 10 per call) and the claim lease of every job running. A job whose lease is
// lost is cancelled with ErrLeaseLost: another worker owns it now.
func (r *Runner) heartbeat(ctx context.Context, stop <-chan struct{}) {
	t := time.NewTicker(r.vis / 3)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			r.beat(ctx)
		}
	}
}

func (r *Runner) beat(ctx context.Context) {
	ds := r.snapshot()
	if len(ds) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.vis/3)
	defer cancel()
	secs := int32(r.vis / time.Second)
	for start := 0; start < len(ds); start += 10 {
		chunk := ds[start:min(start+10, len(ds))]
		entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(chunk))
		for i, d := range chunk {
			entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(d.receipt), VisibilityTimeout: secs,
			}
		}
		out, err := r.cfg.SQS.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{
			QueueUrl: aws.String(r.cfg.QueueURL), Entries: entries,
		})
		if err != nil {
			r.log.Warn().Err(err).Int("messages", len(chunk)).Msg("heartbeat: extending visibility failed")
			continue
		}
		for _, f := range out.Failed {
			// A delivery settled since the snapshot (its message deleted
			// meanwhile) has nothing left to extend.
			if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i < len(chunk) && !r.tracked(chunk[i]) {
				continue
			}
			r.log.Warn().Str("code", aws.ToString(f.Code)).Str("error", aws.ToString(f.Message)).Msg("heartbeat: extending visibility of one message failed")
		}
	}
	for _, d := range ds {
		lease, cancelJob := d.claim()
		if lease == nil {
			continue
		}
		err := r.cfg.Claims.Extend(ctx, lease, r.vis)
		switch {
		case err == nil:
		case errors.Is(err, idempotency.ErrLeaseLost), errors.Is(err, idempotency.ErrNotOwner):
			r.log.Warn().Err(err).Str("message_id", d.messageID).Msg("heartbeat: claim lease lost; cancelling the job")
			cancelJob(ErrLeaseLost)
		default:
			r.log.Warn().Err(err).Str("message_id", d.messageID).Msg("heartbeat: extending claim lease failed")
		}
	}
}
