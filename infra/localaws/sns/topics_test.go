package sns

import (
	"fmt"
	"strings"
	"testing"
)

func TestCreateTopic(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	arn := h.createTopic(t, "jobs")
	if arn != topicARNOf("jobs") {
		t.Fatalf("TopicArn = %q", arn)
	}
	// Idempotent for the same name, attributes and tags.
	if again := h.createTopic(t, "jobs"); again != arn {
		t.Fatalf("second CreateTopic = %q, want %q", again, arn)
	}
	h.createTopic(t, "tagged", "Attributes.entry.1.key", "DisplayName", "Attributes.entry.1.value", "Jobs",
		"Tags.member.1.Key", "team", "Tags.member.1.Value", "quarry")
	h.createTopic(t, "tagged", "Attributes.entry.1.key", "DisplayName", "Attributes.entry.1.value", "Jobs")
	h.fails(t, codeInvalidParameter, "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
		"CreateTopic", "Name", "tagged", "Attributes.entry.1.key", "DisplayName", "Attributes.entry.1.value", "Other")
	h.fails(t, codeInvalidParameter, "Invalid parameter: Tags Reason: Topic already exists with different tags",
		"CreateTopic", "Name", "tagged", "Tags.member.1.Key", "team", "Tags.member.1.Value", "other")

	h.fails(t, codeValidationError, "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null", "CreateTopic")
	for _, bad := range []string{"", "has space", "dot.ted", "x.fifo", strings.Repeat("a", 257)} {
		h.fails(t, codeInvalidParameter, "Invalid parameter: Topic Name", "CreateTopic", "Name", bad)
	}
	h.createTopic(t, strings.Repeat("a", 256))

	// FIFO topics.
	fifo := h.createTopic(t, "jobs.fifo", "Attributes.entry.1.key", "FifoTopic", "Attributes.entry.1.value", "true",
		"Attributes.entry.2.key", "ContentBasedDeduplication", "Attributes.entry.2.value", "True")
	if fifo != topicARNOf("jobs.fifo") {
		t.Fatalf("FIFO TopicArn = %q", fifo)
	}
	h.createTopic(t, "jobs.fifo", "Attributes.entry.1.key", "FifoTopic", "Attributes.entry.1.value", "true")
	h.fails(t, codeInvalidParameter, "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
		"CreateTopic", "Name", "jobs.fifo", "Attributes.entry.1.key", "ContentBasedDeduplication", "Attributes.entry.1.value", "false",
		"Attributes.entry.2.key", "FifoTopic", "Attributes.entry.2.value", "true")
	h.fails(t, codeInvalidParameter, "", "CreateTopic", "Name", "nofifo", "Attributes.entry.1.key", "FifoTopic", "Attributes.entry.1.value", "true")
	h.fails(t, codeInvalidParameter, "Invalid parameter: Attributes Reason: FifoTopic: Invalid value [yes]. Must be true or false.",
		"CreateTopic", "Name", "x", "Attributes.entry.1.key", "FifoTopic", "Attributes.entry.1.value", "yes")
	h.fails(t, codeInvalidParameter, "Invalid parameter: Attributes Reason: The topic should be a FIFO topic to use ContentBasedDeduplication",
		"CreateTopic", "Name", "std", "Attributes.entry.1.key", "ContentBasedDeduplication", "Attributes.entry.1.value", "true")
	h.fails(t, codeInvalidParameter, "Invalid parameter: Attributes Reason: Unknown attribute Bogus",
		"CreateTopic", "Name", "std", "Attributes.entry.1.key", "Bogus", "Attributes.entry.1.value", "1")
	h.fails(t, codeInvalidParameter, "Invalid parameter: Attributes Reason: Policy: failed to parse JSON, a JSON object is required",
		"CreateTopic", "Name", "std", "Attributes.entry.1.key", "Policy", "Attributes.entry.1.value", "{")
	h.fails(t, codeInvalidParameter, "Invalid parameter: Tags Reason: tag keys may not start with aws: (\"aws:x\")",
		"CreateTopic", "Name", "std", "Tags.member.1.Key", "aws:x", "Tags.member.1.Value", "1")
}

func TestTopicAttributes(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	arn := h.createTopic(t, "jobs")
	got := h.must(t, "GetTopicAttributes", "TopicArn", arn).(*attributesResult).Attributes
	want := map[string]string{
		"TopicArn": arn, "Owner": "000000000000", "DisplayName": "",
		"SubscriptionsConfirmed": "0", "SubscriptionsPending": "0", "SubscriptionsDeleted": "0",
		"EffectiveDeliveryPolicy": defaultEffectiveDeliveryPolicy,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if !strings.Contains(got["Policy"], `"Resource":"`+arn+`"`) {
		t.Errorf("Policy = %s", got["Policy"])
	}
	if _, ok := got["FifoTopic"]; ok {
		t.Error("a standard topic reports FifoTopic")
	}

	h.must(t, "SetTopicAttributes", "TopicArn", arn, "AttributeName", "DisplayName", "AttributeValue", "Quarry jobs")
	h.must(t, "SetTopicAttributes", "TopicArn", arn, "AttributeName", "SignatureVersion", "AttributeValue", "2")
	h.must(t, "SetTopicAttributes", "TopicArn", arn, "AttributeName", "SQSSuccessFeedbackSampleRate", "AttributeValue", "50")
	delivery := `{"http":{"defaultHealthyRetryPolicy":{"numRetries":5}}}`
	h.must(t, "SetTopicAttributes", "TopicArn", arn, "AttributeName", "DeliveryPolicy", "AttributeValue", delivery)
	got = h.must(t, "GetTopicAttributes", "TopicArn", arn).(*attributesResult).Attributes
	if got["DisplayName"] != "Quarry jobs" || got["SignatureVersion"] != "2" || got["SQSSuccessFeedbackSampleRate"] != "50" ||
		got["DeliveryPolicy"] != delivery || got["EffectiveDeliveryPolicy"] != delivery {
		t.Errorf("after Set: %v", got)
	}
	h.must(t, "SetTopicAttributes", "TopicArn", arn, "AttributeName", "DeliveryPolicy", "AttributeValue", "")
	got = h.must(t, "GetTopicAttributes", "TopicArn", arn).(*attributesResult).Attributes
	if _, ok := got["DeliveryPolicy"]; ok || got["EffectiveDeliveryPolicy"] != defaultEffectiveDeliveryPolicy {
		t.Errorf("DeliveryPolicy not cleared: %v", got)
	}

	h.fails(t, codeInvalidParameter, "Invalid parameter: AttributeName", "SetTopicAttributes", "TopicArn", arn, "AttributeName", "Bogus", "AttributeValue", "x")
	h.fails(t, codeInvalidParameter, "Invalid parameter: AttributeName", "SetTopicAttributes", "TopicArn", arn, "AttributeName", "FifoTopic", "AttributeValue", "true")
	h.fails(t, codeInvalidParameter, "Invalid parameter: SignatureVersion: Invalid value [3]. Must be 1 or 2.", "SetTopicAttributes", "TopicArn", arn, "AttributeName", "SignatureVersion", "AttributeValue", "3")
	h.fails(t, codeInvalidParameter, "Invalid parameter: TracingConfig: Invalid value [On]. Must be PassThrough or Active.", "SetTopicAttributes", "TopicArn", arn, "AttributeName", "TracingConfig", "AttributeValue", "On")
	h.fails(t, codeInvalidParameter, "", "SetTopicAttributes", "TopicArn", arn, "AttributeName", "DisplayName", "AttributeValue", strings.Repeat("x", 101))
	h.fails(t, codeInvalidParameter, "", "SetTopicAttributes", "TopicArn", arn, "AttributeName", "SQSSuccessFeedbackSampleRate", "AttributeValue", "101")
	h.fails(t, codeNotFound, "Topic does not exist", "GetTopicAttributes", "TopicArn", topicARNOf("missing"))
	h.fails(t, codeNotFound, "Topic does not exist", "GetTopicAttributes", "TopicArn", "arn:aws:sns:us-east-1:111111111111:jobs")
	h.fails(t, codeInvalidParameter, "Invalid parameter: TopicArn", "GetTopicAttributes", "TopicArn", "jobs")
	h.fails(t, codeValidationError, "", "GetTopicAttributes")

	fifo := h.createTopic(t, "jobs.fifo", "Attributes.entry.1.key", "FifoTopic", "Attributes.entry.1.value", "true")
	got = h.must(t, "GetTopicAttributes", "TopicArn", fifo).(*attributesResult).Attributes
	if got["FifoTopic"] != "true" || got["ContentBasedDeduplication"] != "false" {
		t.Errorf("FIFO attributes: %v", got)
	}
	h.must(t, "SetTopicAttributes", "TopicArn", fifo, "AttributeName", "ContentBasedDeduplication", "AttributeValue", "TRUE")
	h.must(t, "SetTopicAttributes", "TopicArn", fifo, "AttributeName", "FifoThroughputScope", "AttributeValue", "MessageGroup")
	got = h.must(t, "GetTopicAttributes", "TopicArn", fifo).(*attributesResult).Attributes
	if got["ContentBasedDeduplication"] != "true" || got["FifoThroughputScope"] != "MessageGroup" {
		t.Errorf("FIFO attributes after Set: %v", got)
	}
	h.fails(t, codeInvalidParameter, "", "SetTopicAttributes", "TopicArn", arn, "AttributeName", "FifoThroughputScope", "AttributeValue", "Topic")
}

func TestDeleteTopic(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	arn := h.createTopic(t, "jobs")
	sub := h.subscribe(t, arn, "q1")
	h.must(t, "DeleteTopic", "TopicArn", arn)
	if h.svc.TopicExists(arn) {
		t.Fatal("topic still exists")
	}
	h.fails(t, codeNotFound, "Subscription does not exist", "GetSubscriptionAttributes", "SubscriptionArn", sub)
	// Deleting again succeeds; a malformed ARN does not.
	h.must(t, "DeleteTopic", "TopicArn", arn)
	h.fails(t, codeInvalidParameter, "Invalid parameter: TopicArn", "DeleteTopic", "TopicArn", "nope")
	// A re-created topic starts without subscriptions.
	h.createTopic(t, "jobs")
	subs := h.must(t, "ListSubscriptionsByTopic", "TopicArn", arn).(*listSubscriptionsResult)
	if len(subs.Subscriptions.Members) != 0 {
		t.Fatalf("re-created topic has %d subscriptions", len(subs.Subscriptions.Members))
	}
}

func TestListTopicsPages(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	for i := range 250 {
		h.createTopic(t, fmt.Sprintf("t%03d", i))
	}
	var all []string
	token := ""
	pages := 0
	for {
		kv := []string{}
		if token != "" {
			kv = append(kv, "NextToken", token)
		}
		out := h.must(t, "ListTopics", kv...).(*listTopicsResult)
		pages++
		for _, m := range out.Topics.Members {
			all = append(all, m.TopicArn)
		}
		if out.NextToken == "" {
			break
		}
		if len(out.Topics.Members) != listPageSize {
			t.Fatalf("page %d has %d topics", pages, len(out.Topics.Members))
		}
		token = out.NextToken
		if pages == 2 {
			// Deleting topics between pages neither repeats nor skips
			// the others.
			h.must(t, "DeleteTopic", "TopicArn", topicARNOf("t000"))
			h.must(t, "DeleteTopic", "TopicArn", topicARNOf("t200"))
		}
	}
	if pages != 3 || len(all) != 249 || all[0] != topicARNOf("t000") || all[248] != topicARNOf("t249") {
		t.Fatalf("%d pages, %d topics (%s .. %s)", pages, len(all), all[0], all[len(all)-1])
	}
	h.fails(t, codeInvalidParameter, "Invalid parameter: NextToken", "ListTopics", "NextToken", "%%%")
	empty := setup(t, "").must(t, "ListTopics").(*listTopicsResult)
	if empty.Topics.Members != nil || empty.NextToken != "" {
		t.Fatalf("empty ListTopics = %+v", empty)
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	arn := h.createTopic(t, "jobs", "Tags.member.1.Key", "team", "Tags.member.1.Value", "quarry")
	h.must(t, "TagResource", "ResourceArn", arn, "Tags.member.1.Key", "env", "Tags.member.1.Value", "dev", "Tags.member.2.Key", "team", "Tags.member.2.Value", "q2")
	got := h.must(t, "ListTagsForResource", "ResourceArn", arn).(*listTagsResult).Tags.Members
	if fmt.Sprint(got) != "[{env dev} {team q2}]" {
		t.Fatalf("tags = %v", got)
	}
	h.must(t, "UntagResource", "ResourceArn", arn, "TagKeys.member.1", "env", "TagKeys.member.2", "absent")
	got = h.must(t, "ListTagsForResource", "ResourceArn", arn).(*listTagsResult).Tags.Members
	if fmt.Sprint(got) != "[{team q2}]" {
		t.Fatalf("tags after untag = %v", got)
	}
	h.fails(t, codeResourceNotFound, "Resource does not exist", "ListTagsForResource", "ResourceArn", topicARNOf("missing"))
	h.fails(t, codeResourceNotFound, "Resource does not exist", "TagResource", "ResourceArn", "garbage", "Tags.member.1.Key", "a", "Tags.member.1.Value", "b")
	h.fails(t, codeValidationError, "", "TagResource", "ResourceArn", arn)
	kv := []string{"ResourceArn", arn}
	for i := range 50 {
		kv = append(kv, fmt.Sprintf("Tags.member.%d.Key", i+1), fmt.Sprintf("k%d", i), fmt.Sprintf("Tags.member.%d.Value", i+1), "v")
	}
	h.fails(t, codeTagLimitExceeded, "", "TagResource", kv...)
}
