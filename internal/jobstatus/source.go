package jobstatus

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra"
)

// SQS is the part of the SQS API the reports read through; *sqs.Client
// has it.
type SQS interface {
	infra.SQS
	infra.QueueURLResolver
}

// Source is the fleet the reports read: its queues, by the topology.
type Source struct {
	// SQS reaches the queues. Required.
	SQS SQS
	// Topology names the queues and their DLQs.
	Topology infra.Topology
}

func (s Source) queueAttrs(ctx context.Context, url string, names ...types.QueueAttributeName) (map[string]string, error) {
	out, err := s.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: names})
	if err != nil {
		return nil, fmt.Errorf("reading attributes of %s: %w", url, err)
	}
	return out.Attributes, nil
}
