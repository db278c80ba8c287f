package infra

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// QueueURLResolver is the part of the SQS API that resolves queue names;
// *sqs.Client has it.
type QueueURLResolver interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, opts ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
}

// QueueURL resolves a role (fetch), a queue name (quarry-fetch) or a URL to
// the queue's URL. A queue SQS does not know is an error wrapping
// *types.QueueDoesNotExist.
func (t Topology) QueueURL(ctx context.Context, c QueueURLResolver, name string) (string, error) {
	if strings.Contains(name, "://") {
		return name, nil
	}
	if q, ok := t.Queue(name); ok {
		name = q.Name
	}
	out, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		if _, missing := errors.AsType[*types.QueueDoesNotExist](err); missing {
			return "", fmt.Errorf("queue %s: %w (has `quarry infra apply` run?)", name, err)
		}
		return "", fmt.Errorf("queue %s: %w", name, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// DLQURL resolves a role, a queue or a DLQ to the DLQ's URL: "fetch",
// "fetch-dlq", "quarry-fetch" and "quarry-fetch-dlq" all name the fetch DLQ.
func (t Topology) DLQURL(ctx context.Context, c QueueURLResolver, name string) (string, error) {
	if strings.Contains(name, "://") {
		return name, nil
	}
	base := strings.TrimSuffix(name, "-dlq")
	for _, q := range t.Queues {
		if q.Role == base || q.Name == base {
			return t.QueueURL(ctx, c, q.DLQName())
		}
	}
	return t.QueueURL(ctx, c, base+"-dlq")
}

// DLQQueue finds the queue of the topology whose DLQ name names: a role,
// a queue or a DLQ, as [Topology.DLQURL] takes them. It reports false for a
// name the topology does not have.
func (t Topology) DLQQueue(name string) (Queue, bool) {
	base := strings.TrimSuffix(name, "-dlq")
	for _, q := range t.Queues {
		if q.Role == base || q.Name == base || q.DLQName() == name {
			return q, true
		}
	}
	return Queue{}, false
}
