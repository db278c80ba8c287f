package sqs_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra/localaws"
)

func strAttr(dt, v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String(dt), StringValue: aws.String(v)}
}

// TestSendReceiveDelete sends String, Number and Binary attributes and
// checks the digests SQS would compute (reference §1.8 vectors); the SDK
// checks the body digests itself on every send and receive.
func TestSendReceiveDelete(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	url := e.createQueue("jobs", nil)

	sent, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(url),
		MessageBody: aws.String("msg"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"jobType": strAttr("String", "pdf-extract"),
			"attempt": strAttr("Number", "1"),
		},
	})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	if *sent.MD5OfMessageBody != "6e2baaf3b97dbeef01c0043275f9a0e7" || *sent.MD5OfMessageAttributes != "b8a068eded0e60c3e5c86fd4d43a8bc0" {
		t.Fatalf("digests = %s, %s", *sent.MD5OfMessageBody, *sent.MD5OfMessageAttributes)
	}
	if sent.MD5OfMessageSystemAttributes != nil || sent.SequenceNumber != nil {
		t.Fatalf("unexpected members: %+v", sent)
	}

	binary, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(url), MessageBody: aws.String("bin"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"binaryAttribute": {DataType: aws.String("Binary"), BinaryValue: []byte("Hello binary world!")},
		},
	})
	if err != nil || *binary.MD5OfMessageAttributes != "31a92b15d92f8db860eda32aceb656c3" {
		t.Fatalf("binary attribute: %v, %v", binary, err)
	}
	custom, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(url), MessageBody: aws.String("custom"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"customNumberTypeAttrib": strAttr("Number.float", "4563442423554324324264524243.32543234"),
		},
	})
	if err != nil || *custom.MD5OfMessageAttributes != "9fe1b90bbd9965bdf77bac517c7d2495" {
		t.Fatalf("custom Number type: %v, %v", custom, err)
	}

	msgs := e.receive(url, 10)
	if len(msgs) != 3 {
		t.Fatalf("received %d messages, want 3", len(msgs))
	}
	byBody := map[string]types.Message{}
	for _, m := range msgs {
		byBody[*m.Body] = m
	}
	m := byBody["msg"]
	if *m.MessageId != *sent.MessageId || *m.MD5OfMessageAttributes != "b8a068eded0e60c3e5c86fd4d43a8bc0" {
		t.Fatalf("received %+v", m)
	}
	if a := m.MessageAttributes["attempt"]; *a.DataType != "Number" || *a.StringValue != "1" {
		t.Fatalf("attempt attribute = %+v", a)
	}
	if b := byBody["bin"].MessageAttributes["binaryAttribute"]; string(b.BinaryValue) != "Hello binary world!" || *b.DataType != "Binary" {
		t.Fatalf("binary attribute = %+v", b)
	}
	for _, m := range msgs {
		e.deleteMessage(url, *m.ReceiptHandle)
	}
	// Deleting again is fine.
	e.deleteMessage(url, *m.ReceiptHandle)
	if left := e.receive(url, 10); len(left) != 0 {
		t.Fatalf("after delete received %v", bodies(left))
	}
}

func TestMessageAttributeSelection(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	url := e.createQueue("select", nil)
	_, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(url), MessageBody: aws.String("b"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"General": strAttr("String", "Kenobi"), "Hello": strAttr("String", "There"), "Help.Me": strAttr("String", "Me"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		names []string
		want  []string
		md5   string
	}{
		{nil, nil, ""},
		{[]string{"Nothing"}, nil, ""},
		{[]string{".*"}, []string{"General", "Hello", "Help.Me"}, "4c360f3fdafd970e05fae2f149d997f5"},
		{[]string{"General", "Hello"}, []string{"General", "Hello"}, "fca026605781cb4126a1e9044df24232"},
		{[]string{"General", "Help.*"}, []string{"General", "Help.Me"}, ""},
	} {
		out, err := e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MessageAttributeNames: tc.names, VisibilityTimeout: 0})
		if err != nil || len(out.Messages) != 1 {
			t.Fatalf("ReceiveMessage(%v) = %v, %v", tc.names, out, err)
		}
		m := out.Messages[0]
		var got []string
		for k := range m.MessageAttributes {
			got = append(got, k)
		}
		if len(got) != len(tc.want) {
			t.Errorf("names %v: attributes %v, want %v", tc.names, got, tc.want)
		}
		if tc.want == nil && m.MD5OfMessageAttributes != nil {
			t.Errorf("names %v: MD5OfMessageAttributes present without attributes", tc.names)
		}
		if tc.md5 != "" && aws.ToString(m.MD5OfMessageAttributes) != tc.md5 {
			t.Errorf("names %v: MD5 %s, want %s (digest of the returned subset)", tc.names, aws.ToString(m.MD5OfMessageAttributes), tc.md5)
		}
		if _, err := e.c.ChangeMessageVisibility(e.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSystemAttributes(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := start(t, localaws.Config{Now: clock.Now})
	url := e.createQueue("sys", nil)
	sent, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(url), MessageBody: aws.String("b"),
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if sent.MD5OfMessageSystemAttributes == nil || len(*sent.MD5OfMessageSystemAttributes) != 32 {
		t.Fatalf("MD5OfMessageSystemAttributes = %v", sent.MD5OfMessageSystemAttributes)
	}
	sentAt := clock.Now()
	clock.Advance(1500 * time.Millisecond)

	// Legacy AttributeNames only.
	//nolint:staticcheck // the deprecated parameter is what this test covers
	out, err := e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"All"}, VisibilityTimeout: 1})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive: %v, %v", out, err)
	}
	a := out.Messages[0].Attributes
	want := map[string]string{
		"SenderId":                         "000000000000",
		"SentTimestamp":                    strconv.FormatInt(sentAt.UnixMilli(), 10),
		"ApproximateReceiveCount":          "1",
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(clock.Now().UnixMilli(), 10),
		"AWSTraceHeader":                   "Root=1-5759e988-bd862e3fe1be46a994272793",
	}
	if len(a) != len(want) {
		t.Errorf("attributes = %v, want %v", a, want)
	}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
	firstReceive := a["ApproximateFirstReceiveTimestamp"]

	clock.Advance(2 * time.Second)
	out, err = e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(url),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"},
	})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("second receive: %v, %v", out, err)
	}
	a = out.Messages[0].Attributes
	if len(a) != 2 || a["ApproximateReceiveCount"] != "2" || a["ApproximateFirstReceiveTimestamp"] != firstReceive {
		t.Fatalf("second receive attributes = %v", a)
	}
	clock.Advance(31 * time.Second)
	out, err = e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	if err != nil || len(out.Messages) != 1 || out.Messages[0].Attributes != nil {
		t.Fatalf("receive without attribute names: %+v, %v", out, err)
	}
}

func TestMessageValidation(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	url := e.createQueue("small", map[string]string{"MaximumMessageSize": "1024"})
	send := func(in *sqs.SendMessageInput) error {
		in.QueueUrl = aws.String(url)
		if in.MessageBody == nil {
			in.MessageBody = aws.String("body")
		}
		_, err := e.c.SendMessage(e.ctx, in)
		return err
	}
	tooMany := map[string]types.MessageAttributeValue{}
	for i := range 11 {
		tooMany["a"+strconv.Itoa(i)] = strAttr("String", "v")
	}
	for _, tc := range []struct {
		name string
		in   *sqs.SendMessageInput
		code string
	}{
		{"empty body", &sqs.SendMessageInput{MessageBody: aws.String("")}, "MissingParameter"},
		{"control character", &sqs.SendMessageInput{MessageBody: aws.String("a\x01b")}, "InvalidMessageContents"},
		{"too large", &sqs.SendMessageInput{MessageBody: aws.String(strings.Repeat("x", 1025))}, "InvalidParameterValue"},
		{"attributes count toward size", &sqs.SendMessageInput{MessageBody: aws.String(strings.Repeat("x", 1000)),
			MessageAttributes: map[string]types.MessageAttributeValue{"name": strAttr("String", strings.Repeat("v", 20))}}, "InvalidParameterValue"},
		{"eleven attributes", &sqs.SendMessageInput{MessageAttributes: tooMany}, "InvalidParameterValue"},
		{"empty attribute value", &sqs.SendMessageInput{MessageAttributes: map[string]types.MessageAttributeValue{"x": strAttr("String", "")}}, "InvalidParameterValue"},
		{"bad number", &sqs.SendMessageInput{MessageAttributes: map[string]types.MessageAttributeValue{"x": strAttr("Number", "one")}}, "InvalidParameterValue"},
		{"bad type", &sqs.SendMessageInput{MessageAttributes: map[string]types.MessageAttributeValue{"x": strAttr("Text", "v")}}, "InvalidParameterValue"},
		{"reserved name", &sqs.SendMessageInput{MessageAttributes: map[string]types.MessageAttributeValue{"AWS.x": strAttr("String", "v")}}, "InvalidParameterValue"},
		{"name with ..", &sqs.SendMessageInput{MessageAttributes: map[string]types.MessageAttributeValue{"a..b": strAttr("String", "v")}}, "InvalidParameterValue"},
		{"delay too long", &sqs.SendMessageInput{DelaySeconds: 901}, "InvalidParameterValue"},
		{"dedup id on standard queue", &sqs.SendMessageInput{MessageDeduplicationId: aws.String("d")}, "InvalidParameterValue"},
		{"bad system attribute", &sqs.SendMessageInput{MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{"Other": {DataType: aws.String("String"), StringValue: aws.String("v")}}}, "InvalidParameterValue"},
	} {
		err := send(tc.in)
		if err == nil {
			t.Errorf("%s: send succeeded", tc.name)
			continue
		}
		if code, status := apiError(t, err); code != tc.code || status != 400 {
			t.Errorf("%s: %v (status %d), want %s", tc.name, err, status, tc.code)
		}
	}
	// Exactly at the limit is fine.
	if err := send(&sqs.SendMessageInput{MessageBody: aws.String(strings.Repeat("x", 1024))}); err != nil {
		t.Fatalf("1024-byte body: %v", err)
	}
	_, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url + "-missing"), MessageBody: aws.String("x")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
}

func TestDelaySeconds(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := start(t, localaws.Config{Now: clock.Now})
	url := e.createQueue("delayed", map[string]string{"DelaySeconds": "10"})
	e.send(url, "queue delay")
	if _, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("message delay"), DelaySeconds: 60}); err != nil {
		t.Fatal(err)
	}
	if msgs := e.receive(url, 10); len(msgs) != 0 {
		t.Fatalf("received delayed messages %v", bodies(msgs))
	}
	clock.Advance(10 * time.Second)
	msgs := e.receive(url, 10)
	if got := bodies(msgs); len(got) != 1 || got[0] != "queue delay" {
		t.Fatalf("after 10 s received %v", got)
	}
	e.deleteMessage(url, *msgs[0].ReceiptHandle)
	clock.Advance(50 * time.Second)
	if got := bodies(e.receive(url, 10)); len(got) != 1 || got[0] != "message delay" {
		t.Fatalf("after 60 s received %v", got)
	}
}

func TestRetention(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	e := start(t, localaws.Config{Now: clock.Now})
	url := e.createQueue("short-lived", map[string]string{"MessageRetentionPeriod": "60"})
	e.send(url, "visible")
	e.send(url, "in flight")
	if got := e.receive(url, 1); len(got) != 1 {
		t.Fatalf("received %v", bodies(got))
	}
	clock.Advance(61 * time.Second)
	if got := e.receive(url, 10); len(got) != 0 {
		t.Fatalf("after retention received %v", bodies(got))
	}
	got := e.attrs(url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
	if got["ApproximateNumberOfMessages"] != "0" || got["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Fatalf("counts after retention = %v", got)
	}
}
