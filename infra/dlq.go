package infra

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/messages"
)

// DeadLetter is one message in a DLQ as `quarry dlq peek` shows it.
type DeadLetter struct {
	MessageID string `json:"message_id"`
	// Reason is why it is here: the runner's reason attribute, or, for a
	// message SQS moved after maxReceiveCount receives, that fact.
	Reason       string    `json:"reason"`
	Stage        string    `json:"stage,omitempty"`
	ReceiveCount int       `json:"receive_count"`
	FirstSeen    time.Time `json:"first_seen,omitzero"`
	SentAt       time.Time `json:"sent_at,omitzero"`
	SourceQueue  string    `json:"source_queue,omitempty"`
	// Job is the decoded job, when the body holds one.
	Job *messages.Job `json:"job,omitempty"`
	// DecodeError says why the body is not a job.
	DecodeError string `json:"decode_error,omitempty"`
	Body        string `json:"body"`
}

// PeekDLQ returns up to n messages of a DLQ without removing them: they are
// held invisible while being read (so none is read twice) and made visible
// again at the end. Each read counts as a receive, as in the AWS console.
func PeekDLQ(ctx context.Context, c SQS, dlqURL string, n int) ([]DeadLetter, error) {
	var out []DeadLetter
	var handles []string
	defer func() {
		// Give every peeked message back at once, even if ctx is done.
		release(context.WithoutCancel(ctx), c, dlqURL, handles)
	}()
	for len(out) < n {
		got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(dlqURL), MaxNumberOfMessages: int32(min(10, n-len(out))), VisibilityTimeout: 60,
			WaitTimeSeconds: 1, MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			return out, fmt.Errorf("reading DLQ: %w", err)
		}
		if len(got.Messages) == 0 {
			break
		}
		for _, m := range got.Messages {
			handles = append(handles, aws.ToString(m.ReceiptHandle))
			out = append(out, describe(m))
		}
	}
	return out, nil
}

func describe(m types.Message) DeadLetter {
	attr := func(name string) string { return aws.ToString(m.MessageAttributes[name].StringValue) }
	d := DeadLetter{
		MessageID: aws.ToString(m.MessageId),
		Reason:    attr(messages.DLQAttrError),
		Stage:     attr(messages.DLQAttrStage),
		Body:      aws.ToString(m.Body),
	}
	d.ReceiveCount, _ = strconv.Atoi(attr(messages.DLQAttrReceiveCount))
	if d.ReceiveCount == 0 {
		d.ReceiveCount, _ = strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
	}
	d.FirstSeen, _ = time.Parse(time.RFC3339Nano, attr(messages.DLQAttrFirstSeen))
	if ms, err := strconv.ParseInt(m.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)], 10, 64); err == nil {
		d.SentAt = time.UnixMilli(ms).UTC()
	}
	if src := m.Attributes[string(types.MessageSystemAttributeNameDeadLetterQueueSourceArn)]; src != "" {
		d.SourceQueue = src[strings.LastIndexByte(src, ':')+1:]
		if d.Reason == "" {
			d.Reason = fmt.Sprintf("moved by SQS after %d receives (maxReceiveCount exceeded)", d.ReceiveCount-1)
		}
	}
	job, err := messages.DecodeDelivery(d.Body)
	if err != nil {
		d.DecodeError = err.Error()
	} else {
		d.Job = &job
	}
	return d
}

func release(ctx context.Context, c SQS, url string, handles []string) {
	for start := 0; start < len(handles); start += 10 {
		var entries []types.ChangeMessageVisibilityBatchRequestEntry
		for i, h := range handles[start:min(start+10, len(handles))] {
			entries = append(entries, types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(h), VisibilityTimeout: 0})
		}
		_, _ = c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: entries})
	}
}

// SQS is the part of the SQS API the DLQ tools use; *sqs.Client has it.
type SQS interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	StartMessageMoveTask(ctx context.Context, in *sqs.StartMessageMoveTaskInput, opts ...func(*sqs.Options)) (*sqs.StartMessageMoveTaskOutput, error)
	ListMessageMoveTasks(ctx context.Context, in *sqs.ListMessageMoveTasksInput, opts ...func(*sqs.Options)) (*sqs.ListMessageMoveTasksOutput, error)
}

// RedriveOptions narrow a redrive.
type RedriveOptions struct {
	// JobType moves only jobs of this type; the rest stay in the DLQ.
	JobType string
	// Max moves at most this many messages; 0 is all.
	Max int
	// Progress, when set, is called after every moved message.
	Progress func(moved int)
}

// RedriveResult says what a redrive did.
type RedriveResult struct {
	// TaskHandle is set when the redrive ran as an SQS message move task.
	TaskHandle string
	Moved      int
}

// RedriveDLQ moves messages from a DLQ back to their source queue. Without a
// filter it starts an SQS message move task (StartMessageMoveTask) to
// sourceURL, which SQS runs on its own, for every message the DLQ holds:
// the ones SQS moved there and the ones the worker sent; with JobType or Max it moves matching messages one by
// one: sent to the source queue first, then deleted from the DLQ, so a crash
// in between leaves a duplicate (which the jobs' dedup keys absorb), never a
// loss. The quarry.* reason attributes are dropped on the way back.
func RedriveDLQ(ctx context.Context, c SQS, dlqURL, sourceURL string, o RedriveOptions) (RedriveResult, error) {
	if o.JobType == "" && o.Max == 0 {
		dlqARN, err := queueARN(ctx, c, dlqURL)
		if err != nil {
			return RedriveResult{}, fmt.Errorf("reading DLQ ARN: %w", err)
		}
		// The destination is named: messages the worker dead-lettered
		// itself (SendMessage) carry no DeadLetterQueueSourceArn, and a DLQ
		// serves exactly one queue, so every message goes back there.
		srcARN, err := queueARN(ctx, c, sourceURL)
		if err != nil {
			return RedriveResult{}, fmt.Errorf("reading source queue ARN: %w", err)
		}
		out, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN), DestinationArn: aws.String(srcARN)})
		if err != nil {
			return RedriveResult{}, fmt.Errorf("starting message move task: %w", err)
		}
		return RedriveResult{TaskHandle: aws.ToString(out.TaskHandle)}, nil
	}
	var res RedriveResult
	var skipped []string
	defer func() { release(context.WithoutCancel(ctx), c, dlqURL, skipped) }()
	for o.Max == 0 || res.Moved < o.Max {
		got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(dlqURL), MaxNumberOfMessages: 10, VisibilityTimeout: 120, WaitTimeSeconds: 1,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			return res, fmt.Errorf("reading DLQ: %w", err)
		}
		if len(got.Messages) == 0 {
			return res, nil
		}
		for _, m := range got.Messages {
			handle := aws.ToString(m.ReceiptHandle)
			if (o.Max > 0 && res.Moved >= o.Max) || !matches(m, o.JobType) {
				skipped = append(skipped, handle)
				continue
			}
			attrs := map[string]types.MessageAttributeValue{}
			for k, v := range m.MessageAttributes {
				if !strings.HasPrefix(k, "quarry.") {
					attrs[k] = v
				}
			}
			if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(sourceURL), MessageBody: m.Body, MessageAttributes: attrs}); err != nil {
				skipped = append(skipped, handle)
				return res, fmt.Errorf("sending message %s back: %w", aws.ToString(m.MessageId), err)
			}
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlqURL), ReceiptHandle: aws.String(handle)}); err != nil {
				return res, fmt.Errorf("deleting redriven message %s from the DLQ: %w", aws.ToString(m.MessageId), err)
			}
			res.Moved++
			if o.Progress != nil {
				o.Progress(res.Moved)
			}
		}
	}
	return res, nil
}

func queueARN(ctx context.Context, c SQS, url string) (string, error) {
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", err
	}
	return attrs.Attributes[string(types.QueueAttributeNameQueueArn)], nil
}

func matches(m types.Message, jobType string) bool {
	if jobType == "" {
		return true
	}
	if v := aws.ToString(m.MessageAttributes[AttrJobType].StringValue); v != "" {
		return v == jobType
	}
	job, err := messages.DecodeDelivery(aws.ToString(m.Body))
	return err == nil && job.Type == jobType
}

// WaitMoveTask polls a move task until it leaves RUNNING, reporting progress.
func WaitMoveTask(ctx context.Context, c SQS, dlqURL string, progress func(moved, total int64)) (types.ListMessageMoveTasksResultEntry, error) {
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(dlqURL), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		return types.ListMessageMoveTasksResultEntry{}, fmt.Errorf("reading DLQ ARN: %w", err)
	}
	for {
		out, err := c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(attrs.Attributes["QueueArn"]), MaxResults: aws.Int32(1)})
		if err != nil {
			return types.ListMessageMoveTasksResultEntry{}, fmt.Errorf("reading move task: %w", err)
		}
		if len(out.Results) == 0 {
			return types.ListMessageMoveTasksResultEntry{}, errors.New("no move task found")
		}
		t := out.Results[0]
		if progress != nil {
			progress(t.ApproximateNumberOfMessagesMoved, aws.ToInt64(t.ApproximateNumberOfMessagesToMove))
		}
		if aws.ToString(t.Status) != "RUNNING" {
			return t, nil
		}
		select {
		case <-ctx.Done():
			return t, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
