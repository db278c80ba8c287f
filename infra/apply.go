package infra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Resources are the addresses of an applied topology.
type Resources struct {
	JobsTopicARN   string
	EventsTopicARN string
	Queues         map[string]QueueResources // by role
}

// QueueResources are the addresses of one role's queues.
type QueueResources struct {
	URL, ARN, DLQURL, DLQARN, SubscriptionARN string
}

// Apply creates the topology, or brings an existing one in line with it:
// topics, dead-letter queues, work queues with their redrive and access
// policies, subscriptions with job_type filter policies, and the SES
// configuration set with its SNS event destination, and the blob bucket. Running it twice changes
// nothing the second time.
func Apply(ctx context.Context, c Clients, t Topology) (Resources, error) {
	if err := t.Validate(); err != nil {
		return Resources{}, err
	}
	var res Resources
	var err error
	if res.JobsTopicARN, err = createTopic(ctx, c.SNS, t.JobsTopic); err != nil {
		return res, err
	}
	if res.EventsTopicARN, err = createTopic(ctx, c.SNS, t.EventsTopic); err != nil {
		return res, err
	}
	res.Queues = make(map[string]QueueResources, len(t.Queues))
	for _, q := range t.Queues {
		topicARN := res.JobsTopicARN
		if q.Topic == t.EventsTopic {
			topicARN = res.EventsTopicARN
		}
		var qr QueueResources
		if q.Unroutable {
			qr, err = applyUnroutable(ctx, c, q, topicARN, t.FilterPolicy(q))
		} else {
			qr, err = applyQueue(ctx, c, q, topicARN)
		}
		if err != nil {
			return res, err
		}
		res.Queues[q.Role] = qr
	}
	if t.BlobBucket != "" && c.S3 != nil {
		if err := NewBlobStore(c.S3, t.BlobBucket).EnsureBucket(ctx); err != nil {
			return res, err
		}
	}
	if t.ConfigurationSet != "" && c.SES != nil {
		if err := applyConfigurationSet(ctx, c.SES, t.ConfigurationSet, res.EventsTopicARN); err != nil {
			return res, err
		}
	}
	if t.SenderIdentity != "" && c.SES != nil {
		if err := applySenderIdentity(ctx, c.SES, t.SenderIdentity, t.ConfigurationSet); err != nil {
			return res, err
		}
	}
	return res, nil
}

func createTopic(ctx context.Context, c *sns.Client, name string) (string, error) {
	out, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("creating topic %s: %w", name, err)
	}
	return aws.ToString(out.TopicArn), nil
}

func seconds(d interface{ Seconds() float64 }) string {
	return strconv.Itoa(int(d.Seconds()))
}

func applyQueue(ctx context.Context, c Clients, q Queue, topicARN string) (QueueResources, error) {
	var r QueueResources
	var err error
	r.DLQURL, r.DLQARN, err = ensureQueue(ctx, c.SQS, q.DLQName(), map[string]string{
		"MessageRetentionPeriod": seconds(q.DLQRetention),
	})
	if err != nil {
		return r, err
	}
	redrive, _ := json.Marshal(map[string]any{"deadLetterTargetArn": r.DLQARN, "maxReceiveCount": q.MaxReceiveCount})
	sourceARN := strings.TrimSuffix(r.DLQARN, q.DLQName()) + q.Name
	r.URL, r.ARN, err = ensureQueue(ctx, c.SQS, q.Name, map[string]string{
		"VisibilityTimeout":             seconds(q.VisibilityTimeout),
		"MessageRetentionPeriod":        seconds(q.Retention),
		"ReceiveMessageWaitTimeSeconds": "20",
		"RedrivePolicy":                 string(redrive),
		"Policy":                        topicAccessPolicy(sourceARN, topicARN),
	})
	if err != nil {
		return r, err
	}
	allow, _ := json.Marshal(map[string]any{"redrivePermission": "byQueue", "sourceQueueArns": []string{r.ARN}})
	if _, err := c.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
		QueueUrl: aws.String(r.DLQURL), Attributes: map[string]string{"RedriveAllowPolicy": string(allow)},
	}); err != nil {
		return r, fmt.Errorf("setting redrive-allow policy on %s: %w", q.DLQName(), err)
	}
	r.SubscriptionARN, err = ensureSubscription(ctx, c.SNS, topicARN, r.ARN, q, q.FilterPolicy())
	return r, err
}

// topicAccessPolicy lets the topic, and only it, send to the queue.
func topicAccessPolicy(queueARN, topicARN string) string {
	policy, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid": "AllowQuarryTopic", "Effect": "Allow",
			"Principal": map[string]string{"Service": "sns.amazonaws.com"},
			"Action":    "sqs:SendMessage", "Resource": queueARN,
			"Condition": map[string]any{"ArnEquals": map[string]string{"aws:SourceArn": topicARN}},
		}},
	})
	return string(policy)
}

// applyUnroutable creates the queue that catches what no stage takes,
// subscribed with the filter policy that matches exactly that. It has no
// DLQ: nothing consumes it, and it keeps messages as long as SQS allows.
func applyUnroutable(ctx context.Context, c Clients, q Queue, topicARN, filter string) (QueueResources, error) {
	var r QueueResources
	var err error
	r.URL, r.ARN, err = ensureQueue(ctx, c.SQS, q.Name, map[string]string{
		"VisibilityTimeout":      seconds(q.VisibilityTimeout),
		"MessageRetentionPeriod": seconds(q.Retention),
	})
	if err != nil {
		return r, err
	}
	if _, err := c.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
		QueueUrl: aws.String(r.URL), Attributes: map[string]string{"Policy": topicAccessPolicy(r.ARN, topicARN)},
	}); err != nil {
		return r, fmt.Errorf("setting access policy on %s: %w", q.Name, err)
	}
	r.DLQURL, r.DLQARN = r.URL, r.ARN
	r.SubscriptionARN, err = ensureSubscription(ctx, c.SNS, topicARN, r.ARN, q, filter)
	return r, err
}

// ensureQueue creates a queue with the attributes, or sets them on an
// existing queue whose attributes differ, and returns its URL and ARN.
func ensureQueue(ctx context.Context, c *sqs.Client, name string, attrs map[string]string) (url, arn string, err error) {
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	var exists *sqstypes.QueueNameExists
	switch {
	case errors.As(err, &exists):
		got, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if err != nil {
			return "", "", fmt.Errorf("finding queue %s: %w", name, err)
		}
		url = aws.ToString(got.QueueUrl)
		if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: attrs}); err != nil {
			return "", "", fmt.Errorf("updating queue %s: %w", name, err)
		}
	case err != nil:
		return "", "", fmt.Errorf("creating queue %s: %w", name, err)
	default:
		url = aws.ToString(out.QueueUrl)
	}
	qa, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", "", fmt.Errorf("reading ARN of queue %s: %w", name, err)
	}
	return url, qa.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}

// FilterPolicy is the subscription filter policy that routes the queue's job
// types; empty when the queue takes everything.
func (q Queue) FilterPolicy() string {
	if len(q.JobTypes) == 0 {
		return ""
	}
	b, _ := json.Marshal(map[string][]string{"job_type": q.JobTypes})
	return string(b)
}

// FilterPolicy is the subscription filter policy of one of the
// topology's queues: the job types it routes, or, for the unroutable
// queue, every job_type the other queues of its topic do not take and a
// missing job_type.
func (t Topology) FilterPolicy(q Queue) string {
	if !q.Unroutable {
		return q.FilterPolicy()
	}
	var routed []string
	for _, o := range t.Queues {
		if o.Topic == q.Topic && !o.Unroutable {
			routed = append(routed, o.JobTypes...)
		}
	}
	slices.Sort(routed)
	routed = slices.Compact(routed)
	conds := []any{map[string]any{"exists": false}}
	if len(routed) > 0 {
		conds = append([]any{map[string]any{"anything-but": routed}}, conds...)
	}
	b, _ := json.Marshal(map[string]any{AttrJobType: conds})
	return string(b)
}

func ensureSubscription(ctx context.Context, c *sns.Client, topicARN, queueARN string, q Queue, filter string) (string, error) {
	attrs := map[string]string{"RawMessageDelivery": strconv.FormatBool(q.RawDelivery)}
	if fp := filter; fp != "" {
		attrs["FilterPolicy"] = fp
	}
	pages := sns.NewListSubscriptionsByTopicPaginator(c, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("listing subscriptions of %s: %w", topicARN, err)
		}
		for _, s := range page.Subscriptions {
			if aws.ToString(s.Protocol) != "sqs" || aws.ToString(s.Endpoint) != queueARN {
				continue
			}
			arn := aws.ToString(s.SubscriptionArn)
			for k, v := range attrs {
				if _, err := c.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
					SubscriptionArn: aws.String(arn), AttributeName: aws.String(k), AttributeValue: aws.String(v),
				}); err != nil {
					return "", fmt.Errorf("updating subscription of %s: %s: %w", q.Name, k, err)
				}
			}
			return arn, nil
		}
	}
	out, err := c.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: aws.String(topicARN), Protocol: aws.String("sqs"), Endpoint: aws.String(queueARN),
		Attributes: attrs, ReturnSubscriptionArn: true,
	})
	if err != nil {
		return "", fmt.Errorf("subscribing %s to %s: %w", q.Name, topicARN, err)
	}
	return aws.ToString(out.SubscriptionArn), nil
}

// sesEventTypes are the SES events Quarry consumes.
var sesEventTypes = []sestypes.EventType{
	sestypes.EventTypeSend, sestypes.EventTypeReject, sestypes.EventTypeBounce,
	sestypes.EventTypeComplaint, sestypes.EventTypeDelivery, sestypes.EventTypeDeliveryDelay,
	sestypes.EventTypeRenderingFailure,
}

func applyConfigurationSet(ctx context.Context, c *sesv2.Client, name, topicARN string) error {
	var exists *sestypes.AlreadyExistsException
	if _, err := c.CreateConfigurationSet(ctx, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String(name)}); err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("creating SES configuration set %s: %w", name, err)
	}
	dest := &sestypes.EventDestinationDefinition{
		Enabled:            true,
		MatchingEventTypes: sesEventTypes,
		SnsDestination:     &sestypes.SnsDestination{TopicArn: aws.String(topicARN)},
	}
	const destName = "quarry-sns"
	_, err := c.CreateConfigurationSetEventDestination(ctx, &sesv2.CreateConfigurationSetEventDestinationInput{
		ConfigurationSetName: aws.String(name), EventDestinationName: aws.String(destName), EventDestination: dest,
	})
	if errors.As(err, &exists) {
		_, err = c.UpdateConfigurationSetEventDestination(ctx, &sesv2.UpdateConfigurationSetEventDestinationInput{
			ConfigurationSetName: aws.String(name), EventDestinationName: aws.String(destName), EventDestination: dest,
		})
	}
	if err != nil {
		return fmt.Errorf("setting SES event destination of %s: %w", name, err)
	}
	return nil
}

// applySenderIdentity creates the sending identity when it is missing, with
// the configuration set as its default. An existing identity is left as it
// is: its verification and settings belong to whoever set it up.
func applySenderIdentity(ctx context.Context, c *sesv2.Client, identity, configSet string) error {
	in := &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(identity)}
	if configSet != "" {
		in.ConfigurationSetName = aws.String(configSet)
	}
	var exists *sestypes.AlreadyExistsException
	if _, err := c.CreateEmailIdentity(ctx, in); err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("creating SES identity %s: %w", identity, err)
	}
	return nil
}
