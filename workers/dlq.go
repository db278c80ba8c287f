package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/messages"
)

// Message attributes the runner adds when it moves a message to the DLQ, so
// `quarry dlq peek` can say why.
const (
	AttrError        = messages.DLQAttrError
	AttrStage        = messages.DLQAttrStage
	AttrReceiveCount = messages.DLQAttrReceiveCount
	AttrFirstSeen    = messages.DLQAttrFirstSeen
)

// maxReasonLen keeps the reason attribute readable and well inside SQS's
// message size limit.
const maxReasonLen = 4096

// deadLetter moves a message to the DLQ with the reason and deletes it from
// the source queue. The copy is sent before the delete, so a crash between
// the two leaves a duplicate in the DLQ, never a lost message.
func (r *Runner) deadLetter(ctx context.Context, d *delivery, reason string, cause error) error {
	if r.cfg.DLQURL == "" {
		return fmt.Errorf("queue %s has no dead-letter queue (no RedrivePolicy, no Config.DLQURL)", r.queue)
	}
	msg := cause.Error()
	if len(msg) > maxReasonLen {
		msg = msg[:maxReasonLen] + "…"
	}
	first := d.firstSeen
	if first.IsZero() {
		first = r.cfg.Now()
	}
	str := func(s string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s)}
	}
	// The copy carries the body as received and the reason. Receives ask
	// for no message attributes (the runner reads none), so the sender's
	// are not copied; the job's type, which the DLQ tools filter on, is
	// set again from the job when the body decoded.
	attrs := map[string]types.MessageAttributeValue{
		AttrError:        str(reason + ": " + msg),
		AttrStage:        str(r.cfg.Role),
		AttrReceiveCount: {DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(d.receiveCount))},
		AttrFirstSeen:    str(first.UTC().Format(time.RFC3339Nano)),
	}
	if d.job.Type != "" {
		attrs[messages.AttrJobType] = str(d.job.Type)
	}
	if _, err := r.cfg.SQS.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(r.cfg.DLQURL), MessageBody: d.msg.Body, MessageAttributes: attrs,
	}); err != nil {
		return fmt.Errorf("sending message %s to the DLQ: %w", d.messageID, err)
	}
	r.metrics.deadLettered.WithLabelValues(r.queue, reason).Inc()
	r.deletes.add(d.receipt)
	return nil
}

// dlqFromRedrivePolicy finds the DLQ's URL from a queue's RedrivePolicy.
func dlqFromRedrivePolicy(ctx context.Context, c SQS, policy string) (string, error) {
	if policy == "" {
		return "", nil
	}
	var p struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	}
	if err := json.Unmarshal([]byte(policy), &p); err != nil {
		return "", fmt.Errorf("decoding RedrivePolicy: %w", err)
	}
	parts := strings.Split(p.DeadLetterTargetArn, ":")
	if len(parts) != 6 {
		return "", fmt.Errorf("RedrivePolicy: %q is not a queue ARN", p.DeadLetterTargetArn)
	}
	out, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(parts[5]), QueueOwnerAWSAccountId: aws.String(parts[4])})
	if err != nil {
		return "", fmt.Errorf("finding DLQ %s: %w", parts[5], err)
	}
	return aws.ToString(out.QueueUrl), nil
}
