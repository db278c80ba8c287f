package workers

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/rs/zerolog"
)

// heartbeat keeps long jobs alive: every third of the visibility timeout it
// extends the SQS visibility of every message in flight
// (ChangeMessageVisibilityBatch, 10 per call) and the claim lease of every
// job running. A job whose claim another worker has taken over is
// cancelled with ErrClaimTakenOver.
type heartbeat struct {
	sqs      SQS
	queueURL string
	claims   Claims
	vis      time.Duration
	log      zerolog.Logger
	// inflight lists the deliveries held; held tells whether one still is.
	inflight func() []*delivery
	held     func(*delivery) bool

	stop chan struct{}
	done chan struct{}
}

func newHeartbeat(r *Runner) *heartbeat {
	return &heartbeat{
		sqs: r.cfg.SQS, queueURL: r.cfg.QueueURL, claims: r.cfg.Claims, vis: r.vis, log: r.log,
		inflight: r.snapshot, held: r.tracked,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
}

// run beats until close. ctx bounds each beat's calls.
func (h *heartbeat) run(ctx context.Context) {
	defer close(h.done)
	t := time.NewTicker(h.vis / 3)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			h.beat(ctx)
		}
	}
}

// close stops the heartbeat and waits for a beat in progress.
func (h *heartbeat) close() {
	close(h.stop)
	<-h.done
}

func (h *heartbeat) beat(ctx context.Context) {
	ds := h.inflight()
	if len(ds) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, h.vis/3)
	defer cancel()
	secs := int32(h.vis / time.Second)
	for start := 0; start < len(ds); start += 10 {
		chunk := ds[start:min(start+10, len(ds))]
		entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(chunk))
		for i, d := range chunk {
			entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(d.receipt), VisibilityTimeout: secs,
			}
		}
		out, err := h.sqs.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{
			QueueUrl: aws.String(h.queueURL), Entries: entries,
		})
		if err != nil {
			h.log.Warn().Err(err).Int("messages", len(chunk)).Msg("heartbeat: extending visibility failed")
			continue
		}
		for _, f := range out.Failed {
			// A delivery settled since the snapshot (its message deleted
			// meanwhile) has nothing left to extend.
			if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i < len(chunk) && !h.held(chunk[i]) {
				continue
			}
			h.log.Warn().Str("code", aws.ToString(f.Code)).Str("error", aws.ToString(f.Message)).Msg("heartbeat: extending visibility of one message failed")
		}
	}
	for _, d := range ds {
		lease, cancelJob := d.claim()
		if lease == nil {
			continue
		}
		err := h.claims.Extend(ctx, lease, h.vis)
		switch {
		case err == nil:
		case claimGone(err):
			h.log.Warn().Err(err).Str("message_id", d.messageID).Msg("heartbeat: the job's claim was taken over; cancelling the job")
			cancelJob(ErrClaimTakenOver)
		default:
			h.log.Warn().Err(err).Str("message_id", d.messageID).Msg("heartbeat: extending claim lease failed")
		}
	}
}
