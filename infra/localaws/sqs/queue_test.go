package sqs_test

import (
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra/localaws"
)

func TestQueueLifecycle(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	url := e.createQueue("quarry-fetch", nil)
	if want := e.ep.URL + "/000000000000/quarry-fetch"; url != want {
		t.Fatalf("QueueUrl = %s, want %s", url, want)
	}
	// Idempotent with no or equal attributes.
	if got := e.createQueue("quarry-fetch", map[string]string{"VisibilityTimeout": "30"}); got != url {
		t.Fatalf("second CreateQueue = %s, want %s", got, url)
	}
	_, err := e.c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String("quarry-fetch"), Attributes: map[string]string{"DelaySeconds": "5"}})
	var exists *types.QueueNameExists
	if !errors.As(err, &exists) {
		t.Fatalf("CreateQueue with other attributes: err = %v, want QueueNameExists", err)
	}
	if code, status := apiError(t, err); code != "QueueAlreadyExists" || status != 400 {
		t.Fatalf("code, status = %s, %d", code, status)
	}

	got, err := e.c.GetQueueUrl(e.ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("quarry-fetch")})
	if err != nil || *got.QueueUrl != url {
		t.Fatalf("GetQueueUrl = %v, %v", got, err)
	}
	_, err = e.c.GetQueueUrl(e.ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("quarry-fetch"), QueueOwnerAWSAccountId: aws.String("111111111111")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")

	// Any host, or a bare name, designates the queue.
	for _, alias := range []string{"quarry-fetch", "https://sqs.us-east-1.amazonaws.com/000000000000/quarry-fetch", "http://other-host:4566/000000000000/quarry-fetch"} {
		if _, err := e.c.GetQueueAttributes(e.ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(alias)}); err != nil {
			t.Errorf("GetQueueAttributes(%s): %v", alias, err)
		}
	}
	_, err = e.c.GetQueueAttributes(e.ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String("http://h/222222222222/quarry-fetch")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")

	if _, err := e.c.DeleteQueue(e.ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatalf("DeleteQueue: %v", err)
	}
	_, err = e.c.GetQueueUrl(e.ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("quarry-fetch")})
	var dne *types.QueueDoesNotExist
	if !errors.As(err, &dne) {
		t.Fatalf("GetQueueUrl after delete: err = %v, want QueueDoesNotExist", err)
	}
	// No guard configured: re-creation is immediate.
	e.createQueue("quarry-fetch", nil)
}

func TestListQueuesPagination(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	out, err := e.c.ListQueues(e.ctx, &sqs.ListQueuesInput{})
	if err != nil || out.QueueUrls != nil {
		t.Fatalf("ListQueues on no queues = %v, %v; want no QueueUrls", out.QueueUrls, err)
	}
	for i := range 5 {
		e.createQueue("jobs-"+strconv.Itoa(i), nil)
	}
	e.createQueue("other", nil)
	out, err = e.c.ListQueues(e.ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("jobs-")})
	if err != nil || len(out.QueueUrls) != 5 || out.NextToken != nil {
		t.Fatalf("ListQueues(prefix) = %v, token %v, %v", out.QueueUrls, out.NextToken, err)
	}
	var all []string
	p := sqs.NewListQueuesPaginator(e.c, &sqs.ListQueuesInput{MaxResults: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all = append(all, page.QueueUrls...)
	}
	if pages != 3 || len(all) != 6 || !slices.IsSorted(all) {
		t.Fatalf("paginated ListQueues: %d pages, %v", pages, all)
	}
	_, err = e.c.ListQueues(e.ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1001)})
	wantCode(t, err, "InvalidParameterValue")
}

func TestQueueNameValidation(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	for _, tc := range []struct {
		name  string
		attrs map[string]string
		code  string
	}{
		{"", nil, "MissingParameter"},
		{"has space", nil, "InvalidParameterValue"},
		{string(make([]byte, 81)), nil, "InvalidParameterValue"},
		{"jobs.fifo", nil, "InvalidParameterValue"},
		{"jobs", map[string]string{"FifoQueue": "true"}, "InvalidParameterValue"},
		{"jobs", map[string]string{"FifoQueue": "maybe"}, "InvalidAttributeValue"},
	} {
		_, err := e.c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String(tc.name), Attributes: tc.attrs})
		if err == nil {
			t.Errorf("CreateQueue(%q, %v) succeeded", tc.name, tc.attrs)
			continue
		}
		if code, _ := apiError(t, err); code != tc.code {
			t.Errorf("CreateQueue(%q, %v): code %s, want %s", tc.name, tc.attrs, code, tc.code)
		}
	}
}

func TestQueueAttributes(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := start(t, localaws.Config{Now: clock.Now})
	url := e.createQueue("attrs", map[string]string{"VisibilityTimeout": "60", "Policy": `{"Version":"2012-10-17"}`})

	out, err := e.c.GetQueueAttributes(e.ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url)})
	if err != nil || len(out.Attributes) != 0 {
		t.Fatalf("GetQueueAttributes without names = %v, %v; want none", out.Attributes, err)
	}
	all := e.attrs(url, "All")
	want := map[string]string{
		"QueueArn":                              "arn:aws:sqs:us-east-1:000000000000:attrs",
		"ApproximateNumberOfMessages":           "0",
		"ApproximateNumberOfMessagesNotVisible": "0",
		"ApproximateNumberOfMessagesDelayed":    "0",
		"CreatedTimestamp":                      strconv.FormatInt(clock.Now().Unix(), 10),
		"LastModifiedTimestamp":                 strconv.FormatInt(clock.Now().Unix(), 10),
		"VisibilityTimeout":                     "60",
		"MaximumMessageSize":                    "1048576",
		"MessageRetentionPeriod":                "345600",
		"DelaySeconds":                          "0",
		"ReceiveMessageWaitTimeSeconds":         "0",
		"SqsManagedSseEnabled":                  "true",
		"Policy":                                `{"Version":"2012-10-17"}`,
	}
	for k, v := range want {
		if all[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, all[k], v)
		}
	}
	for _, fifoOnly := range []string{"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"} {
		if _, ok := all[fifoOnly]; ok {
			t.Errorf("standard queue returns %s", fifoOnly)
		}
	}

	clock.Advance(10 * time.Second)
	if _, err := e.c.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"DelaySeconds": "5", "MessageRetentionPeriod": "120"}}); err != nil {
		t.Fatalf("SetQueueAttributes: %v", err)
	}
	got := e.attrs(url, "DelaySeconds", "MessageRetentionPeriod", "LastModifiedTimestamp", "CreatedTimestamp")
	if got["DelaySeconds"] != "5" || got["MessageRetentionPeriod"] != "120" || got["LastModifiedTimestamp"] == got["CreatedTimestamp"] || len(got) != 4 {
		t.Fatalf("after SetQueueAttributes: %v", got)
	}

	for _, tc := range []struct {
		attrs map[string]string
		code  string
	}{
		{map[string]string{"Foobar": "1"}, "InvalidAttributeName"},
		{map[string]string{"QueueArn": "x"}, "InvalidAttributeName"},
		{map[string]string{"ContentBasedDeduplication": "true"}, "InvalidAttributeName"},
		{map[string]string{"DeduplicationScope": "queue"}, "InvalidAttributeName"},
		{map[string]string{"VisibilityTimeout": "43201"}, "InvalidAttributeValue"},
		{map[string]string{"MaximumMessageSize": "1023"}, "InvalidAttributeValue"},
		{map[string]string{"DelaySeconds": "abc"}, "InvalidAttributeValue"},
		{map[string]string{"FifoQueue": "true"}, "InvalidAttributeValue"},
		{map[string]string{"Policy": "not json"}, "InvalidAttributeValue"},
	} {
		_, err := e.c.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: tc.attrs})
		if err == nil {
			t.Errorf("SetQueueAttributes(%v) succeeded", tc.attrs)
			continue
		}
		if code, _ := apiError(t, err); code != tc.code {
			t.Errorf("SetQueueAttributes(%v): %v, want %s", tc.attrs, err, tc.code)
		}
	}
	_, err = e.c.GetQueueAttributes(e.ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"Foobar"}})
	wantCode(t, err, "InvalidAttributeName")

	fifo := e.createQueue("attrs.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	fa := e.attrs(fifo, "All")
	if fa["FifoQueue"] != "true" || fa["ContentBasedDeduplication"] != "true" || fa["DeduplicationScope"] != "queue" || fa["FifoThroughputLimit"] != "perQueue" {
		t.Fatalf("FIFO attributes = %v", fa)
	}
	_, err = e.c.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(fifo), Attributes: map[string]string{"FifoThroughputLimit": "perMessageGroupId"}})
	wantCode(t, err, "InvalidAttributeValue")
	if _, err := e.c.SetQueueAttributes(e.ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(fifo), Attributes: map[string]string{"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}}); err != nil {
		t.Fatalf("high-throughput FIFO attributes: %v", err)
	}
}

func TestApproximateCounts(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := start(t, localaws.Config{Now: clock.Now})
	url := e.createQueue("counts", nil)
	for range 3 {
		e.send(url, "visible")
	}
	if _, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("later"), DelaySeconds: 30}); err != nil {
		t.Fatal(err)
	}
	e.receive(url, 1)
	got := e.attrs(url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")
	if got["ApproximateNumberOfMessages"] != "2" || got["ApproximateNumberOfMessagesNotVisible"] != "1" || got["ApproximateNumberOfMessagesDelayed"] != "1" {
		t.Fatalf("counts = %v, want 2 visible, 1 in flight, 1 delayed", got)
	}
}

func TestDeletedRecentlyAndPurgeGuards(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := start(t, localaws.Config{Now: clock.Now, SQSDeletedRecentlyWindow: time.Minute, SQSPurgeInterval: time.Minute})
	url := e.createQueue("guarded", nil)
	e.send(url, "one")
	if _, err := e.c.PurgeQueue(e.ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatalf("PurgeQueue: %v", err)
	}
	if msgs := e.receive(url, 10); len(msgs) != 0 {
		t.Fatalf("after purge received %v", bodies(msgs))
	}
	_, err := e.c.PurgeQueue(e.ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)})
	var inProgress *types.PurgeQueueInProgress
	if !errors.As(err, &inProgress) {
		t.Fatalf("second purge: err = %v, want PurgeQueueInProgress", err)
	}
	if code, status := apiError(t, err); code != "AWS.SimpleQueueService.PurgeQueueInProgress" || status != 403 {
		t.Fatalf("second purge: %s %d", code, status)
	}
	clock.Advance(61 * time.Second)
	if _, err := e.c.PurgeQueue(e.ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatalf("purge after the interval: %v", err)
	}

	if _, err := e.c.DeleteQueue(e.ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String("guarded")})
	var recently *types.QueueDeletedRecently
	if !errors.As(err, &recently) {
		t.Fatalf("re-create at once: err = %v, want QueueDeletedRecently", err)
	}
	clock.Advance(61 * time.Second)
	e.createQueue("guarded", nil)
}

func TestTags(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	out, err := e.c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String("tagged"), Tags: map[string]string{"team": "fetch"}})
	if err != nil {
		t.Fatal(err)
	}
	url := out.QueueUrl
	if _, err := e.c.TagQueue(e.ctx, &sqs.TagQueueInput{QueueUrl: url, Tags: map[string]string{"env": "dev", "cost": "1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.UntagQueue(e.ctx, &sqs.UntagQueueInput{QueueUrl: url, TagKeys: []string{"cost"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := e.c.ListQueueTags(e.ctx, &sqs.ListQueueTagsInput{QueueUrl: url})
	if err != nil || len(tags.Tags) != 2 || tags.Tags["team"] != "fetch" || tags.Tags["env"] != "dev" {
		t.Fatalf("ListQueueTags = %v, %v", tags.Tags, err)
	}
	many := map[string]string{}
	for i := range 51 {
		many["k"+strconv.Itoa(i)] = "v"
	}
	_, err = e.c.TagQueue(e.ctx, &sqs.TagQueueInput{QueueUrl: url, Tags: many})
	wantCode(t, err, "InvalidParameterValue")
}
