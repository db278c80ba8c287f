package sns

import (
	"fmt"
	"strings"
	"testing"
)

func TestSubscribe(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	topic := h.createTopic(t, "jobs")
	sub := h.subscribe(t, topic, "q1", "ReturnSubscriptionArn", "true")
	if !strings.HasPrefix(sub, topic+":") || len(sub) != len(topic)+1+36 {
		t.Fatalf("SubscriptionArn = %q", sub)
	}
	// The same arguments return the same subscription, also without
	// ReturnSubscriptionArn (same-account subscriptions are confirmed).
	if again := h.subscribe(t, topic, "q1"); again != sub {
		t.Fatalf("second Subscribe = %q, want %q", again, sub)
	}
	if again := h.subscribe(t, topic, "q1", "Attributes.entry.1.key", "RawMessageDelivery", "Attributes.entry.1.value", "false"); again != sub {
		t.Fatal("Subscribe with the default RawMessageDelivery made a new subscription")
	}
	h.fails(t, codeInvalidParameter, "Invalid parameter: Attributes Reason: Subscription already exists with different attributes",
		"Subscribe", "TopicArn", topic, "Protocol", "sqs", "Endpoint", queueARNOf("q1"),
		"Attributes.entry.1.key", "RawMessageDelivery", "Attributes.entry.1.value", "true")
	other := h.subscribe(t, topic, "q2", "Attributes.entry.1.key", "RawMessageDelivery", "Attributes.entry.1.value", "TRUE")
	if other == sub {
		t.Fatal("a second queue got the first queue's subscription")
	}
	if again := h.subscribe(t, topic, "q2", "Attributes.entry.1.key", "RawMessageDelivery", "Attributes.entry.1.value", "true"); again != other {
		t.Fatal("RawMessageDelivery TRUE and true differ")
	}

	fifoQueue := "jobs.fifo"
	tests := []struct {
		name, code, message string
		kv                  []string
	}{
		{"no topic", codeValidationError, "1 validation error detected: Value null at 'topicArn' failed to satisfy constraint: Member must not be null",
			[]string{"Protocol", "sqs", "Endpoint", queueARNOf("q")}},
		{"no protocol", codeValidationError, "", []string{"TopicArn", topic, "Endpoint", queueARNOf("q")}},
		{"http", codeInvalidParameter, "Invalid parameter: Protocol Reason: this endpoint delivers to sqs subscriptions only, not http",
			[]string{"TopicArn", topic, "Protocol", "http", "Endpoint", "http://example.com"}},
		{"unknown protocol", codeInvalidParameter, "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon",
			[]string{"TopicArn", topic, "Protocol", "carrier-pigeon", "Endpoint", "x"}},
		{"no endpoint", codeInvalidParameter, "Invalid parameter: SQS endpoint ARN", []string{"TopicArn", topic, "Protocol", "sqs"}},
		{"queue URL", codeInvalidParameter, "Invalid parameter: SQS endpoint ARN",
			[]string{"TopicArn", topic, "Protocol", "sqs", "Endpoint", "http://localhost/000000000000/q1"}},
		{"SNS ARN", codeInvalidParameter, "Invalid parameter: SQS endpoint ARN", []string{"TopicArn", topic, "Protocol", "sqs", "Endpoint", topic}},
		{"FIFO queue on standard topic", codeInvalidParameter, "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics",
			[]string{"TopicArn", topic, "Protocol", "sqs", "Endpoint", queueARNOf(fifoQueue)}},
		{"missing topic", codeNotFound, "Topic does not exist", []string{"TopicArn", topicARNOf("nope"), "Protocol", "sqs", "Endpoint", queueARNOf("q")}},
		{"malformed topic", codeInvalidParameter, "Invalid parameter: TopicArn", []string{"TopicArn", "jobs", "Protocol", "sqs", "Endpoint", queueARNOf("q")}},
		{"unknown attribute", codeInvalidParameter, "Invalid parameter: Attributes Reason: Unknown attribute Color",
			[]string{"TopicArn", topic, "Protocol", "sqs", "Endpoint", queueARNOf("q"), "Attributes.entry.1.key", "Color", "Attributes.entry.1.value", "red"}},
		{"raw not boolean", codeInvalidParameter, "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [yes]. Must be true or false.",
			[]string{"TopicArn", topic, "Protocol", "sqs", "Endpoint", queueARNOf("q"), "Attributes.entry.1.key", "RawMessageDelivery", "Attributes.entry.1.value", "yes"}},
		{"bad scope", codeInvalidParameter, "Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value [Body]. Please use either MessageBody or MessageAttributes",
			[]string{"TopicArn", topic, "Protocol", "sqs", "Endpoint", queueARNOf("q"), "Attributes.entry.1.key", "FilterPolicyScope", "Attributes.entry.1.value", "Body"}},
		{"bad filter policy", codeInvalidParameter, "Invalid parameter: Attributes Reason: FilterPolicy: Empty arrays are not allowed",
			[]string{"TopicArn", topic, "Protocol", "sqs", "Endpoint", queueARNOf("q"), "Attributes.entry.1.key", "FilterPolicy", "Attributes.entry.1.value", `{"a":[]}`}},
		{"nested policy in attribute scope", codeInvalidParameter, "Invalid parameter: Attributes Reason: Filter policy scope MessageAttributes does not support nested filter policy",
			[]string{"TopicArn", topic, "Protocol", "sqs", "Endpoint", queueARNOf("q"), "Attributes.entry.1.key", "FilterPolicy", "Attributes.entry.1.value", `{"a":{"b":["x"]}}`}},
		{"redrive with maxReceiveCount", codeInvalidParameter, "Invalid parameter: Attributes Reason: RedrivePolicy: invalid JSON. Attribute maxReceiveCount is unknown.",
			[]string{"TopicArn", topic, "Protocol", "sqs", "Endpoint", queueARNOf("q"), "Attributes.entry.1.key", "RedrivePolicy",
				"Attributes.entry.1.value", `{"deadLetterTargetArn":"` + queueARNOf("dlq") + `","maxReceiveCount":5}`}},
		{"redrive not JSON", codeInvalidParameter, "Invalid parameter: Attributes Reason: RedrivePolicy: failed to parse JSON.",
			[]string{"TopicArn", topic, "Protocol", "sqs", "Endpoint", queueARNOf("q"), "Attributes.entry.1.key", "RedrivePolicy", "Attributes.entry.1.value", `dlq`}},
		{"redrive without target", codeInvalidParameter, "Invalid parameter: Attributes Reason: RedrivePolicy: deadLetterTargetArn is missing.",
			[]string{"TopicArn", topic, "Protocol", "sqs", "Endpoint", queueARNOf("q"), "Attributes.entry.1.key", "RedrivePolicy", "Attributes.entry.1.value", `{}`}},
		{"redrive to non-queue", codeInvalidParameter, "Invalid parameter: Attributes Reason: RedrivePolicy: deadLetterTargetArn is an invalid arn",
			[]string{"TopicArn", topic, "Protocol", "sqs", "Endpoint", queueARNOf("q"), "Attributes.entry.1.key", "RedrivePolicy", "Attributes.entry.1.value", `{"deadLetterTargetArn":"dlq"}`}},
		{"redrive to FIFO queue", codeInvalidParameter, "Invalid parameter: Attributes Reason: RedrivePolicy: must use a standard queue as DLQ for a standard topic subscription.",
			[]string{"TopicArn", topic, "Protocol", "sqs", "Endpoint", queueARNOf("q"), "Attributes.entry.1.key", "RedrivePolicy", "Attributes.entry.1.value", `{"deadLetterTargetArn":"` + queueARNOf("d.fifo") + `"}`}},
		{"replay on standard", codeInvalidParameter, "Invalid parameter: Attributes Reason: ReplayPolicy: message replay is only supported for FIFO topics",
			[]string{"TopicArn", topic, "Protocol", "sqs", "Endpoint", queueARNOf("q"), "Attributes.entry.1.key", "ReplayPolicy", "Attributes.entry.1.value", `{}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { h.fails(t, tc.code, tc.message, "Subscribe", tc.kv...) })
	}

	fifoTopic := h.createTopic(t, "jobs.fifo", "Attributes.entry.1.key", "FifoTopic", "Attributes.entry.1.value", "true")
	h.subscribe(t, fifoTopic, fifoQueue)
	h.subscribe(t, fifoTopic, "standard-from-fifo")
	h.fails(t, codeInvalidParameter, "Invalid parameter: Attributes Reason: RedrivePolicy: must use a FIFO queue as DLQ for a FIFO topic subscription.",
		"Subscribe", "TopicArn", fifoTopic, "Protocol", "sqs", "Endpoint", queueARNOf("other.fifo"),
		"Attributes.entry.1.key", "RedrivePolicy", "Attributes.entry.1.value", `{"deadLetterTargetArn":"`+queueARNOf("dlq")+`"}`)
}

func TestSubscriptionAttributes(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	topic := h.createTopic(t, "jobs")
	sub := h.subscribe(t, topic, "q1")
	got := h.must(t, "GetSubscriptionAttributes", "SubscriptionArn", sub).(*attributesResult).Attributes
	want := map[string]string{
		"SubscriptionArn": sub, "TopicArn": topic, "Owner": "000000000000", "Protocol": "sqs", "Endpoint": queueARNOf("q1"),
		"PendingConfirmation": "false", "ConfirmationWasAuthenticated": "true", "RawMessageDelivery": "false",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, absent := range []string{"FilterPolicy", "FilterPolicyScope", "RedrivePolicy"} {
		if _, ok := got[absent]; ok {
			t.Errorf("%s reported without being set", absent)
		}
	}

	set := func(name, value string) {
		t.Helper()
		h.must(t, "SetSubscriptionAttributes", "SubscriptionArn", sub, "AttributeName", name, "AttributeValue", value)
	}
	set("RawMessageDelivery", "True")
	set("FilterPolicy", `{"type":["a"]}`)
	set("RedrivePolicy", `{"deadLetterTargetArn":"`+queueARNOf("dlq")+`"}`)
	got = h.must(t, "GetSubscriptionAttributes", "SubscriptionArn", sub).(*attributesResult).Attributes
	if got["RawMessageDelivery"] != "true" || got["FilterPolicy"] != `{"type":["a"]}` || got["FilterPolicyScope"] != "MessageAttributes" ||
		got["RedrivePolicy"] != `{"deadLetterTargetArn":"`+queueARNOf("dlq")+`"}` {
		t.Fatalf("after Set: %v", got)
	}

	// SetSubscriptionAttributes words errors without "Attributes Reason:".
	setFails := func(name, value, message string) {
		t.Helper()
		h.fails(t, codeInvalidParameter, message, "SetSubscriptionAttributes", "SubscriptionArn", sub, "AttributeName", name, "AttributeValue", value)
	}
	setFails("FilterPolicy", `{"a":[{"wrong-operator":1}]}`, "Invalid parameter: FilterPolicy: Unrecognized match type wrong-operator")
	setFails("FilterPolicy", `{"a":[{"numeric":[">",5,"<",1]}]}`, "Invalid parameter: FilterPolicy: Bottom must be less than top")
	setFails("FilterPolicy", `{"a":{"b":["x"]}}`, "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy")
	setFails("RawMessageDelivery", "", "Invalid parameter: RawMessageDelivery: Invalid value []. Must be true or false.")
	setFails("Protocol", "http", "Invalid parameter: AttributeName")
	setFails("RedrivePolicy", `{"deadLetterTargetArn":"x","maxReceiveCount":1}`, "Invalid parameter: RedrivePolicy: invalid JSON. Attribute maxReceiveCount is unknown.")

	// Switching the scope re-validates the policy against the new scope.
	set("FilterPolicyScope", "MessageBody")
	set("FilterPolicy", `{"doc":{"kind":["invoice"]}}`)
	setFails("FilterPolicyScope", "MessageAttributes", "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy")
	got = h.must(t, "GetSubscriptionAttributes", "SubscriptionArn", sub).(*attributesResult).Attributes
	if got["FilterPolicyScope"] != "MessageBody" || got["FilterPolicy"] != `{"doc":{"kind":["invoice"]}}` {
		t.Fatalf("a failed Set changed the subscription: %v", got)
	}
	// An empty value removes a policy.
	set("FilterPolicy", "")
	set("RedrivePolicy", "")
	got = h.must(t, "GetSubscriptionAttributes", "SubscriptionArn", sub).(*attributesResult).Attributes
	if _, ok := got["FilterPolicy"]; ok {
		t.Errorf("FilterPolicy not removed: %v", got)
	}
	if _, ok := got["RedrivePolicy"]; ok {
		t.Errorf("RedrivePolicy not removed: %v", got)
	}

	h.fails(t, codeNotFound, "Subscription does not exist", "GetSubscriptionAttributes", "SubscriptionArn", topic+":00000000-0000-0000-0000-000000000000")
	h.fails(t, codeInvalidParameter, "Invalid parameter: SubscriptionArn", "GetSubscriptionAttributes", "SubscriptionArn", topic)
	h.fails(t, codeValidationError, "", "GetSubscriptionAttributes")
	h.fails(t, codeNotFound, "Subscription does not exist", "SetSubscriptionAttributes", "SubscriptionArn", topic+":x", "AttributeName", "RawMessageDelivery", "AttributeValue", "true")
}

func TestUnsubscribeAndCounts(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	topic := h.createTopic(t, "jobs")
	a := h.subscribe(t, topic, "q1")
	h.subscribe(t, topic, "q2")
	h.must(t, "Unsubscribe", "SubscriptionArn", a)
	h.must(t, "Unsubscribe", "SubscriptionArn", a) // again: no error
	h.fails(t, codeInvalidParameter, "Invalid parameter: SubscriptionArn", "Unsubscribe", "SubscriptionArn", "garbage")
	got := h.must(t, "GetTopicAttributes", "TopicArn", topic).(*attributesResult).Attributes
	if got["SubscriptionsConfirmed"] != "1" || got["SubscriptionsDeleted"] != "1" {
		t.Fatalf("counts: confirmed %s deleted %s", got["SubscriptionsConfirmed"], got["SubscriptionsDeleted"])
	}
	h.fails(t, codeInvalidParameter, "Invalid parameter: Invalid token", "ConfirmSubscription", "TopicArn", topic, "Token", "abc")
	h.fails(t, codeNotFound, "", "ConfirmSubscription", "TopicArn", topicARNOf("nope"), "Token", "abc")
}

func TestListSubscriptions(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	a, b := h.createTopic(t, "a"), h.createTopic(t, "b")
	for i := range 120 {
		h.subscribe(t, a, fmt.Sprintf("qa%d", i))
	}
	for i := range 30 {
		h.subscribe(t, b, fmt.Sprintf("qb%d", i))
	}
	collect := func(action string, kv ...string) []subscriptionMember {
		var all []subscriptionMember
		token := ""
		for {
			args := append([]string{}, kv...)
			if token != "" {
				args = append(args, "NextToken", token)
			}
			out := h.must(t, action, args...).(*listSubscriptionsResult)
			all = append(all, out.Subscriptions.Members...)
			if out.NextToken == "" {
				return all
			}
			token = out.NextToken
		}
	}
	if all := collect("ListSubscriptions"); len(all) != 150 {
		t.Fatalf("ListSubscriptions: %d", len(all))
	}
	byA := collect("ListSubscriptionsByTopic", "TopicArn", a)
	if len(byA) != 120 {
		t.Fatalf("ListSubscriptionsByTopic(a): %d", len(byA))
	}
	seen := map[string]bool{}
	for _, m := range byA {
		if m.TopicArn != a || m.Protocol != "sqs" || m.Owner != "000000000000" || !strings.HasPrefix(m.Endpoint, "arn:aws:sqs:") || seen[m.SubscriptionArn] {
			t.Fatalf("member %+v", m)
		}
		seen[m.SubscriptionArn] = true
	}
	h.fails(t, codeNotFound, "Topic does not exist", "ListSubscriptionsByTopic", "TopicArn", topicARNOf("c"))
}

func TestFilterPolicyLimitPerTopic(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	topic := h.createTopic(t, "jobs")
	policy := []string{"Attributes.entry.1.key", "FilterPolicy", "Attributes.entry.1.value", `{"a":["b"]}`}
	for i := range maxFilterPoliciesPerTopic {
		h.subscribe(t, topic, fmt.Sprintf("q%d", i), policy...)
	}
	h.fails(t, codeFilterPolicyLimit, "", "Subscribe", append([]string{"TopicArn", topic, "Protocol", "sqs", "Endpoint", queueARNOf("one-more")}, policy...)...)
	// Without a policy the subscription is fine, but it cannot get one.
	sub := h.subscribe(t, topic, "one-more")
	h.fails(t, codeFilterPolicyLimit, "", "SetSubscriptionAttributes", "SubscriptionArn", sub, "AttributeName", "FilterPolicy", "AttributeValue", `{"a":["b"]}`)
}
