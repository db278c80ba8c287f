package cfn

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/sns"
	"github.com/awslabs/goformation/v7/cloudformation/sqs"

	"github.com/quarry-dev/quarry/infra"
)

// Stack is one rendered CloudFormation template.
type Stack struct {
	// Name is the stack's short name: messaging, workers or mail. Its file
	// is Name + ".json"; deployed as "quarry-<env>-<name>".
	Name     string
	Template *cloudformation.Template
}

// Options say what the binary that will run in the image can do.
type Options struct {
	// WorkerRoles are the roles `quarry worker` can run. A queue of another
	// role gets its messaging resources but no service.
	WorkerRoles []string
}

// Render renders the topology into the messaging, workers and mail stacks
// of env. It renders every queue the topology lists.
func Render(top infra.Topology, env Environment, o Options) ([]Stack, error) {
	if err := top.Validate(); err != nil {
		return nil, err
	}
	if env.Name == "" || env.Cluster == "" {
		return nil, fmt.Errorf("environment %q: name and cluster are required", env.Name)
	}
	for _, q := range top.Queues {
		if slices.Contains(o.WorkerRoles, q.Role) {
			if err := env.role(q.Role).validate(q.Role); err != nil {
				return nil, fmt.Errorf("environment %s: %w", env.Name, err)
			}
		}
	}
	msg := renderMessaging(top, env)
	wk, err := renderWorkers(top, env, o)
	if err != nil {
		return nil, err
	}
	return []Stack{
		{Name: "messaging", Template: msg},
		{Name: "workers", Template: wk},
		{Name: "mail", Template: renderMail(top, env)},
	}, nil
}

// JSON renders a stack's template as indented JSON. A list parameter
// stands for a whole list: goformation's typed []string fields hold it as
// [{"Ref": "Subnets"}], which becomes {"Ref": "Subnets"}.
func (s Stack) JSON() ([]byte, error) {
	b, err := s.Template.JSON()
	if err != nil {
		return nil, fmt.Errorf("rendering stack %s: %w", s.Name, err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("rendering stack %s: %w", s.Name, err)
	}
	lists := map[string]bool{}
	for name, p := range s.Template.Parameters {
		if isListParameter(p.Type) {
			lists[name] = true
		}
	}
	doc = unwrapListRefs(doc, lists)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("rendering stack %s: %w", s.Name, err)
	}
	return append(out, '\n'), nil
}

func isListParameter(typ string) bool {
	return strings.HasPrefix(typ, "List<") || typ == "CommaDelimitedList"
}

func unwrapListRefs(v any, lists map[string]bool) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = unwrapListRefs(e, lists)
		}
	case []any:
		if len(v) == 1 {
			if m, ok := v[0].(map[string]any); ok && len(m) == 1 {
				if name, ok := m["Ref"].(string); ok && lists[name] {
					return m
				}
			}
		}
		for i, e := range v {
			v[i] = unwrapListRefs(e, lists)
		}
	}
	return v
}

// logicalID turns a role or topic name into a CloudFormation logical id
// part: "ses-events" → "SesEvents".
func logicalID(name string) string {
	var b strings.Builder
	up := true
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z':
			if up {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		case r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

// arn builds an ARN of a resource whose name is known, in the stack's
// partition, region and account.
func arn(service, resource string) string {
	return cloudformation.Sub(fmt.Sprintf("arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:%s", service, resource))
}

func ptr[T any](v T) *T { return &v }

// policyDocument is an IAM policy document.
type policyDocument struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Sid       string         `json:"Sid,omitempty"`
	Effect    string         `json:"Effect"`
	Principal map[string]any `json:"Principal,omitempty"`
	Action    []string       `json:"Action"`
	Resource  []string       `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

func allow(sid string, actions []string, resources ...string) statement {
	return statement{Sid: sid, Effect: "Allow", Action: actions, Resource: resources}
}

// jsonValue round-trips v through JSON so goformation's intrinsic strings
// inside it are expanded like any other property.
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only fixed shapes reach here
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func topicID(top infra.Topology, name string) string {
	if name == top.EventsTopic {
		return "EventsTopic"
	}
	return "JobsTopic"
}

// sesEventTypes are the eventType values of SES's configuration-set events
// that reach the events queue, as SES writes them in the event body.
var sesEventTypes = []string{"Send", "Reject", "Bounce", "Complaint", "Delivery", "DeliveryDelay", "Rendering Failure"}

func renderMessaging(top infra.Topology, env Environment) *cloudformation.Template {
	t := cloudformation.NewTemplate()
	t.Description = fmt.Sprintf("Quarry %s: topics, queues with their DLQs, subscriptions, alarms", env.Name)
	t.Resources["JobsTopic"] = &sns.Topic{TopicName: ptr(top.JobsTopic)}
	t.Resources["EventsTopic"] = &sns.Topic{TopicName: ptr(top.EventsTopic)}
	t.Resources["AlarmsTopic"] = &sns.Topic{TopicName: ptr("quarry-alarms")}
	// SES publishes configuration-set events from this account only.
	t.Resources["EventsTopicPolicy"] = &sns.TopicPolicy{
		Topics: []string{cloudformation.Ref("EventsTopic")},
		PolicyDocument: jsonValue(policyDocument{Version: "2012-10-17", Statement: []statement{{
			Sid: "SESEvents", Effect: "Allow", Principal: map[string]any{"Service": "ses.amazonaws.com"},
			Action: []string{"sns:Publish"}, Resource: []string{cloudformation.Ref("EventsTopic")},
			Condition: map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": cloudformation.Ref("AWS::AccountId")}},
		}}}),
	}
	for _, q := range top.Queues {
		if q.Unroutable {
			renderUnroutable(t, top, q)
			continue
		}
		id := logicalID(q.Role)
		t.Resources[id+"DLQ"] = &sqs.Queue{
			QueueName:              ptr(q.DLQName()),
			MessageRetentionPeriod: ptr(int(q.DLQRetention.Seconds())),
			SqsManagedSseEnabled:   ptr(true),
			// Only the work queue may move messages here; its ARN is
			// built from its name so the two queues do not depend on
			// each other.
			RedriveAllowPolicy: jsonValue(map[string]any{
				"redrivePermission": "byQueue",
				"sourceQueueArns":   []string{arn("sqs", q.Name)},
			}),
		}
		t.Resources[id+"Queue"] = &sqs.Queue{
			QueueName:              ptr(q.Name),
			VisibilityTimeout:      ptr(int(q.VisibilityTimeout.Seconds())),
			MessageRetentionPeriod: ptr(int(q.Retention.Seconds())),
			SqsManagedSseEnabled:   ptr(true),
			RedrivePolicy: jsonValue(map[string]any{
				"deadLetterTargetArn": cloudformation.GetAtt(id+"DLQ", "Arn"),
				"maxReceiveCount":     q.MaxReceiveCount,
			}),
		}
		topic := topicID(top, q.Topic)
		t.Resources[id+"QueuePolicy"] = topicDelivers(id, topic)
		sub := &sns.Subscription{
			TopicArn: cloudformation.Ref(topic), Protocol: "sqs",
			Endpoint:           ptr(cloudformation.GetAtt(id+"Queue", "Arn")),
			RawMessageDelivery: ptr(q.RawDelivery),
		}
		if len(q.JobTypes) > 0 {
			sub.FilterPolicyScope = ptr("MessageAttributes")
			sub.FilterPolicy = jsonValue(map[string]any{"job_type": q.JobTypes})
		} else {
			sub.FilterPolicyScope = ptr("MessageBody")
			sub.FilterPolicy = jsonValue(map[string]any{"eventType": sesEventTypes})
		}
		// The queue policy must exist before SNS first delivers.
		sub.AWSCloudFormationDependsOn = []string{id + "QueuePolicy"}
		t.Resources[id+"Subscription"] = sub
		t.Resources[id+"DLQAlarm"] = queueAlarm(
			fmt.Sprintf("%s-dlq-not-empty", q.Name),
			fmt.Sprintf("Messages wait in %s: inspect them with quarry dlq peek %s, then redrive or purge", q.DLQName(), q.DLQName()),
			q.DLQName(), "ApproximateNumberOfMessagesVisible", 0, 1)
		t.Resources[id+"OldestAlarm"] = queueAlarm(
			fmt.Sprintf("%s-oldest-message", q.Name),
			fmt.Sprintf("The oldest job in %s has waited over %v: the %s service is not keeping up (scaling maxed, or failing)", q.Name, env.OldestMessageAlarm, q.Role),
			q.Name, "ApproximateAgeOfOldestMessage", env.OldestMessageAlarm.Seconds(), 5)
		t.Outputs[id+"QueueUrl"] = cloudformation.Output{Value: cloudformation.Ref(id + "Queue")}
		t.Outputs[id+"QueueArn"] = cloudformation.Output{Value: cloudformation.GetAtt(id+"Queue", "Arn")}
		t.Outputs[id+"DLQUrl"] = cloudformation.Output{Value: cloudformation.Ref(id + "DLQ")}
	}
	t.Outputs["JobsTopicArn"] = cloudformation.Output{Value: cloudformation.Ref("JobsTopic")}
	t.Outputs["EventsTopicArn"] = cloudformation.Output{Value: cloudformation.Ref("EventsTopic")}
	t.Outputs["AlarmsTopicArn"] = cloudformation.Output{Value: cloudformation.Ref("AlarmsTopic")}
	return t
}

// topicDelivers is the queue policy that admits only topic's deliveries to
// the queue id.
func topicDelivers(id, topic string) *sqs.QueuePolicy {
	return &sqs.QueuePolicy{
		Queues: []string{cloudformation.Ref(id + "Queue")},
		PolicyDocument: jsonValue(policyDocument{Version: "2012-10-17", Statement: []statement{{
			Sid: "TopicDelivers", Effect: "Allow", Principal: map[string]any{"Service": "sns.amazonaws.com"},
			Action: []string{"sqs:SendMessage"}, Resource: []string{cloudformation.GetAtt(id+"Queue", "Arn")},
			Condition: map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": cloudformation.Ref(topic)}},
		}}}),
	}
}

// renderUnroutable adds the queue that keeps the jobs no stage takes: a
// dead end read like a DLQ (no queue may redrive into it, nothing consumes
// it), subscribed with the filter that takes every job_type the other
// queues do not, and a missing one; alarmed as soon as anything arrives.
func renderUnroutable(t *cloudformation.Template, top infra.Topology, q infra.Queue) {
	id := logicalID(q.Role)
	topic := topicID(top, q.Topic)
	t.Resources[id+"Queue"] = &sqs.Queue{
		QueueName:              ptr(q.Name),
		VisibilityTimeout:      ptr(int(q.VisibilityTimeout.Seconds())),
		MessageRetentionPeriod: ptr(int(q.Retention.Seconds())),
		SqsManagedSseEnabled:   ptr(true),
		RedriveAllowPolicy:     jsonValue(map[string]any{"redrivePermission": "denyAll"}),
	}
	t.Resources[id+"QueuePolicy"] = topicDelivers(id, topic)
	var filter map[string]any
	_ = json.Unmarshal([]byte(top.FilterPolicy(q)), &filter) // the topology marshals it
	sub := &sns.Subscription{
		TopicArn: cloudformation.Ref(topic), Protocol: "sqs",
		Endpoint:           ptr(cloudformation.GetAtt(id+"Queue", "Arn")),
		RawMessageDelivery: ptr(q.RawDelivery),
		FilterPolicyScope:  ptr("MessageAttributes"),
		FilterPolicy:       filter,
	}
	sub.AWSCloudFormationDependsOn = []string{id + "QueuePolicy"}
	t.Resources[id+"Subscription"] = sub
	t.Resources[id+"Alarm"] = queueAlarm(
		fmt.Sprintf("%s-not-empty", q.Name),
		fmt.Sprintf("Jobs whose job_type no stage takes wait in %s: inspect them with quarry dlq peek %s", q.Name, q.Role),
		q.Name, "ApproximateNumberOfMessagesVisible", 0, 1)
	t.Outputs[id+"QueueUrl"] = cloudformation.Output{Value: cloudformation.Ref(id + "Queue")}
	t.Outputs[id+"QueueArn"] = cloudformation.Output{Value: cloudformation.GetAtt(id+"Queue", "Arn")}
}
