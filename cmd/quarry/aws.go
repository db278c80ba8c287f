package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra"
)

// awsEnv is what the queue-facing subcommands work with: clients, the
// topology, and the address of the endpoint when one was given.
type awsEnv struct {
	clients  infra.Clients
	topology infra.Topology
}

func (a *app) awsEnv(ctx context.Context, endpoint string) (*awsEnv, error) {
	cfg, err := infra.LoadAWSConfig(ctx, infra.AWSOptions{Endpoint: endpoint})
	if err != nil {
		return nil, err
	}
	top := infra.DefaultTopology()
	top.BlobBucket = a.cfg.BlobBucket
	top.SenderIdentity = a.cfg.senderIdentity()
	return &awsEnv{clients: infra.NewClients(cfg), topology: top}, nil
}

// queueURL resolves a role (fetch), a queue name (quarry-fetch) or a URL.
func (e *awsEnv) queueURL(ctx context.Context, name string) (string, error) {
	return e.topology.QueueURL(ctx, e.clients.SQS, name)
}

// dlqURL resolves a role, a queue or a DLQ to the DLQ's URL: "fetch",
// "fetch-dlq", "quarry-fetch" and "quarry-fetch-dlq" all name the fetch DLQ.
func (e *awsEnv) dlqURL(ctx context.Context, name string) (string, error) {
	return e.topology.DLQURL(ctx, e.clients.SQS, name)
}

func (e *awsEnv) queueAttrs(ctx context.Context, url string, names ...types.QueueAttributeName) (map[string]string, error) {
	out, err := e.clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: names})
	if err != nil {
		return nil, fmt.Errorf("reading attributes of %s: %w", url, err)
	}
	return out.Attributes, nil
}

// jobsTopicARN finds the jobs topic's ARN by name.
func (e *awsEnv) jobsTopicARN(ctx context.Context) (string, error) {
	arn, err := infra.FindTopic(ctx, e.clients.SNS, e.topology.JobsTopic)
	if errors.Is(err, infra.ErrTopicNotFound) {
		return "", fmt.Errorf("%w (has `quarry infra apply` run?)", err)
	}
	return arn, err
}

// sourceOf finds the queue whose DLQ is dlqURL: its name without "-dlq".
func (e *awsEnv) sourceOf(ctx context.Context, dlqURL string) (string, error) {
	name := strings.TrimSuffix(dlqURL[strings.LastIndexByte(dlqURL, '/')+1:], "-dlq")
	return e.queueURL(ctx, name)
}

// dlq connects and resolves a DLQ argument of the dlq subcommands.
func (a *app) dlq(ctx context.Context, endpoint, name string) (*awsEnv, string, error) {
	env, err := a.awsEnv(ctx, endpoint)
	if err != nil {
		return nil, "", err
	}
	url, err := env.dlqURL(ctx, name)
	return env, url, err
}
