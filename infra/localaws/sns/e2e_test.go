package sns_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
)

// These tests drive the endpoint only through the real aws-sdk-go-v2 SNS
// and SQS clients over HTTP, as production drives AWS.

type e2e struct {
	ep  *localawstest.Endpoint
	sns *sns.Client
	sqs *sqs.Client
	ctx context.Context
}

func startE2E(t *testing.T, cfg localaws.Config) *e2e {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	ep := localawstest.Start(t, cfg)
	return &e2e{ep: ep, sns: ep.SNS(), sqs: ep.SQS(), ctx: ctx}
}

// queue creates a queue and returns its URL and ARN.
func (e *e2e) queue(t *testing.T, name string, attrs map[string]string) (string, string) {
	t.Helper()
	out, err := e.sqs.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	a, err := e.sqs.GetQueueAttributes(e.ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl), a.Attributes["QueueArn"]
}

func (e *e2e) topic(t *testing.T, name string, attrs map[string]string) string {
	t.Helper()
	out, err := e.sns.CreateTopic(e.ctx, &sns.CreateTopicInput{Name: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateTopic %s: %v", name, err)
	}
	return aws.ToString(out.TopicArn)
}

func (e *e2e) subscribe(t *testing.T, topicARN, queueARN string, attrs map[string]string) string {
	t.Helper()
	out, err := e.sns.Subscribe(e.ctx, &sns.SubscribeInput{
		TopicArn: aws.String(topicARN), Protocol: aws.String("sqs"), Endpoint: aws.String(queueARN),
		Attributes: attrs, ReturnSubscriptionArn: true,
	})
	if err != nil {
		t.Fatalf("Subscribe %s to %s: %v", queueARN, topicARN, err)
	}
	return aws.ToString(out.SubscriptionArn)
}

// drain receives and deletes everything in a queue. Delivery is complete
// when Publish returns, so no waiting is needed.
func (e *e2e) drain(t *testing.T, queueURL string) []sqstypes.Message {
	t.Helper()
	var all []sqstypes.Message
	for {
		out, err := e.sqs.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 0,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatalf("ReceiveMessage %s: %v", queueURL, err)
		}
		if len(out.Messages) == 0 {
			return all
		}
		for _, m := range out.Messages {
			if _, err := e.sqs.DeleteMessage(e.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("DeleteMessage: %v", err)
			}
		}
		all = append(all, out.Messages...)
	}
}

func str(v string) snstypes.MessageAttributeValue {
	return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

func num(v string) snstypes.MessageAttributeValue {
	return snstypes.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(v)}
}

// orderedKeys returns the top-level keys of a JSON object in order.
func orderedKeys(t *testing.T, doc string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", doc)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestE2EEnvelopeAndRawDelivery(t *testing.T) {
	t.Parallel()
	e := startE2E(t, localaws.Config{})
	topic := e.topic(t, "quarry-jobs", nil)
	envURL, envARN := e.queue(t, "enveloped", nil)
	rawURL, rawARN := e.queue(t, "raw", nil)
	envSub := e.subscribe(t, topic, envARN, nil)
	e.subscribe(t, topic, rawARN, map[string]string{"RawMessageDelivery": "true"})

	message := `{"jobId":"j-123","pdfUrl":"https://example.com/a.pdf?x=1&y=<2>"}`
	pub, err := e.sns.Publish(e.ctx, &sns.PublishInput{
		TopicArn: aws.String(topic), Message: aws.String(message), Subject: aws.String("new job"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"job_type": str("fetch.document"),
			"attempt":  num("1"),
			"blob":     {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
			"tags":     {DataType: aws.String("String.Array"), StringValue: aws.String(`["a","b"]`)},
		},
	})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}

	got := e.drain(t, envURL)
	if len(got) != 1 {
		t.Fatalf("enveloped queue got %d messages", len(got))
	}
	m := got[0]
	if len(m.MessageAttributes) != 0 {
		t.Errorf("without raw delivery the SQS message carries attributes: %v", m.MessageAttributes)
	}
	body := aws.ToString(m.Body)
	keys := orderedKeys(t, body)
	if strings.Join(keys, ",") != "Type,MessageId,TopicArn,Subject,Message,Timestamp,SignatureVersion,Signature,SigningCertURL,UnsubscribeURL,MessageAttributes" {
		t.Errorf("envelope keys %v", keys)
	}
	if !strings.HasPrefix(body, "{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : ") {
		t.Errorf("envelope is not pretty-printed as AWS does:\n%s", body)
	}
	var env struct {
		Type, MessageId, TopicArn, Subject, Message, Timestamp      string
		SignatureVersion, Signature, SigningCertURL, UnsubscribeURL string
		MessageAttributes                                           map[string]struct{ Type, Value string }
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		t.Fatal(err)
	}
	if env.Type != "Notification" || env.MessageId != aws.ToString(pub.MessageId) || env.TopicArn != topic ||
		env.Subject != "new job" || env.Message != message || env.SignatureVersion != "1" {
		t.Errorf("envelope %+v", env)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(env.Timestamp) {
		t.Errorf("Timestamp %q", env.Timestamp)
	}
	if sig, err := base64.StdEncoding.DecodeString(env.Signature); err != nil || len(sig) != 256 {
		t.Errorf("Signature %q is not a base64 RSA-2048 signature", env.Signature)
	}
	if !regexp.MustCompile(`^https://sns\.us-east-1\.amazonaws\.com/SimpleNotificationService-[0-9a-f]+\.pem$`).MatchString(env.SigningCertURL) {
		t.Errorf("SigningCertURL %q", env.SigningCertURL)
	}
	if env.UnsubscribeURL != "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="+envSub {
		t.Errorf("UnsubscribeURL %q", env.UnsubscribeURL)
	}
	wantAttrs := map[string]struct{ Type, Value string }{
		"job_type": {"String", "fetch.document"}, "attempt": {"Number", "1"},
		"blob": {"Binary", "AAEC"}, "tags": {"String.Array", `["a","b"]`},
	}
	if fmt.Sprint(env.MessageAttributes) != fmt.Sprint(wantAttrs) {
		t.Errorf("MessageAttributes %v, want %v", env.MessageAttributes, wantAttrs)
	}

	got = e.drain(t, rawURL)
	if len(got) != 1 {
		t.Fatalf("raw queue got %d messages", len(got))
	}
	m = got[0]
	if aws.ToString(m.Body) != message {
		t.Errorf("raw body %q", aws.ToString(m.Body))
	}
	// The SDK has checked MD5OfMessageAttributes; check the values too.
	a := m.MessageAttributes
	if aws.ToString(a["job_type"].StringValue) != "fetch.document" || aws.ToString(a["attempt"].DataType) != "Number" ||
		string(a["blob"].BinaryValue) != "\x00\x01\x02" || aws.ToString(a["tags"].DataType) != "String.Array" || len(a) != 4 {
		t.Errorf("raw attributes %v", a)
	}
}

// published is one message of the filter test: its attributes and body.
type published struct {
	id    string
	body  string
	attrs map[string]snstypes.MessageAttributeValue
}

func TestE2EFilterPolicies(t *testing.T) {
	t.Parallel()
	e := startE2E(t, localaws.Config{})
	topic := e.topic(t, "filtered", nil)
	messages := []published{
		{"m1", `{"id":"m1","kind":"invoice","pages":12,"doc":{"lang":"en"},"urgent":true,"owner":null}`, map[string]snstypes.MessageAttributeValue{
			"job_type": str("fetch.document"), "size": num("150"), "ip": str("10.0.0.7"),
			"tags": {DataType: aws.String("String.Array"), StringValue: aws.String(`["a","b"]`)},
		}},
		{"m2", `{"id":"m2","kind":"receipt","pages":1,"doc":{"lang":"de"},"items":[{"sku":"x","qty":2},{"sku":"y","qty":9}]}`, map[string]snstypes.MessageAttributeValue{
			"job_type": str("extract.tables"), "size": num("5000"),
		}},
		{"m3", `{"id":"m3","kind":"invoice","pages":99,"urgent":false}`, map[string]snstypes.MessageAttributeValue{
			"job_type": str("notify.email"), "ip": str("192.168.1.9"), "blob": {DataType: aws.String("Binary"), BinaryValue: []byte("x")},
		}},
		{"m4", `{"id":"m4","tags":["x","y"],"doc":{"lang":"EN"}}`, nil},
		{"m5", `m5 is not JSON`, map[string]snstypes.MessageAttributeValue{"job_type": str("Fetch.Document"), "size": num("-3")}},
	}
	cases := []struct {
		name, scope, policy string
		want                []string
	}{
		{"exact", "", `{"job_type":["fetch.document","notify.email"]}`, []string{"m1", "m3"}},
		{"prefix", "", `{"job_type":[{"prefix":"extract."}]}`, []string{"m2"}},
		{"suffix", "", `{"job_type":[{"suffix":".email"}]}`, []string{"m3"}},
		{"ignore-case", "", `{"job_type":[{"equals-ignore-case":"FETCH.document"}]}`, []string{"m1", "m5"}},
		{"anything-but", "", `{"job_type":[{"anything-but":["fetch.document","notify.email"]}]}`, []string{"m2", "m5"}},
		{"anything-but-prefix", "", `{"job_type":[{"anything-but":{"prefix":"fetch"}}]}`, []string{"m2", "m3", "m5"}},
		{"anything-but-number", "", `{"size":[{"anything-but":150}]}`, []string{"m2", "m5"}},
		{"numeric-range", "", `{"size":[{"numeric":[">",100,"<=",5000]}]}`, []string{"m1", "m2"}},
		{"numeric-equals", "", `{"size":[{"numeric":["=",-3]}]}`, []string{"m5"}},
		{"exists", "", `{"ip":[{"exists":true}]}`, []string{"m1", "m3"}},
		{"not-exists", "", `{"size":[{"exists":false}]}`, []string{"m3", "m4"}},
		{"cidr", "", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, []string{"m1"}},
		{"string-array", "", `{"tags":["b"]}`, []string{"m1"}},
		{"or", "", `{"$or":[{"job_type":["notify.email"]},{"size":[{"numeric":["<",0]}]}]}`, []string{"m3", "m5"}},
		{"and", "", `{"job_type":[{"prefix":"fetch"}],"size":[150]}`, []string{"m1"}},
		{"binary-ignored", "", `{"blob":[{"exists":true}]}`, nil},
		{"body-exact", "MessageBody", `{"kind":["invoice"]}`, []string{"m1", "m3"}},
		{"body-nested", "MessageBody", `{"doc":{"lang":["de"]}}`, []string{"m2"}},
		{"body-nested-ignore-case", "MessageBody", `{"doc":{"lang":[{"equals-ignore-case":"en"}]}}`, []string{"m1", "m4"}},
		{"body-numeric", "MessageBody", `{"pages":[{"numeric":[">=",12]}]}`, []string{"m1", "m3"}},
		{"body-true", "MessageBody", `{"urgent":[true]}`, []string{"m1"}},
		{"body-null", "MessageBody", `{"owner":[null]}`, []string{"m1"}},
		{"body-array", "MessageBody", `{"tags":["y"]}`, []string{"m4"}},
		{"body-array-of-objects", "MessageBody", `{"items":{"sku":["y"],"qty":[9]}}`, []string{"m2"}},
		{"body-not-exists", "MessageBody", `{"urgent":[{"exists":false}]}`, []string{"m2", "m4"}},
		{"body-or", "MessageBody", `{"$or":[{"kind":["receipt"]},{"pages":[99]}]}`, []string{"m2", "m3"}},
	}
	queues := make([]string, len(cases))
	for i, c := range cases {
		url, arn := e.queue(t, "filter-"+c.name, nil)
		queues[i] = url
		attrs := map[string]string{"FilterPolicy": c.policy, "RawMessageDelivery": "true"}
		if c.scope != "" {
			attrs["FilterPolicyScope"] = c.scope
		}
		e.subscribe(t, topic, arn, attrs)
	}
	for _, m := range messages {
		if _, err := e.sns.Publish(e.ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(m.body), MessageAttributes: m.attrs}); err != nil {
			t.Fatalf("Publish %s: %v", m.id, err)
		}
	}
	for i, c := range cases {
		var got []string
		for _, m := range e.drain(t, queues[i]) {
			for _, p := range messages {
				if aws.ToString(m.Body) == p.body {
					got = append(got, p.id)
				}
			}
		}
		slices.Sort(got)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s %s: received %v, want %v", c.name, c.policy, got, c.want)
		}
	}
}

func TestE2ESetFilterPolicy(t *testing.T) {
	t.Parallel()
	e := startE2E(t, localaws.Config{})
	topic := e.topic(t, "jobs", nil)
	url, arn := e.queue(t, "q", nil)
	sub := e.subscribe(t, topic, arn, map[string]string{"RawMessageDelivery": "true"})
	publish := func(jobType string) {
		t.Helper()
		if _, err := e.sns.Publish(e.ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(jobType),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"job_type": str(jobType)}}); err != nil {
			t.Fatal(err)
		}
	}
	set := func(name, value string) error {
		_, err := e.sns.SetSubscriptionAttributes(e.ctx, &sns.SetSubscriptionAttributesInput{
			SubscriptionArn: aws.String(sub), AttributeName: aws.String(name), AttributeValue: aws.String(value)})
		return err
	}
	if err := set("FilterPolicy", `{"job_type":["b"]}`); err != nil {
		t.Fatal(err)
	}
	publish("a")
	publish("b")
	if got := e.drain(t, url); len(got) != 1 || aws.ToString(got[0].Body) != "b" {
		t.Fatalf("with policy: %v", got)
	}
	err := set("FilterPolicy", `{"job_type":[{"numeric":[">",0,">",5]}]}`)
	var ip *snstypes.InvalidParameterException
	if !errors.As(err, &ip) || ip.ErrorMessage() != "Invalid parameter: FilterPolicy: Bad numeric range operator: >" {
		t.Fatalf("bad policy: %v", err)
	}
	attrs, err := e.sns.GetSubscriptionAttributes(e.ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(sub)})
	if err != nil || attrs.Attributes["FilterPolicy"] != `{"job_type":["b"]}` || attrs.Attributes["RawMessageDelivery"] != "true" {
		t.Fatalf("GetSubscriptionAttributes = %v, %v", attrs, err)
	}
	if err := set("FilterPolicy", ""); err != nil {
		t.Fatal(err)
	}
	publish("a")
	if got := e.drain(t, url); len(got) != 1 {
		t.Fatalf("after removing the policy: %v", got)
	}
}

func TestE2EFIFO(t *testing.T) {
	t.Parallel()
	e := startE2E(t, localaws.Config{})
	topic := e.topic(t, "jobs.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"})
	fifoURL, fifoARN := e.queue(t, "jobs.fifo", map[string]string{"FifoQueue": "true"})
	stdURL, stdARN := e.queue(t, "audit", nil)
	e.subscribe(t, topic, fifoARN, nil)
	e.subscribe(t, topic, stdARN, map[string]string{"RawMessageDelivery": "true"})

	var seqs []string
	for _, p := range []struct{ group, msg string }{{"g1", "a1"}, {"g2", "b1"}, {"g1", "a2"}, {"g1", "a1"}} {
		out, err := e.sns.Publish(e.ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(p.msg), MessageGroupId: aws.String(p.group)})
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		seqs = append(seqs, aws.ToString(out.SequenceNumber))
	}
	if len(seqs[0]) != 20 || !(seqs[0] < seqs[1] && seqs[1] < seqs[2]) || seqs[3] != seqs[0] {
		t.Fatalf("sequence numbers %v (the last is a duplicate of the first)", seqs)
	}
	_, err := e.sns.Publish(e.ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("x")})
	var ip *snstypes.InvalidParameterException
	if !errors.As(err, &ip) || ip.ErrorMessage() != "Invalid parameter: The MessageGroupId parameter is required for FIFO topics" {
		t.Fatalf("Publish without group: %v", err)
	}

	got := e.drain(t, fifoURL)
	var order []string
	for _, m := range got {
		body := aws.ToString(m.Body)
		if k := orderedKeys(t, body); strings.Join(k, ",") != "Type,MessageId,SequenceNumber,TopicArn,Message,Timestamp,UnsubscribeURL" {
			t.Errorf("FIFO envelope keys %v", k)
		}
		var env struct{ Message, SequenceNumber string }
		_ = json.Unmarshal([]byte(body), &env)
		if m.Attributes["MessageGroupId"] == "" || m.Attributes["MessageDeduplicationId"] == "" {
			t.Errorf("FIFO queue message without group or dedup id: %v", m.Attributes)
		}
		order = append(order, m.Attributes["MessageGroupId"]+":"+env.Message)
	}
	if fmt.Sprint(order) != "[g1:a1 g1:a2 g2:b1]" && fmt.Sprint(order) != "[g1:a1 g2:b1 g1:a2]" && fmt.Sprint(order) != "[g2:b1 g1:a1 g1:a2]" {
		t.Errorf("FIFO queue received %v, want a1 before a2 in g1, b1 in g2, no duplicate", order)
	}
	got = e.drain(t, stdURL)
	if len(got) != 3 {
		t.Fatalf("standard queue got %d messages", len(got))
	}
	for _, m := range got {
		if _, ok := m.Attributes["MessageGroupId"]; ok {
			t.Errorf("standard queue got a FIFO topic's group id: %v", m.Attributes)
		}
	}
}

func TestE2ESubscriptionDeadLetterQueue(t *testing.T) {
	t.Parallel()
	e := startE2E(t, localaws.Config{})
	topic := e.topic(t, "jobs", nil)
	goneURL, goneARN := e.queue(t, "gone", nil)
	dlqURL, dlqARN := e.queue(t, "gone-dlq", nil)
	liveURL, liveARN := e.queue(t, "live", nil)
	e.subscribe(t, topic, goneARN, map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `"}`})
	e.subscribe(t, topic, liveARN, nil)
	if _, err := e.sqs.DeleteQueue(e.ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(goneURL)}); err != nil {
		t.Fatal(err)
	}
	out, err := e.sns.Publish(e.ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("survives")})
	if err != nil {
		t.Fatalf("Publish with a deleted queue: %v", err)
	}
	for _, url := range []string{dlqURL, liveURL} {
		got := e.drain(t, url)
		if len(got) != 1 || !strings.Contains(aws.ToString(got[0].Body), aws.ToString(out.MessageId)) {
			t.Errorf("%s got %v", url, got)
		}
	}
}

func TestE2EErrors(t *testing.T) {
	t.Parallel()
	e := startE2E(t, localaws.Config{})
	topic := e.topic(t, "jobs", nil)
	_, queueARN := e.queue(t, "q", nil)

	_, err := e.sns.GetTopicAttributes(e.ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(strings.Replace(topic, "jobs", "missing", 1))})
	var nf *snstypes.NotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() != "Topic does not exist" {
		t.Errorf("missing topic: %v", err)
	}
	_, err = e.sns.Subscribe(e.ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("sqs"), Endpoint: aws.String(queueARN),
		Attributes: map[string]string{"FilterPolicy": `{"a":[{"wrong-operator":"x"}]}`}})
	var ip *snstypes.InvalidParameterException
	if !errors.As(err, &ip) || ip.ErrorMessage() != "Invalid parameter: Attributes Reason: FilterPolicy: Unrecognized match type wrong-operator" {
		t.Errorf("bad filter policy: %v", err)
	}
	_, err = e.sns.Subscribe(e.ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("email"), Endpoint: aws.String("a@example.com")})
	if !errors.As(err, &ip) {
		t.Errorf("email subscription: %v", err)
	}
	_, err = e.sns.Publish(e.ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("m"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{"attr1": {DataType: aws.String("String"), StringValue: aws.String("")}}})
	var pv *snstypes.InvalidParameterValueException
	if !errors.As(err, &pv) || pv.ErrorMessage() != "The message attribute 'attr1' must contain non-empty message attribute value for message attribute type 'String'." {
		t.Errorf("empty attribute: %v", err)
	}
	_, err = e.sns.Publish(e.ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(strings.Repeat("x", 262145))})
	if !errors.As(err, &ip) || ip.ErrorMessage() != "Invalid parameter: Message too long" {
		t.Errorf("long message: %v", err)
	}

	entries := func(ids ...string) []snstypes.PublishBatchRequestEntry {
		var out []snstypes.PublishBatchRequestEntry
		for _, id := range ids {
			out = append(out, snstypes.PublishBatchRequestEntry{Id: aws.String(id), Message: aws.String("m " + id)})
		}
		return out
	}
	_, err = e.sns.PublishBatch(e.ctx, &sns.PublishBatchInput{TopicArn: aws.String(topic), PublishBatchRequestEntries: entries("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11")})
	var tooMany *snstypes.TooManyEntriesInBatchRequestException
	if !errors.As(err, &tooMany) {
		t.Errorf("11 entries: %v", err)
	}
	_, err = e.sns.PublishBatch(e.ctx, &sns.PublishBatchInput{TopicArn: aws.String(topic), PublishBatchRequestEntries: entries("a", "a")})
	var dup *snstypes.BatchEntryIdsNotDistinctException
	if !errors.As(err, &dup) {
		t.Errorf("repeated ids: %v", err)
	}
	_, err = e.sns.PublishBatch(e.ctx, &sns.PublishBatchInput{TopicArn: aws.String(topic), PublishBatchRequestEntries: entries("bad.id")})
	var badID *snstypes.InvalidBatchEntryIdException
	if !errors.As(err, &badID) {
		t.Errorf("bad id: %v", err)
	}
	batch := entries("ok", "empty")
	batch[1].Message = aws.String("")
	out, err := e.sns.PublishBatch(e.ctx, &sns.PublishBatchInput{TopicArn: aws.String(topic), PublishBatchRequestEntries: batch})
	if err != nil || len(out.Successful) != 1 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "empty" ||
		aws.ToString(out.Failed[0].Code) != "InvalidParameter" || !out.Failed[0].SenderFault {
		t.Errorf("partial batch: %+v, %v", out, err)
	}
}

func TestE2EIdempotentSetupAndPaging(t *testing.T) {
	t.Parallel()
	e := startE2E(t, localaws.Config{})
	topic := e.topic(t, "jobs", nil)
	if again := e.topic(t, "jobs", nil); again != topic {
		t.Fatalf("CreateTopic again = %s, want %s", again, topic)
	}
	for i := range 230 {
		e.topic(t, fmt.Sprintf("t-%03d", i), nil)
	}
	var topics []string
	pages := sns.NewListTopicsPaginator(e.sns, &sns.ListTopicsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tp := range page.Topics {
			topics = append(topics, aws.ToString(tp.TopicArn))
		}
	}
	if len(topics) != 231 || !slices.Contains(topics, topic) {
		t.Fatalf("ListTopics paginated %d topics", len(topics))
	}

	_, arn := e.queue(t, "q", nil)
	sub := e.subscribe(t, topic, arn, map[string]string{"RawMessageDelivery": "true"})
	if again := e.subscribe(t, topic, arn, map[string]string{"RawMessageDelivery": "true"}); again != sub {
		t.Fatalf("Subscribe again = %s, want %s", again, sub)
	}
	subs, err := e.sns.ListSubscriptionsByTopic(e.ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	if err != nil || len(subs.Subscriptions) != 1 || aws.ToString(subs.Subscriptions[0].Endpoint) != arn || aws.ToString(subs.Subscriptions[0].Protocol) != "sqs" {
		t.Fatalf("ListSubscriptionsByTopic = %+v, %v", subs, err)
	}
	attrs, err := e.sns.GetTopicAttributes(e.ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(topic)})
	if err != nil || attrs.Attributes["SubscriptionsConfirmed"] != "1" || attrs.Attributes["TopicArn"] != topic {
		t.Fatalf("GetTopicAttributes = %v, %v", attrs, err)
	}
	if _, err := e.sns.TagResource(e.ctx, &sns.TagResourceInput{ResourceArn: aws.String(topic), Tags: []snstypes.Tag{{Key: aws.String("team"), Value: aws.String("quarry")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := e.sns.ListTagsForResource(e.ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(topic)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "quarry" {
		t.Fatalf("ListTagsForResource = %+v, %v", tags, err)
	}
	if _, err := e.sns.Unsubscribe(e.ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(sub)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sns.DeleteTopic(e.ctx, &sns.DeleteTopicInput{TopicArn: aws.String(topic)}); err != nil {
		t.Fatal(err)
	}
}

func TestE2EStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := startE2E(t, localaws.Config{StateDir: dir})
	topic := e.topic(t, "jobs", nil)
	_, arn := e.queue(t, "q", nil)
	sub := e.subscribe(t, topic, arn, map[string]string{"FilterPolicy": `{"job_type":["fetch"]}`, "RawMessageDelivery": "true"})
	if err := e.ep.Server.Close(); err != nil {
		t.Fatal(err)
	}

	e = startE2E(t, localaws.Config{StateDir: dir})
	attrs, err := e.sns.GetSubscriptionAttributes(e.ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(sub)})
	if err != nil || attrs.Attributes["FilterPolicy"] != `{"job_type":["fetch"]}` {
		t.Fatalf("subscription after restart: %v, %v", attrs, err)
	}
	for _, jobType := range []string{"extract", "fetch"} {
		if _, err := e.sns.Publish(e.ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(jobType),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"job_type": str(jobType)}}); err != nil {
			t.Fatal(err)
		}
	}
	url, err := e.sqs.GetQueueUrl(e.ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("q")})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.drain(t, aws.ToString(url.QueueUrl)); len(got) != 1 || aws.ToString(got[0].Body) != "fetch" {
		t.Fatalf("after restart the queue got %v", got)
	}
}
