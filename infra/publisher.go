package infra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/quarry-dev/quarry/messages"
)

// AttrJobType is the SNS message attribute the subscriptions filter on.
const AttrJobType = messages.AttrJobType

// maxSNSMessage is SNS's publish limit (256 KB; SNS was not raised to SQS's
// 1 MiB).
const maxSNSMessage = 262_144

// Publisher publishes jobs to the jobs topic with the job_type attribute
// that routes them to their stage's queue.
type Publisher struct {
	sns      *sns.Client
	topicARN string
}

// NewPublisher returns a publisher for the topic.
func NewPublisher(c *sns.Client, topicARN string) *Publisher {
	return &Publisher{sns: c, topicARN: topicARN}
}

func (p *Publisher) encode(job messages.Job) (string, map[string]types.MessageAttributeValue, error) {
	if err := job.Validate(); err != nil {
		return "", nil, fmt.Errorf("job %s: %w", job.ID, err)
	}
	body, err := json.Marshal(job)
	if err != nil {
		return "", nil, fmt.Errorf("encoding job %s: %w", job.ID, err)
	}
	if len(body) > maxSNSMessage {
		return "", nil, fmt.Errorf("job %s is %d bytes, over SNS's %d-byte limit: put large inputs in the blob store and pass their key", job.ID, len(body), maxSNSMessage)
	}
	attrs := map[string]types.MessageAttributeValue{
		AttrJobType: {DataType: aws.String("String"), StringValue: aws.String(job.Type)},
	}
	return string(body), attrs, nil
}

// Publish publishes one job and returns the SNS message id.
func (p *Publisher) Publish(ctx context.Context, job messages.Job) (string, error) {
	body, attrs, err := p.encode(job)
	if err != nil {
		return "", err
	}
	out, err := p.sns.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(p.topicARN), Message: aws.String(body), MessageAttributes: attrs})
	if err != nil {
		return "", fmt.Errorf("publishing job %s: %w", job.ID, err)
	}
	return aws.ToString(out.MessageId), nil
}

// BatchError reports the jobs of a batch that were not published; every
// other job of the batch was.
type BatchError struct {
	Failed map[string]string // job id → reason
	// Err is the error of the call that failed, when a whole call did
	// (after the SDK's retries), rather than single entries.
	Err error
}

func (e *BatchError) Error() string {
	ids := make([]string, 0, len(e.Failed))
	for id := range e.Failed {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if len(ids) == 0 {
		return "batch not published"
	}
	return fmt.Sprintf("%d of the batch's jobs were not published (job %s: %s)", len(ids), ids[0], e.Failed[ids[0]])
}

func (e *BatchError) Unwrap() error { return e.Err }

// entryRounds is how many times PublishBatch sends the entries SNS failed
// on its side (SenderFault false) before giving up on them.
const entryRounds = 5

// PublishBatch publishes up to 10 jobs in one PublishBatch call. A throttled
// or failed call is retried by the client's retryer; entries SNS fails on
// its side are sent again, alone, with backoff; entries it refuses as the
// sender's fault are not. Unless every job was published the error is a
// *BatchError naming exactly the jobs that were not; an invalid job is
// refused before anything is sent.
func (p *Publisher) PublishBatch(ctx context.Context, jobs []messages.Job) error {
	if len(jobs) == 0 {
		return nil
	}
	if len(jobs) > 10 {
		return errors.New("PublishBatch takes at most 10 jobs")
	}
	entries := make([]types.PublishBatchRequestEntry, len(jobs))
	for i, j := range jobs {
		body, attrs, err := p.encode(j)
		if err != nil {
			return err
		}
		entries[i] = types.PublishBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), Message: aws.String(body), MessageAttributes: attrs}
	}
	backoff := retry.NewExponentialJitterBackoff(maxRetryBackoff)
	failed := map[string]string{}
	for round := 1; ; round++ {
		out, err := p.sns.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(p.topicARN), PublishBatchRequestEntries: entries})
		if err != nil {
			be := &BatchError{Failed: failed, Err: fmt.Errorf("publishing %d jobs: %w", len(entries), err)}
			for _, e := range entries {
				be.Failed[jobs[entryIndex(e.Id)].ID] = err.Error()
			}
			return be
		}
		var again []types.PublishBatchRequestEntry
		var lastErr error
		for _, f := range out.Failed {
			i := entryIndex(f.Id)
			if i < 0 || i >= len(jobs) {
				continue
			}
			reason := aws.ToString(f.Code) + ": " + aws.ToString(f.Message)
			if !f.SenderFault && round < entryRounds {
				again = append(again, entries[i])
				lastErr = errors.New(reason)
				continue
			}
			failed[jobs[i].ID] = reason
		}
		if len(again) == 0 {
			break
		}
		d, err := backoff.BackoffDelay(round, lastErr)
		if err != nil {
			d = time.Second
		}
		select {
		case <-ctx.Done():
			for _, e := range again {
				failed[jobs[entryIndex(e.Id)].ID] = ctx.Err().Error()
			}
			return &BatchError{Failed: failed, Err: ctx.Err()}
		case <-time.After(d):
		}
		entries = again
	}
	if len(failed) == 0 {
		return nil
	}
	return &BatchError{Failed: failed}
}

func entryIndex(id *string) int {
	i, err := strconv.Atoi(aws.ToString(id))
	if err != nil {
		return -1
	}
	return i
}

// FindTopic returns the ARN of the topic with that name.
func FindTopic(ctx context.Context, c *sns.Client, name string) (string, error) {
	pages := sns.NewListTopicsPaginator(c, &sns.ListTopicsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("listing topics: %w", err)
		}
		for _, t := range page.Topics {
			arn := aws.ToString(t.TopicArn)
			if i := len(arn) - len(name); i > 0 && arn[i-1] == ':' && arn[i:] == name {
				return arn, nil
			}
		}
	}
	return "", fmt.Errorf("topic %s: %w", name, ErrTopicNotFound)
}

// ErrTopicNotFound is returned by FindTopic when no topic has the name.
var ErrTopicNotFound = errors.New("topic not found")
