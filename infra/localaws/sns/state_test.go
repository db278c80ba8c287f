package sns

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestStateRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := setup(t, dir)
	std := h.createTopic(t, "jobs", "Attributes.entry.1.key", "DisplayName", "Attributes.entry.1.value", "Jobs",
		"Tags.member.1.Key", "team", "Tags.member.1.Value", "quarry")
	fifo := h.createTopic(t, "jobs.fifo", "Attributes.entry.1.key", "FifoTopic", "Attributes.entry.1.value", "true")
	filtered := h.subscribe(t, std, "fetch", "Attributes.entry.1.key", "FilterPolicy", "Attributes.entry.1.value", `{"job_type":["fetch"]}`,
		"Attributes.entry.2.key", "RawMessageDelivery", "Attributes.entry.2.value", "true",
		"Attributes.entry.3.key", "RedrivePolicy", "Attributes.entry.3.value", `{"deadLetterTargetArn":"`+queueARNOf("dlq")+`"}`)
	gone := h.subscribe(t, std, "old")
	h.subscribe(t, std, "all")
	h.subscribe(t, fifo, "jobs.fifo")
	h.must(t, "Unsubscribe", "SubscriptionArn", gone)
	first := h.publish(t, fifo, "Message", "m", "MessageGroupId", "g", "MessageDeduplicationId", "d1")
	h.queue.take()

	if err := h.svc.SaveState(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, stateFile)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no state file: %v", err)
	}
	// Unchanged state is not written again.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SaveState(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("SaveState wrote unchanged state")
	}
	h.must(t, "SetTopicAttributes", "TopicArn", std, "AttributeName", "DisplayName", "AttributeValue", "Quarry jobs")
	if err := h.svc.SaveState(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("state dir holds %v, want only %s", entries, stateFile)
	}

	h2 := setup(t, dir) // its clock shows the same time as h's
	for _, action := range []string{"ListTopics", "ListSubscriptions"} {
		a, b := h.must(t, action), h2.must(t, action)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s differs after reload:\n%+v\n%+v", action, a, b)
		}
	}
	for _, arn := range []string{std, fifo} {
		a := h.must(t, "GetTopicAttributes", "TopicArn", arn)
		b := h2.must(t, "GetTopicAttributes", "TopicArn", arn)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("topic %s differs after reload:\n%+v\n%+v", arn, a, b)
		}
	}
	a := h.must(t, "GetSubscriptionAttributes", "SubscriptionArn", filtered)
	b := h2.must(t, "GetSubscriptionAttributes", "SubscriptionArn", filtered)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("subscription differs after reload:\n%+v\n%+v", a, b)
	}
	if tags := h2.must(t, "ListTagsForResource", "ResourceArn", std).(*listTagsResult).Tags.Members; len(tags) != 1 || tags[0].Value != "quarry" {
		t.Errorf("tags after reload: %v", tags)
	}

	// The reloaded filter policy still filters, raw delivery is still raw.
	h2.publish(t, std, "Message", "job", "MessageAttributes.entry.1.Name", "job_type",
		"MessageAttributes.entry.1.Value.DataType", "String", "MessageAttributes.entry.1.Value.StringValue", "fetch")
	h2.publish(t, std, "Message", "other", "MessageAttributes.entry.1.Name", "job_type",
		"MessageAttributes.entry.1.Value.DataType", "String", "MessageAttributes.entry.1.Value.StringValue", "extract")
	got := h2.queue.take()
	fetch := 0
	for _, d := range got {
		if d.queue == queueARNOf("fetch") {
			fetch++
			if d.msg.Body != "job" {
				t.Errorf("fetch queue got %q", d.msg.Body)
			}
		}
	}
	if len(got) != 3 || fetch != 1 {
		t.Errorf("deliveries after reload: %+v", got)
	}
	// FIFO numbering and the deduplication window survive.
	dup := h2.publish(t, fifo, "Message", "m", "MessageGroupId", "g", "MessageDeduplicationId", "d1")
	next := h2.publish(t, fifo, "Message", "m", "MessageGroupId", "g", "MessageDeduplicationId", "d2")
	if dup.MessageId != first.MessageId || next.SequenceNumber != "10000000000000000001" {
		t.Errorf("after reload: duplicate %+v, next %+v", dup, next)
	}
}

func TestStateLoadErrors(t *testing.T) {
	t.Parallel()
	for name, content := range map[string]string{
		"damaged":        `{"version":1,`,
		"version":        `{"version":99}`,
		"bad topic name": `{"version":1,"topics":[{"name":"has space","arn":"a"}]}`,
		"orphan subscription": `{"version":1,"topics":[],"subscriptions":[{"arn":"arn:aws:sns:us-east-1:000000000000:t:1","topic":"t",` +
			`"endpoint":"arn:aws:sqs:us-east-1:000000000000:q"}]}`,
		"bad endpoint": `{"version":1,"topics":[{"name":"t","arn":"arn:aws:sns:us-east-1:000000000000:t"}],` +
			`"subscriptions":[{"arn":"arn:aws:sns:us-east-1:000000000000:t:1","topic":"t","endpoint":"q"}]}`,
		"bad policy": `{"version":1,"topics":[{"name":"t","arn":"arn:aws:sns:us-east-1:000000000000:t"}],` +
			`"subscriptions":[{"arn":"arn:aws:sns:us-east-1:000000000000:t:1","topic":"t","endpoint":"arn:aws:sqs:us-east-1:000000000000:q","attributes":{"FilterPolicy":"{"}}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := New(Config{StateDir: dir})
			if err == nil || !strings.HasPrefix(err.Error(), "sns: ") {
				t.Fatalf("New = %v, want an sns error", err)
			}
		})
	}
	// A subscription missing from its topic's list is kept, last.
	dir := t.TempDir()
	content := `{"version":1,"topics":[{"name":"t","arn":"arn:aws:sns:us-east-1:000000000000:t"}],` +
		`"subscriptions":[{"arn":"arn:aws:sns:us-east-1:000000000000:t:1","topic":"t","endpoint":"arn:aws:sqs:us-east-1:000000000000:q"}]}`
	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	svc, err := New(Config{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if subs := svc.topics["t"].subs; len(subs) != 1 {
		t.Fatalf("topic subscriptions %v", subs)
	}
}

func TestSaveStateWithoutDirIsNoop(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	h.createTopic(t, "jobs")
	if err := h.svc.SaveState(); err != nil {
		t.Fatal(err)
	}
}

func TestSaveStateFailureKeepsDirty(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := setup(t, filepath.Join(dir, "state"))
	h.createTopic(t, "jobs")
	// A file where the state directory should be makes the write fail.
	if err := os.WriteFile(filepath.Join(dir, "state"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SaveState(); err == nil {
		t.Fatal("SaveState into a file succeeded")
	}
	if err := os.Remove(filepath.Join(dir, "state")); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SaveState(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "state", stateFile)); err != nil {
		t.Fatalf("state not written after the failure: %v", err)
	}
}
