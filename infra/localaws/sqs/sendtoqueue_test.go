package sqs_test

import (
	"context"
	"errors"
	"testing"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
	sqssvc "github.com/quarry-dev/quarry/infra/localaws/sqs"
)

// TestSendToQueue drives the entry point SNS fan-out uses.
func TestSendToQueue(t *testing.T) {
	t.Parallel()
	svc, err := sqssvc.New(sqssvc.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	for _, body := range []string{`{"QueueName":"fanout"}`, `{"QueueName":"fanout.fifo","Attributes":{"FifoQueue":"true"}}`} {
		if _, e := svc.ServeJSON(jsonCall("CreateQueue"), []byte(body)); e != nil {
			t.Fatal(e)
		}
	}
	ctx := context.Background()
	v := "pdf-extract"
	msg := awsproto.QueueMessage{Body: "msg", Attributes: map[string]awsproto.MessageAttribute{"jobType": {DataType: "String", StringValue: &v}}}
	if err := svc.SendToQueue(ctx, "arn:aws:sqs:us-east-1:000000000000:fanout", msg); err != nil {
		t.Fatalf("SendToQueue: %v", err)
	}
	out, e := svc.ServeJSON(jsonCall("ReceiveMessage"), []byte(`{"QueueUrl":"fanout","MessageAttributeNames":["All"]}`))
	if e != nil {
		t.Fatal(e)
	}
	msgs := out.(*sqssvc.ReceiveMessageOutput).Messages
	if len(msgs) != 1 || msgs[0].Body != "msg" || msgs[0].MD5OfBody != "6e2baaf3b97dbeef01c0043275f9a0e7" || msgs[0].MD5OfMessageAttributes != "5415ebf34d04831dd7019c8319fe2622" {
		t.Fatalf("received %+v", msgs)
	}

	fifo := "arn:aws:sqs:us-east-1:000000000000:fanout.fifo"
	dedup := awsproto.QueueMessage{Body: "job", MessageGroupID: "G", MessageDeduplicationID: "sns-msg-1"}
	for range 2 {
		if err := svc.SendToQueue(ctx, fifo, dedup); err != nil {
			t.Fatalf("SendToQueue(FIFO): %v", err)
		}
	}
	out, _ = svc.ServeJSON(jsonCall("ReceiveMessage"), []byte(`{"QueueUrl":"fanout.fifo","MaxNumberOfMessages":10,"AttributeNames":["MessageGroupId"]}`))
	if msgs := out.(*sqssvc.ReceiveMessageOutput).Messages; len(msgs) != 1 || msgs[0].Attributes["MessageGroupId"] != "G" {
		t.Fatalf("FIFO fan-out received %+v, want one message in group G", msgs)
	}

	var ae *awsproto.Error
	err = svc.SendToQueue(ctx, "arn:aws:sqs:us-east-1:000000000000:missing", msg)
	if !errors.As(err, &ae) || ae.Code != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Fatalf("missing queue: %v", err)
	}
	err = svc.SendToQueue(ctx, fifo, awsproto.QueueMessage{Body: "no group", MessageDeduplicationID: "d"})
	if !errors.As(err, &ae) || ae.Code != "MissingParameter" {
		t.Fatalf("FIFO without group: %v", err)
	}
	err = svc.SendToQueue(ctx, "arn:aws:sqs:us-east-1:000000000000:fanout", awsproto.QueueMessage{Body: "\x00"})
	if !errors.As(err, &ae) || ae.Code != "InvalidMessageContents" {
		t.Fatalf("bad body: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := svc.SendToQueue(cancelled, "arn:aws:sqs:us-east-1:000000000000:fanout", msg); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}
