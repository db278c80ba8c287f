package infra

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// DeleteDLQMessage deletes the message whose id is messageID from a DLQ,
// for good. SQS deletes by receipt handle, not by id, so the DLQ is read
// as [PeekDLQ] reads it (each message held while it is looked at, then
// given back) until the message turns up, at most scan messages. It
// reports false when the message was not among them.
func DeleteDLQMessage(ctx context.Context, c SQS, dlqURL, messageID string, scan int) (bool, error) {
	var handles []string
	defer func() { release(context.WithoutCancel(ctx), c, dlqURL, handles) }()
	for seen := 0; seen < scan; {
		got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(dlqURL), MaxNumberOfMessages: int32(min(10, scan-seen)), VisibilityTimeout: 60, WaitTimeSeconds: 1,
		})
		if err != nil {
			return false, fmt.Errorf("reading DLQ: %w", err)
		}
		if len(got.Messages) == 0 {
			return false, nil
		}
		var target *string
		for _, m := range got.Messages {
			seen++
			if aws.ToString(m.MessageId) == messageID {
				target = m.ReceiptHandle
				continue
			}
			handles = append(handles, aws.ToString(m.ReceiptHandle))
		}
		if target == nil {
			continue
		}
		if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlqURL), ReceiptHandle: target}); err != nil {
			handles = append(handles, aws.ToString(target))
			return false, fmt.Errorf("deleting message %s: %w", messageID, err)
		}
		return true, nil
	}
	return false, nil
}
