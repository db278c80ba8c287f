package sqs_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/url"
	"testing"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
	sqssvc "github.com/quarry-dev/quarry/infra/localaws/sqs"
)

// fuzzService is a service with a standard queue (q, with a dead-letter
// queue dlq) and a FIFO queue (q.fifo), so that fuzzed requests reach the
// message paths, not only "queue does not exist".
func fuzzService(f *testing.F) *sqssvc.Service {
	svc, err := sqssvc.New(sqssvc.Config{DuplicateRate: 0.1})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = svc.Close() })
	for _, body := range []string{
		`{"QueueName":"dlq"}`,
		`{"QueueName":"q","Attributes":{"VisibilityTimeout":"0","RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":2}"}}`,
		`{"QueueName":"q.fifo","Attributes":{"FifoQueue":"true","ContentBasedDeduplication":"true"}}`,
	} {
		if _, e := svc.ServeJSON(fuzzCall("CreateQueue"), []byte(body)); e != nil {
			f.Fatal(e)
		}
	}
	return svc
}

// fuzzCall carries an already-cancelled context, so that long polls return
// after their first look instead of waiting.
func fuzzCall(action string) *awsproto.Call {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return &awsproto.Call{Ctx: ctx, Action: action, BaseURL: "http://localhost:4566", RequestID: "fuzz"}
}

// checkAnswer asserts the contract of ServeJSON and ServeQuery: either an
// *awsproto.Error with a client or server status and a code, or a result
// (possibly nil) that encodes.
func checkAnswer(t *testing.T, out any, e *awsproto.Error, encode func(any) error) {
	t.Helper()
	if e != nil {
		if out != nil {
			t.Fatalf("both a result %#v and an error %v", out, e)
		}
		if e.Status < 400 || e.Status > 599 || e.Code == "" || e.Message == "" {
			t.Fatalf("malformed error %#v", e)
		}
		return
	}
	if out != nil {
		if err := encode(out); err != nil {
			t.Fatalf("result %#v does not encode: %v", out, err)
		}
	}
}

func FuzzJSONRequest(f *testing.F) {
	svc := fuzzService(f)
	for _, seed := range [][2]string{
		{"CreateQueue", `{"QueueName":"x","Attributes":{"DelaySeconds":"1"},"tags":{"a":"b"}}`},
		{"GetQueueUrl", `{"QueueName":"q"}`},
		{"ListQueues", `{"QueueNamePrefix":"q","MaxResults":1}`},
		{"GetQueueAttributes", `{"QueueUrl":"q","AttributeNames":["All"]}`},
		{"SetQueueAttributes", `{"QueueUrl":"q","Attributes":{"MaximumMessageSize":"2048"}}`},
		{"SendMessage", `{"QueueUrl":"q","MessageBody":"b","MessageAttributes":{"a":{"DataType":"Binary","BinaryValue":"AAEC"}}}`},
		{"SendMessage", `{"QueueUrl":"q.fifo","MessageBody":"b","MessageGroupId":"g"}`},
		{"SendMessageBatch", `{"QueueUrl":"q","Entries":[{"Id":"1","MessageBody":"a"},{"Id":"2","MessageBody":"b","DelaySeconds":1}]}`},
		{"ReceiveMessage", `{"QueueUrl":"q","MaxNumberOfMessages":10,"AttributeNames":["All"],"MessageAttributeNames":["a.*"],"WaitTimeSeconds":1}`},
		{"ReceiveMessage", `{"QueueUrl":"q.fifo","MaxNumberOfMessages":10,"ReceiveRequestAttemptId":"r"}`},
		{"DeleteMessage", `{"QueueUrl":"q","ReceiptHandle":"AQEBeHx8"}`},
		{"DeleteMessageBatch", `{"QueueUrl":"q","Entries":[{"Id":"1","ReceiptHandle":"h"}]}`},
		{"ChangeMessageVisibility", `{"QueueUrl":"q","ReceiptHandle":"h","VisibilityTimeout":5}`},
		{"ChangeMessageVisibilityBatch", `{"QueueUrl":"q","Entries":[{"Id":"1","ReceiptHandle":"h","VisibilityTimeout":0}]}`},
		{"ListDeadLetterSourceQueues", `{"QueueUrl":"dlq"}`},
		{"StartMessageMoveTask", `{"SourceArn":"arn:aws:sqs:us-east-1:000000000000:dlq","MaxNumberOfMessagesPerSecond":5}`},
		{"ListMessageMoveTasks", `{"SourceArn":"arn:aws:sqs:us-east-1:000000000000:dlq","MaxResults":10}`},
		{"CancelMessageMoveTask", `{"TaskHandle":"x"}`},
		{"TagQueue", `{"QueueUrl":"q","Tags":{"k":"v"}}`},
		{"PurgeQueue", `{"QueueUrl":"x"}`},
		{"DeleteQueue", `{"QueueUrl":"x"}`},
		{"FooBar", `{}`},
		{"SendMessage", `{"QueueUrl":`},
	} {
		f.Add(seed[0], []byte(seed[1]))
	}
	f.Fuzz(func(t *testing.T, action string, body []byte) {
		out, e := svc.ServeJSON(fuzzCall(action), body)
		checkAnswer(t, out, e, func(v any) error { _, err := json.Marshal(v); return err })
	})
}

func FuzzQueryRequest(f *testing.F) {
	svc := fuzzService(f)
	for _, seed := range []string{
		"Action=CreateQueue&QueueName=x&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=5&Tag.1.Key=a&Tag.1.Value=b",
		"Action=SendMessage&QueueUrl=q&MessageBody=b&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v",
		"Action=SendMessage&QueueUrl=q.fifo&MessageBody=b&MessageGroupId=g&MessageDeduplicationId=d",
		"Action=SendMessageBatch&QueueUrl=q&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=b",
		"Action=ReceiveMessage&QueueUrl=q&MaxNumberOfMessages=10&AttributeName.1=All&MessageAttributeName.1=All",
		"Action=DeleteMessageBatch&QueueUrl=q&DeleteMessageBatchRequestEntry.1.Id=a&DeleteMessageBatchRequestEntry.1.ReceiptHandle=h",
		"Action=ChangeMessageVisibilityBatch&QueueUrl=q&ChangeMessageVisibilityBatchRequestEntry.1.Id=a&ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle=h&ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout=1",
		"Action=GetQueueAttributes&QueueUrl=q&AttributeName.1=All",
		"Action=ListQueues&MaxResults=1",
		"Action=UntagQueue&QueueUrl=q&TagKey.1=a",
		"Action=ListMessageMoveTasks&SourceArn=arn:aws:sqs:us-east-1:000000000000:dlq",
		"Action=FooBar",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		vals, err := url.ParseQuery(body)
		if err != nil {
			return // the root answers MalformedQueryString before SQS sees it
		}
		form := awsproto.Form{Values: vals}
		out, e := svc.ServeQuery(fuzzCall(form.Get("Action")), form)
		checkAnswer(t, out, e, func(v any) error { _, err := xml.Marshal(v); return err })
	})
}
