package sns

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// envelopeOf decodes an SNS envelope body.
func envelopeOf(t *testing.T, body string) map[string]any {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		t.Fatalf("body is not an envelope (%v): %s", err, body)
	}
	return env
}

func TestPublishEnvelopeDelivery(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	topic := h.createTopic(t, "jobs")
	sub := h.subscribe(t, topic, "q1")
	res := h.publish(t, topic, "Message", `{"jobId":"j-1"}`, "Subject", "new job",
		"MessageAttributes.entry.1.Name", "jobType", "MessageAttributes.entry.1.Value.DataType", "String", "MessageAttributes.entry.1.Value.StringValue", "pdf-extract",
		"MessageAttributes.entry.2.Name", "blob", "MessageAttributes.entry.2.Value.DataType", "Binary", "MessageAttributes.entry.2.Value.BinaryValue", "AAEC")
	if len(res.MessageId) != 36 || res.SequenceNumber != "" {
		t.Fatalf("result %+v", res)
	}
	got := h.queue.take()
	if len(got) != 1 || got[0].queue != queueARNOf("q1") {
		t.Fatalf("deliveries %+v", got)
	}
	m := got[0].msg
	if m.Attributes != nil || m.MessageGroupID != "" || m.MessageDeduplicationID != "" {
		t.Fatalf("envelope delivery carries SQS attributes or ids: %+v", m)
	}
	env := envelopeOf(t, m.Body)
	want := map[string]any{
		"Type": "Notification", "MessageId": res.MessageId, "TopicArn": topic, "Subject": "new job",
		"Message": `{"jobId":"j-1"}`, "Timestamp": "2025-06-01T12:00:00.456Z", "SignatureVersion": "1",
		"UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + sub,
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %v, want %v", k, env[k], v)
		}
	}
	attrs := env["MessageAttributes"].(map[string]any)
	if fmt.Sprint(attrs["jobType"]) != "map[Type:String Value:pdf-extract]" || fmt.Sprint(attrs["blob"]) != "map[Type:Binary Value:AAEC]" {
		t.Errorf("MessageAttributes = %v", attrs)
	}
	if keys := envelopeKeys(t, m.Body); strings.Join(keys, ",") != "Type,MessageId,TopicArn,Subject,Message,Timestamp,SignatureVersion,Signature,SigningCertURL,UnsubscribeURL,MessageAttributes" {
		t.Errorf("keys = %v", keys)
	}
}

func TestPublishRawDelivery(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	topic := h.createTopic(t, "jobs")
	h.subscribe(t, topic, "raw", "Attributes.entry.1.key", "RawMessageDelivery", "Attributes.entry.1.value", "true")
	h.publish(t, topic, "Message", "hello <world>", "Subject", "ignored in raw",
		"MessageAttributes.entry.1.Name", "n", "MessageAttributes.entry.1.Value.DataType", "Number.int", "MessageAttributes.entry.1.Value.StringValue", "42",
		"MessageAttributes.entry.2.Name", "b", "MessageAttributes.entry.2.Value.DataType", "Binary", "MessageAttributes.entry.2.Value.BinaryValue", "AAEC",
		"MessageAttributes.entry.3.Name", "arr", "MessageAttributes.entry.3.Value.DataType", "String.Array", "MessageAttributes.entry.3.Value.StringValue", `["x"]`)
	got := h.queue.take()
	if len(got) != 1 {
		t.Fatalf("deliveries %+v", got)
	}
	m := got[0].msg
	if m.Body != "hello <world>" {
		t.Fatalf("raw body = %q", m.Body)
	}
	n, b, arr := m.Attributes["n"], m.Attributes["b"], m.Attributes["arr"]
	if n.DataType != "Number.int" || n.StringValue == nil || *n.StringValue != "42" ||
		b.DataType != "Binary" || string(b.BinaryValue) != "\x00\x01\x02" || b.StringValue != nil ||
		arr.DataType != "String.Array" || *arr.StringValue != `["x"]` || len(m.Attributes) != 3 {
		t.Fatalf("raw attributes = %+v", m.Attributes)
	}
}

func TestPublishMessageStructure(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	topic := h.createTopic(t, "jobs")
	h.subscribe(t, topic, "raw", "Attributes.entry.1.key", "RawMessageDelivery", "Attributes.entry.1.value", "true")
	h.publish(t, topic, "MessageStructure", "json", "Message", `{"default":"for all","sqs":"for queues","email":"x"}`)
	h.publish(t, topic, "MessageStructure", "json", "Message", `{"default":"only default"}`)
	got := h.queue.take()
	if len(got) != 2 || got[0].msg.Body != "for queues" || got[1].msg.Body != "only default" {
		t.Fatalf("deliveries %+v", got)
	}
	h.fails(t, codeInvalidParameter, "Invalid parameter: Message Structure - No default entry in JSON message body",
		"Publish", "TopicArn", topic, "MessageStructure", "json", "Message", `{"sqs":"x"}`)
	h.fails(t, codeInvalidParameter, "Invalid parameter: Message Structure - JSON message body failed to parse",
		"Publish", "TopicArn", topic, "MessageStructure", "json", "Message", `not json`)
	h.fails(t, codeInvalidParameter, "Invalid parameter: Message Structure - JSON message body failed to parse",
		"Publish", "TopicArn", topic, "MessageStructure", "json", "Message", `{"default":1}`)
	h.fails(t, codeInvalidParameter, "Invalid parameter: MessageStructure",
		"Publish", "TopicArn", topic, "MessageStructure", "xml", "Message", `x`)
}

func TestPublishValidation(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	topic := h.createTopic(t, "jobs")
	attr := func(name, typ, field, value string) []string {
		return []string{"TopicArn", topic, "Message", "m",
			"MessageAttributes.entry.1.Name", name, "MessageAttributes.entry.1.Value.DataType", typ, "MessageAttributes.entry.1.Value." + field, value}
	}
	tests := []struct {
		name, code, message string
		kv                  []string
	}{
		{"no topic", codeInvalidParameter, "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter", []string{"Message", "m"}},
		{"phone number", codeInvalidParameter, "", []string{"PhoneNumber", "+15555550100", "Message", "m"}},
		{"missing topic", codeNotFound, "Topic does not exist", []string{"TopicArn", topicARNOf("nope"), "Message", "m"}},
		{"malformed topic", codeInvalidParameter, "Invalid parameter: TopicArn", []string{"TopicArn", "arn:aws:sqs:us-east-1:000000000000:q", "Message", "m"}},
		{"no message", codeValidationError, "1 validation error detected: Value null at 'message' failed to satisfy constraint: Member must not be null", []string{"TopicArn", topic}},
		{"empty message", codeInvalidParameter, "Invalid parameter: Empty message", []string{"TopicArn", topic, "Message", ""}},
		{"too long", codeInvalidParameter, "Invalid parameter: Message too long", []string{"TopicArn", topic, "Message", strings.Repeat("x", maxMessageBytes+1)}},
		{"too long with attributes", codeInvalidParameter, "Invalid parameter: Message too long",
			[]string{"TopicArn", topic, "Message", strings.Repeat("x", maxMessageBytes-7), "MessageAttributes.entry.1.Name", "a",
				"MessageAttributes.entry.1.Value.DataType", "String", "MessageAttributes.entry.1.Value.StringValue", "v"}},
		{"invalid UTF-8", codeInvalidParameter, "", []string{"TopicArn", topic, "Message", "\xff"}},
		{"empty subject", codeInvalidParameter, "Invalid parameter: Subject", []string{"TopicArn", topic, "Message", "m", "Subject", ""}},
		{"long subject", codeInvalidParameter, "Invalid parameter: Subject", []string{"TopicArn", topic, "Message", "m", "Subject", strings.Repeat("s", 100)}},
		{"subject with newline", codeInvalidParameter, "Invalid parameter: Subject", []string{"TopicArn", topic, "Message", "m", "Subject", "a\nb"}},
		{"empty string attribute", codeParameterValueInvalid, "The message attribute 'attr1' must contain non-empty message attribute value for message attribute type 'String'.",
			attr("attr1", "String", "StringValue", "")},
		{"empty binary attribute", codeParameterValueInvalid, "The message attribute 'b' must contain non-empty message attribute value for message attribute type 'Binary'.",
			attr("b", "Binary", "BinaryValue", "")},
		{"no type", codeParameterValueInvalid, "The message attribute 'a' must contain non-empty message attribute type.", attr("a", "", "StringValue", "v")},
		{"bad type", codeParameterValueInvalid, "The message attribute 'a' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
			attr("a", "Text", "StringValue", "v")},
		{"not a number", codeParameterValueInvalid, "Could not cast message attribute 'n' value to number.", attr("n", "Number", "StringValue", "ten")},
		{"bad array", codeParameterValueInvalid, "The message attribute 'a' with type 'String.Array' must hold a JSON array.", attr("a", "String.Array", "StringValue", `{"a":1}`)},
		{"string in binary", codeParameterValueInvalid, "The message attribute 'b' with type 'Binary' must use field 'Binary'.", attr("b", "Binary", "StringValue", "x")},
		{"binary in string", codeParameterValueInvalid, "The message attribute 's' with type 'String' must use field 'String'.", attr("s", "String", "BinaryValue", "AAEC")},
		{"bad base64", codeParameterValueInvalid, "The message attribute 'b' has a BinaryValue that is not valid base64.", attr("b", "Binary", "BinaryValue", "!!")},
		{"reserved name", codeParameterValueInvalid, "", attr("AWS.trace", "String", "StringValue", "v")},
		{"dotted name", codeParameterValueInvalid, "", attr("a..b", "String", "StringValue", "v")},
		{"bad name", codeParameterValueInvalid, "", attr("a b", "String", "StringValue", "v")},
		{"duplicate name", codeParameterValueInvalid, "The message attribute 'a' is listed more than once.",
			append(attr("a", "String", "StringValue", "v"), "MessageAttributes.entry.2.Name", "a",
				"MessageAttributes.entry.2.Value.DataType", "String", "MessageAttributes.entry.2.Value.StringValue", "w")},
		{"dedup id on standard topic", codeInvalidParameter,
			"Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
			[]string{"TopicArn", topic, "Message", "m", "MessageDeduplicationId", "d"}},
		{"bad group id", codeInvalidParameter, "", []string{"TopicArn", topic, "Message", "m", "MessageGroupId", "has space"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { h.fails(t, tc.code, tc.message, "Publish", tc.kv...) })
	}
	// Edge cases that are valid.
	h.publish(t, topic, "Message", strings.Repeat("x", maxMessageBytes))
	h.publish(t, topic, "Message", "m", "Subject", strings.Repeat("s", 99))
	h.publish(t, topic, "Message", "m", "MessageAttributes.entry.1.Name", "n", "MessageAttributes.entry.1.Value.DataType", "Number", "MessageAttributes.entry.1.Value.StringValue", "1e400")
	h.publish(t, "", "TargetArn", topic, "Message", "via TargetArn")
}

func TestPublishFilters(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	topic := h.createTopic(t, "jobs")
	policy := func(p string) []string {
		return []string{"Attributes.entry.1.key", "FilterPolicy", "Attributes.entry.1.value", p, "Attributes.entry.2.key", "RawMessageDelivery", "Attributes.entry.2.value", "true"}
	}
	h.subscribe(t, topic, "fetch", policy(`{"job_type":["fetch.document"]}`)...)
	h.subscribe(t, topic, "extract", policy(`{"job_type":[{"prefix":"extract."}]}`)...)
	h.subscribe(t, topic, "everything", "Attributes.entry.1.key", "RawMessageDelivery", "Attributes.entry.1.value", "true")
	h.subscribe(t, topic, "big", append(policy(`{"size":[{"numeric":[">",1000]}]}`), "Attributes.entry.3.key", "FilterPolicyScope", "Attributes.entry.3.value", "MessageBody")...)
	publish := func(jobType, body string) []string {
		h.publish(t, topic, "Message", body, "MessageAttributes.entry.1.Name", "job_type",
			"MessageAttributes.entry.1.Value.DataType", "String", "MessageAttributes.entry.1.Value.StringValue", jobType)
		var queues []string
		for _, d := range h.queue.take() {
			queues = append(queues, strings.TrimPrefix(d.queue, queueARNOf("")))
		}
		return queues
	}
	for _, tc := range []struct {
		jobType, body, want string
	}{
		{"fetch.document", `{"size":1}`, "[fetch everything]"},
		{"extract.tables", `{"size":5000}`, "[extract everything big]"},
		{"notify.email", `not json`, "[everything]"},
	} {
		if got := fmt.Sprint(publish(tc.jobType, tc.body)); got != tc.want {
			t.Errorf("%s %s went to %s, want %s", tc.jobType, tc.body, got, tc.want)
		}
	}
}

func TestPublishWithoutSubscribers(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	topic := h.createTopic(t, "empty")
	if res := h.publish(t, topic, "Message", "into the void"); res.MessageId == "" {
		t.Fatal("no MessageId")
	}
	h.subscribe(t, topic, "filtered", "Attributes.entry.1.key", "FilterPolicy", "Attributes.entry.1.value", `{"a":["b"]}`)
	h.publish(t, topic, "Message", "matches nothing")
	if got := h.queue.take(); len(got) != 0 {
		t.Fatalf("deliveries %+v", got)
	}
}

func TestPublishDeliveryFailure(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	topic := h.createTopic(t, "jobs")
	gone := h.subscribe(t, topic, "gone", "Attributes.entry.1.key", "RedrivePolicy", "Attributes.entry.1.value", `{"deadLetterTargetArn":"`+queueARNOf("dlq")+`"}`)
	h.subscribe(t, topic, "gone-too")
	h.subscribe(t, topic, "alive")
	h.queue.setMissing(queueARNOf("gone"), true)
	h.queue.setMissing(queueARNOf("gone-too"), true)
	res := h.publish(t, topic, "Message", "m", "Subject", "s")
	got := h.queue.take()
	queues := map[string]string{}
	for _, d := range got {
		queues[d.queue] = d.msg.Body
	}
	if len(got) != 2 || queues[queueARNOf("alive")] == "" || queues[queueARNOf("dlq")] == "" {
		t.Fatalf("deliveries %+v", got)
	}
	// The dead-letter queue gets the message the subscription would have.
	if env := envelopeOf(t, queues[queueARNOf("dlq")]); env["MessageId"] != res.MessageId || !strings.HasSuffix(env["UnsubscribeURL"].(string), "="+gone) {
		t.Fatalf("DLQ body %v", env)
	}
	// A dead-letter queue that is gone too loses the message; the publish
	// still succeeds.
	h.queue.setMissing(queueARNOf("dlq"), true)
	h.publish(t, topic, "Message", "m")
	if got := h.queue.take(); len(got) != 1 || got[0].queue != queueARNOf("alive") {
		t.Fatalf("deliveries %+v", got)
	}

	// Without an SQS service every delivery fails, and publishing works.
	svc, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := &awsproto.Call{Ctx: context.Background(), Action: "CreateTopic"}
	if _, e := svc.ServeQuery(c, form("Name", "t")); e != nil {
		t.Fatal(e)
	}
	c.Action = "Subscribe"
	if _, e := svc.ServeQuery(c, form("TopicArn", topicARNOf("t"), "Protocol", "sqs", "Endpoint", queueARNOf("q"))); e != nil {
		t.Fatal(e)
	}
	if err := svc.PublishToTopic(context.Background(), topicARNOf("t"), "", "m"); err != nil {
		t.Fatalf("PublishToTopic without SQS: %v", err)
	}
}

func TestPublishStandardTopicGroupID(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	topic := h.createTopic(t, "jobs")
	h.subscribe(t, topic, "fair")
	h.publish(t, topic, "Message", "m", "MessageGroupId", "tenant-1")
	if got := h.queue.take(); len(got) != 1 || got[0].msg.MessageGroupID != "tenant-1" || got[0].msg.MessageDeduplicationID != "" {
		t.Fatalf("deliveries %+v", got)
	}
}

func TestPublishFIFO(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	topic := h.createTopic(t, "jobs.fifo", "Attributes.entry.1.key", "FifoTopic", "Attributes.entry.1.value", "true")
	h.subscribe(t, topic, "jobs.fifo")
	h.subscribe(t, topic, "standard", "Attributes.entry.1.key", "RawMessageDelivery", "Attributes.entry.1.value", "true")

	h.fails(t, codeInvalidParameter, "Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
		"Publish", "TopicArn", topic, "Message", "m", "MessageDeduplicationId", "d")
	h.fails(t, codeInvalidParameter, "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
		"Publish", "TopicArn", topic, "Message", "m", "MessageGroupId", "g")
	h.fails(t, codeInvalidParameter, "", "Publish", "TopicArn", topic, "Message", "m", "MessageGroupId", "g", "MessageDeduplicationId", strings.Repeat("d", 129))

	first := h.publish(t, topic, "Message", "m1", "MessageGroupId", "g", "MessageDeduplicationId", "d1")
	second := h.publish(t, topic, "Message", "m2", "MessageGroupId", "g", "MessageDeduplicationId", "d2")
	if first.SequenceNumber != "10000000000000000000" || second.SequenceNumber != "10000000000000000001" {
		t.Fatalf("sequence numbers %s, %s", first.SequenceNumber, second.SequenceNumber)
	}
	got := h.queue.take()
	if len(got) != 4 {
		t.Fatalf("deliveries %+v", got)
	}
	for _, d := range got {
		switch d.queue {
		case queueARNOf("jobs.fifo"):
			if d.msg.MessageGroupID != "g" || (d.msg.MessageDeduplicationID != "d1" && d.msg.MessageDeduplicationID != "d2") {
				t.Errorf("FIFO queue got ids %q %q", d.msg.MessageGroupID, d.msg.MessageDeduplicationID)
			}
			env := envelopeOf(t, d.msg.Body)
			if _, ok := env["Signature"]; ok || env["SequenceNumber"] == nil {
				t.Errorf("FIFO envelope %v", env)
			}
		case queueARNOf("standard"):
			if d.msg.MessageGroupID != "" || d.msg.MessageDeduplicationID != "" {
				t.Errorf("standard queue got FIFO ids %+v", d.msg)
			}
		}
	}
	// In order, per queue.
	if envelopeOf(t, got[0].msg.Body)["Message"] != "m1" || envelopeOf(t, got[2].msg.Body)["Message"] != "m2" {
		t.Errorf("order: %q, %q", got[0].msg.Body, got[2].msg.Body)
	}

	// A duplicate within five minutes is accepted with the first ids and
	// not delivered; after five minutes it is new.
	dup := h.publish(t, topic, "Message", "m1 again", "MessageGroupId", "g", "MessageDeduplicationId", "d1")
	if dup.MessageId != first.MessageId || dup.SequenceNumber != first.SequenceNumber || len(h.queue.take()) != 0 {
		t.Fatalf("duplicate %+v delivered or renumbered", dup)
	}
	h.clock.advance(dedupWindow)
	if again := h.publish(t, topic, "Message", "m1", "MessageGroupId", "g", "MessageDeduplicationId", "d1"); again.MessageId == first.MessageId {
		t.Fatal("deduplicated after the window")
	}
	h.queue.take()

	// Content-based deduplication derives the id from the message.
	h.must(t, "SetTopicAttributes", "TopicArn", topic, "AttributeName", "ContentBasedDeduplication", "AttributeValue", "true")
	a := h.publish(t, topic, "Message", "same", "MessageGroupId", "g")
	b := h.publish(t, topic, "Message", "same", "MessageGroupId", "other")
	sum := sha256.Sum256([]byte("same"))
	got = h.queue.take()
	if a.MessageId != b.MessageId || len(got) != 2 || got[0].msg.MessageDeduplicationID != hex.EncodeToString(sum[:]) {
		t.Fatalf("content-based dedup: %+v %+v %+v", a, b, got)
	}
	// With FifoThroughputScope=MessageGroup, deduplication is per group.
	h.must(t, "SetTopicAttributes", "TopicArn", topic, "AttributeName", "FifoThroughputScope", "AttributeValue", "MessageGroup")
	c := h.publish(t, topic, "Message", "same", "MessageGroupId", "other")
	if c.MessageId == a.MessageId {
		t.Fatal("per-group deduplication deduplicated across groups")
	}
}

func TestPublishBatch(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	topic := h.createTopic(t, "jobs")
	h.subscribe(t, topic, "q", "Attributes.entry.1.key", "RawMessageDelivery", "Attributes.entry.1.value", "true")
	entry := func(n int, id, msg string, extra ...string) []string {
		p := fmt.Sprintf("PublishBatchRequestEntries.member.%d.", n)
		kv := []string{p + "Id", id, p + "Message", msg}
		for i := 0; i+1 < len(extra); i += 2 {
			kv = append(kv, p+extra[i], extra[i+1])
		}
		return kv
	}
	batch := func(entries ...[]string) []string {
		kv := []string{"TopicArn", topic}
		for _, e := range entries {
			kv = append(kv, e...)
		}
		return kv
	}
	out := h.must(t, "PublishBatch", batch(
		entry(1, "ok-1", "first", "MessageAttributes.entry.1.Name", "k", "MessageAttributes.entry.1.Value.DataType", "String", "MessageAttributes.entry.1.Value.StringValue", "v"),
		entry(2, "bad", ""),
		entry(3, "bad-attr", "x", "MessageAttributes.entry.1.Name", "k", "MessageAttributes.entry.1.Value.DataType", "String", "MessageAttributes.entry.1.Value.StringValue", ""),
		entry(4, "ok_2", "second"),
	)...).(*publishBatchResult)
	if len(out.Successful.Members) != 2 || out.Successful.Members[0].Id != "ok-1" || out.Successful.Members[1].Id != "ok_2" {
		t.Fatalf("Successful %+v", out.Successful.Members)
	}
	if len(out.Failed.Members) != 2 || out.Failed.Members[0] != (batchErrorEntry{Id: "bad", Code: codeInvalidParameter, Message: "Invalid parameter: Empty message", SenderFault: true}) ||
		out.Failed.Members[1].Code != codeParameterValueInvalid {
		t.Fatalf("Failed %+v", out.Failed.Members)
	}
	got := h.queue.take()
	if len(got) != 2 || got[0].msg.Body != "first" || got[1].msg.Body != "second" || *got[0].msg.Attributes["k"].StringValue != "v" {
		t.Fatalf("deliveries %+v", got)
	}

	eleven := []string{"TopicArn", topic}
	for i := range 11 {
		eleven = append(eleven, entry(i+1, fmt.Sprint("e", i), "m")...)
	}
	h.fails(t, codeTooManyEntries, "The batch request contains more entries than permissible.", "PublishBatch", eleven...)
	h.fails(t, codeEmptyBatch, "The batch request doesn't contain any entries", "PublishBatch", "TopicArn", topic)
	h.fails(t, codeBatchIDsNotDistinct, "Two or more batch entries in the request have the same Id.", "PublishBatch", batch(entry(1, "a", "m"), entry(2, "a", "m"))...)
	h.fails(t, codeInvalidBatchEntryID, "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
		"PublishBatch", batch(entry(1, "a.b", "m"))...)
	h.fails(t, codeInvalidBatchEntryID, "", "PublishBatch", batch(entry(1, strings.Repeat("a", 81), "m"))...)
	h.fails(t, codeBatchRequestTooLong, "The length of all the messages put together is more than the limit.",
		"PublishBatch", batch(entry(1, "a", strings.Repeat("x", 200000)), entry(2, "b", strings.Repeat("x", 100000)))...)
	h.fails(t, codeNotFound, "Topic does not exist", "PublishBatch", "TopicArn", topicARNOf("nope"), "PublishBatchRequestEntries.member.1.Id", "a", "PublishBatchRequestEntries.member.1.Message", "m")
	h.fails(t, codeValidationError, "", "PublishBatch", entry(1, "a", "m")...)

	// FIFO: a missing group id fails the whole batch.
	fifo := h.createTopic(t, "jobs.fifo", "Attributes.entry.1.key", "FifoTopic", "Attributes.entry.1.value", "true")
	h.subscribe(t, fifo, "q.fifo")
	h.fails(t, codeInvalidParameter, "Invalid parameter: The MessageGroupId parameter is required for FIFO topics", "PublishBatch",
		"TopicArn", fifo, "PublishBatchRequestEntries.member.1.Id", "a", "PublishBatchRequestEntries.member.1.Message", "m",
		"PublishBatchRequestEntries.member.1.MessageDeduplicationId", "d")
	out = h.must(t, "PublishBatch", "TopicArn", fifo,
		"PublishBatchRequestEntries.member.1.Id", "a", "PublishBatchRequestEntries.member.1.Message", "m1",
		"PublishBatchRequestEntries.member.1.MessageGroupId", "g", "PublishBatchRequestEntries.member.1.MessageDeduplicationId", "d1",
		"PublishBatchRequestEntries.member.2.Id", "b", "PublishBatchRequestEntries.member.2.Message", "m2",
		"PublishBatchRequestEntries.member.2.MessageGroupId", "g", "PublishBatchRequestEntries.member.2.MessageDeduplicationId", "d2",
	).(*publishBatchResult)
	if len(out.Successful.Members) != 2 || out.Successful.Members[0].SequenceNumber == "" || out.Successful.Members[0].SequenceNumber >= out.Successful.Members[1].SequenceNumber {
		t.Fatalf("FIFO batch %+v", out)
	}
}

func TestPublishToTopic(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	topic := h.createTopic(t, "ses-events")
	h.subscribe(t, topic, "events")
	if !h.svc.TopicExists(topic) || h.svc.TopicExists(topicARNOf("nope")) || h.svc.TopicExists("garbage") {
		t.Fatal("TopicExists is wrong")
	}
	if err := h.svc.PublishToTopic(context.Background(), topic, "Amazon SES Email Event Notification", `{"eventType":"Bounce"}`); err != nil {
		t.Fatal(err)
	}
	got := h.queue.take()
	if len(got) != 1 {
		t.Fatalf("deliveries %+v", got)
	}
	env := envelopeOf(t, got[0].msg.Body)
	if env["Subject"] != "Amazon SES Email Event Notification" || env["Message"] != `{"eventType":"Bounce"}` {
		t.Fatalf("envelope %v", env)
	}
	if err := h.svc.PublishToTopic(context.Background(), topic, "", "no subject"); err != nil {
		t.Fatal(err)
	}
	if env := envelopeOf(t, h.queue.take()[0].msg.Body); env["Subject"] != nil {
		t.Fatalf("empty subject rendered: %v", env)
	}
	err := h.svc.PublishToTopic(context.Background(), topicARNOf("nope"), "", "m")
	var ae *awsproto.Error
	if !errors.As(err, &ae) || ae.Code != codeNotFound {
		t.Fatalf("PublishToTopic(missing) = %v", err)
	}
}

func TestPublishSurvivesCancelledContext(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	topic := h.createTopic(t, "jobs")
	h.subscribe(t, topic, "q")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.svc.PublishToTopic(ctx, topic, "", "m"); err != nil {
		t.Fatal(err)
	}
	if len(h.queue.take()) != 1 {
		t.Fatal("an accepted publish was not delivered after its caller went away")
	}
}
