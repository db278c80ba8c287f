package infra_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
)

func TestDefaultTopologyIsValid(t *testing.T) {
	t.Parallel()
	if err := infra.DefaultTopology().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateNamesTheFault(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		mutate func(*infra.Topology)
		want   string
	}{
		"dlq retention shorter": {func(t *infra.Topology) { t.Queues[0].DLQRetention = time.Hour }, "DLQ retention"},
		"max receive zero":      {func(t *infra.Topology) { t.Queues[1].MaxReceiveCount = 0 }, "maxReceiveCount"},
		"duplicate role":        {func(t *infra.Topology) { t.Queues[1].Role = t.Queues[0].Role }, "two queues"},
		"no job types":          {func(t *infra.Topology) { t.Queues[0].JobTypes = nil }, "routes no job types"},
		"unknown topic":         {func(t *infra.Topology) { t.Queues[0].Topic = "nope" }, "unknown topic"},
	} {
		t.Run(name, func(t *testing.T) {
			top := infra.DefaultTopology()
			tc.mutate(&top)
			err := top.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestApplyIsIdempotentAndRoutesByJobType(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ep := localawstest.Start(t, localaws.Config{})
	clients := infra.NewClients(ep.Config)
	top := infra.DefaultTopology()
	top.SenderIdentity = "mail.quarry.example"

	first, err := infra.Apply(ctx, clients, top)
	if err != nil {
		t.Fatalf("first Apply: %v", err)
	}
	// Drift: someone changed a visibility timeout by hand; apply again heals it.
	fetch := first.Queues[infra.RoleFetch]
	if _, err := clients.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
		QueueUrl: aws.String(fetch.URL), Attributes: map[string]string{"VisibilityTimeout": "7"},
	}); err != nil {
		t.Fatal(err)
	}
	second, err := infra.Apply(ctx, clients, top)
	if err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	if second.Queues[infra.RoleFetch] != fetch || second.JobsTopicARN != first.JobsTopicARN {
		t.Fatalf("second Apply changed addresses:\n%+v\n%+v", first, second)
	}
	id, err := clients.SES.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String("mail.quarry.example")})
	if err != nil || aws.ToString(id.ConfigurationSetName) != "quarry" {
		t.Fatalf("sender identity after Apply: %+v, %v", id, err)
	}
	qa, err := clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(fetch.URL), AttributeNames: []sqstypes.QueueAttributeName{"All"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if qa.Attributes["VisibilityTimeout"] != "120" || !strings.Contains(qa.Attributes["RedrivePolicy"], fetch.DLQARN) {
		t.Fatalf("fetch queue attributes = %v", qa.Attributes)
	}
	subs, err := clients.SNS.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(first.JobsTopicARN)})
	if err != nil {
		t.Fatal(err)
	}
	if len(subs.Subscriptions) != 4 {
		t.Fatalf("jobs topic has %d subscriptions after two applies, want 4 (three stages and the unroutable queue)", len(subs.Subscriptions))
	}

	// A notify.email job reaches only the notify queue.
	if _, err := clients.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(first.JobsTopicARN), Message: aws.String(`{"id":"x"}`),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{"job_type": {DataType: aws.String("String"), StringValue: aws.String("notify.email")}},
	}); err != nil {
		t.Fatal(err)
	}
	for role, want := range map[string]int{infra.RoleNotify: 1, infra.RoleFetch: 0, infra.RoleExtract: 0, infra.RoleUnroutable: 0} {
		out, err := clients.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(first.Queues[role].URL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) != want {
			t.Errorf("%s queue got %d messages, want %d", role, len(out.Messages), want)
		}
		if want == 1 && aws.ToString(out.Messages[0].Body) != `{"id":"x"}` {
			t.Errorf("raw delivery body = %q", aws.ToString(out.Messages[0].Body))
		}
	}
}

func TestJobsNoStageTakesLandInTheUnroutableQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ep := localawstest.Start(t, localaws.Config{})
	clients := infra.NewClients(ep.Config)
	res, err := infra.Apply(ctx, clients, infra.DefaultTopology())
	if err != nil {
		t.Fatal(err)
	}
	attr := func(typ string) map[string]snstypes.MessageAttributeValue {
		return map[string]snstypes.MessageAttributeValue{"job_type": {DataType: aws.String("String"), StringValue: aws.String(typ)}}
	}
	for _, in := range []*sns.PublishInput{
		{Message: aws.String("bogus"), MessageAttributes: attr("bogus.type")},
		{Message: aws.String("no-type")},
		{Message: aws.String("other-attr"), MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"priority": {DataType: aws.String("String"), StringValue: aws.String("high")}}},
		{Message: aws.String("routed"), MessageAttributes: attr("fetch.document")},
	} {
		in.TopicArn = aws.String(res.JobsTopicARN)
		if _, err := clients.SNS.Publish(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string][]string{}
	for _, role := range []string{infra.RoleUnroutable, infra.RoleFetch, infra.RoleExtract, infra.RoleNotify} {
		for range 3 {
			out, err := clients.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
				QueueUrl: aws.String(res.Queues[role].URL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range out.Messages {
				got[role] = append(got[role], aws.ToString(m.Body))
			}
		}
	}
	if u := strings.Join(got[infra.RoleUnroutable], ","); len(got[infra.RoleUnroutable]) != 3 ||
		!strings.Contains(u, "bogus") || !strings.Contains(u, "no-type") || !strings.Contains(u, "other-attr") {
		t.Errorf("unroutable queue got %q, want bogus, no-type and other-attr", got[infra.RoleUnroutable])
	}
	if len(got[infra.RoleFetch]) != 1 || len(got[infra.RoleExtract])+len(got[infra.RoleNotify]) != 0 {
		t.Errorf("stage queues got %v", got)
	}
	top := infra.DefaultTopology()
	q, ok := top.Queue(infra.RoleUnroutable)
	if !ok || !q.Unroutable || q.DLQName() != q.Name {
		t.Errorf("topology's unroutable queue = %+v", q)
	}
}

func TestUnroutableFilterTakesWhatNoStageDoes(t *testing.T) {
	t.Parallel()
	top := infra.DefaultTopology()
	q, _ := top.Queue(infra.RoleUnroutable)
	want := `{"job_type":[{"anything-but":["extract.tables","fetch.document","notify.email"]},{"exists":false}]}`
	if got := top.FilterPolicy(q); got != want {
		t.Errorf("filter policy = %s, want %s", got, want)
	}
	top.Queues = append(top.Queues[:0:0], top.Queues...)
	top.Queues = append(top.Queues, top.Queues[len(top.Queues)-1])
	if err := top.Validate(); err == nil {
		t.Error("two unroutable queues validate")
	}
}
