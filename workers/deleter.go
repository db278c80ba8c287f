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

// deleteLinger is how long a delete waits for company before its batch is
// sent: long enough to fill batches of 10 under load, short enough that a
// finished message does not outlive its visibility unacknowledged.
const deleteLinger = 20 * time.Millisecond

// deleter batches DeleteMessage calls into DeleteMessageBatch(10).
type deleter struct {
	sqs   SQS
	queue string
	log   zerolog.Logger
	in    chan string // receipt handles; closed by close()
}

func newDeleter(c SQS, queueURL string, log zerolog.Logger) *deleter {
	return &deleter{sqs: c, queue: queueURL, log: log, in: make(chan string, 256)}
}

// add queues a receipt handle for deletion.
func (d *deleter) add(receipt string) { d.in <- receipt }

// close flushes what is queued and stops run.
func (d *deleter) close() { close(d.in) }

func (d *deleter) run(ctx context.Context) {
	batch := make([]string, 0, 10)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	flush := func() {
		if len(batch) > 0 {
			d.flush(ctx, batch)
			batch = batch[:0]
		}
	}
	for {
		select {
		case h, ok := <-d.in:
			if !ok {
				flush()
				return
			}
			if len(batch) == 0 {
				timer.Reset(deleteLinger)
			}
			batch = append(batch, h)
			if len(batch) == 10 {
				timer.Stop()
				flush()
			}
		case <-timer.C:
			flush()
		}
	}
}

func (d *deleter) flush(ctx context.Context, handles []string) {
	entries := make([]types.DeleteMessageBatchRequestEntry, len(handles))
	for i, h := range handles {
		entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(h)}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := d.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(d.queue), Entries: entries})
	if err != nil {
		// The messages come back after their visibility timeout; their
		// completed claims make the redeliveries duplicates, acknowledged
		// without running the handler again.
		d.log.Error().Err(err).Int("messages", len(handles)).Msg("delete batch failed")
		return
	}
	for _, f := range out.Failed {
		d.log.Warn().Str("code", aws.ToString(f.Code)).Str("error", aws.ToString(f.Message)).Msg("delete of one message failed")
	}
}
