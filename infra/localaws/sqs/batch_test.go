package sqs_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra/localaws"
)

func entry(id, body string) types.SendMessageBatchRequestEntry {
	return types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(body)}
}

func TestSendMessageBatchPartialFailure(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	url := e.createQueue("batch", map[string]string{"MaximumMessageSize": "1024"})
	withAttr := entry("attrs", "b")
	withAttr.MessageAttributes = map[string]types.MessageAttributeValue{"jobType": strAttr("String", "pdf-extract")}
	out, err := e.c.SendMessageBatch(e.ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
		entry("ok", "fine"),
		entry("big", strings.Repeat("x", 1025)),
		withAttr,
		entry("empty", ""),
		{Id: aws.String("badattr"), MessageBody: aws.String("b"), MessageAttributes: map[string]types.MessageAttributeValue{"x": strAttr("String", "")}},
	}})
	if err != nil {
		t.Fatalf("SendMessageBatch: %v", err)
	}
	if len(out.Successful) != 2 || len(out.Failed) != 3 {
		t.Fatalf("Successful %d, Failed %d; want 2 and 3", len(out.Successful), len(out.Failed))
	}
	if s := out.Successful[1]; *s.Id != "attrs" || *s.MD5OfMessageAttributes != "5415ebf34d04831dd7019c8319fe2622" || s.MessageId == nil {
		t.Fatalf("successful entry = %+v", s)
	}
	want := map[string]string{"big": "InvalidParameterValue", "empty": "MissingParameter", "badattr": "InvalidParameterValue"}
	for _, f := range out.Failed {
		if want[*f.Id] != *f.Code || !f.SenderFault || f.Message == nil {
			t.Errorf("failed entry %+v, want code %s", f, want[*f.Id])
		}
	}
	if msgs := e.receive(url, 10); len(msgs) != 2 {
		t.Fatalf("received %d, want the 2 successful entries", len(msgs))
	}
}

func TestBatchRequestErrors(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	url := e.createQueue("batch-errors", nil)
	send := func(entries ...types.SendMessageBatchRequestEntry) error {
		if entries == nil {
			entries = []types.SendMessageBatchRequestEntry{} // the SDK refuses nil
		}
		_, err := e.c.SendMessageBatch(e.ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		return err
	}
	var eleven []types.SendMessageBatchRequestEntry
	for i := range 11 {
		eleven = append(eleven, entry("e"+strconv.Itoa(i), "b"))
	}
	big := strings.Repeat("x", 600_000)

	var empty *types.EmptyBatchRequest
	if err := send(); !errors.As(err, &empty) {
		t.Errorf("empty batch: %v", err)
	}
	var tooMany *types.TooManyEntriesInBatchRequest
	if err := send(eleven...); !errors.As(err, &tooMany) {
		t.Errorf("11 entries: %v", err)
	} else if code, _ := apiError(t, err); code != "AWS.SimpleQueueService.TooManyEntriesInBatchRequest" {
		t.Errorf("11 entries: code %s", code)
	}
	var notDistinct *types.BatchEntryIdsNotDistinct
	if err := send(entry("a", "b"), entry("a", "c")); !errors.As(err, &notDistinct) {
		t.Errorf("repeated ids: %v", err)
	}
	var badID *types.InvalidBatchEntryId
	if err := send(entry("a b", "b")); !errors.As(err, &badID) {
		t.Errorf("bad id: %v", err)
	}
	if err := send(entry(strings.Repeat("i", 81), "b")); !errors.As(err, &badID) {
		t.Errorf("81-character id: %v", err)
	}
	var tooLong *types.BatchRequestTooLong
	if err := send(entry("a", big), entry("b", big)); !errors.As(err, &tooLong) {
		t.Errorf("1.2 MB batch: %v", err)
	}

	_, err := e.c.DeleteMessageBatch(e.ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{}})
	if !errors.As(err, &empty) {
		t.Errorf("empty delete batch: %v", err)
	}
	_, err = e.c.ChangeMessageVisibilityBatch(e.ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("x"), ReceiptHandle: aws.String("h")}, {Id: aws.String("x"), ReceiptHandle: aws.String("h")},
	}})
	if !errors.As(err, &notDistinct) {
		t.Errorf("repeated ids in visibility batch: %v", err)
	}
}

func TestDeleteAndChangeVisibilityBatch(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	url := e.createQueue("batch-handles", nil)
	for i := range 3 {
		e.send(url, strconv.Itoa(i))
	}
	msgs := e.receive(url, 10)
	if len(msgs) != 3 {
		t.Fatalf("received %d", len(msgs))
	}
	cv, err := e.c.ChangeMessageVisibilityBatch(e.ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("release"), ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 0},
		{Id: aws.String("garbage"), ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 10},
		{Id: aws.String("toolong"), ReceiptHandle: msgs[1].ReceiptHandle, VisibilityTimeout: 50000},
	}})
	if err != nil || len(cv.Successful) != 1 || len(cv.Failed) != 2 {
		t.Fatalf("ChangeMessageVisibilityBatch = %+v, %v", cv, err)
	}
	codes := map[string]string{}
	for _, f := range cv.Failed {
		codes[*f.Id] = *f.Code
	}
	if codes["garbage"] != "ReceiptHandleIsInvalid" || codes["toolong"] != "InvalidParameterValue" {
		t.Fatalf("failure codes = %v", codes)
	}
	again := e.receive(url, 10)
	if len(again) != 1 || *again[0].MessageId != *msgs[0].MessageId {
		t.Fatalf("after release received %v", bodies(again))
	}

	del, err := e.c.DeleteMessageBatch(e.ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: again[0].ReceiptHandle},
		{Id: aws.String("b"), ReceiptHandle: msgs[1].ReceiptHandle},
		{Id: aws.String("c"), ReceiptHandle: msgs[2].ReceiptHandle},
		{Id: aws.String("bad"), ReceiptHandle: aws.String("AQEBnotahandle")},
	}})
	if err != nil || len(del.Successful) != 3 || len(del.Failed) != 1 || *del.Failed[0].Code != "ReceiptHandleIsInvalid" {
		t.Fatalf("DeleteMessageBatch = %+v, %v", del, err)
	}
	if got := e.attrs(url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"); got["ApproximateNumberOfMessages"] != "0" || got["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Fatalf("after batch delete: %v", got)
	}
}
