package sqs_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
)

// BenchmarkBatchRoundTrip measures SendMessageBatch(10) + ReceiveMessage(10)
// + DeleteMessageBatch(10) through the Go SDK over HTTP, one round trip after
// the other, and reports round trips per second. The SDK's own work (signing,
// middleware, checksums) is part of every round trip.
func BenchmarkBatchRoundTrip(b *testing.B) {
	ctx := context.Background()
	ep := localawstest.Start(b, localaws.Config{})
	c := ep.SQS()
	url := benchQueue(b, c, "bench")
	entries := benchEntries()
	rounds := 0
	for b.Loop() {
		roundTrip(ctx, b, c, url, entries)
		rounds++
	}
	b.ReportMetric(float64(rounds)/b.Elapsed().Seconds(), "roundtrips/s")
}

// BenchmarkBatchRoundTripParallel runs the same round trips from several
// goroutines at once, each on its own queue, as a worker fleet would.
func BenchmarkBatchRoundTripParallel(b *testing.B) {
	ctx := context.Background()
	ep := localawstest.Start(b, localaws.Config{})
	c := ep.SQS()
	entries := benchEntries()
	var next atomic.Int64
	var rounds atomic.Int64
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		url := benchQueue(b, c, "bench-"+strconv.FormatInt(next.Add(1), 10))
		for pb.Next() {
			roundTrip(ctx, b, c, url, entries)
			rounds.Add(1)
		}
	})
	b.ReportMetric(float64(rounds.Load())/b.Elapsed().Seconds(), "roundtrips/s")
}

func benchQueue(b *testing.B, c *sqs.Client, name string) *string {
	q, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		b.Fatal(err)
	}
	return q.QueueUrl
}

func benchEntries() []types.SendMessageBatchRequestEntry {
	entries := make([]types.SendMessageBatchRequestEntry, 10)
	for i := range entries {
		entries[i] = types.SendMessageBatchRequestEntry{
			Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(`{"jobId":"j-` + strconv.Itoa(i) + `","type":"fetch.document"}`),
			MessageAttributes: map[string]types.MessageAttributeValue{"job_type": {DataType: aws.String("String"), StringValue: aws.String("fetch.document")}},
		}
	}
	return entries
}

func roundTrip(ctx context.Context, b *testing.B, c *sqs.Client, url *string, entries []types.SendMessageBatchRequestEntry) {
	if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: entries}); err != nil {
		b.Error(err)
		return
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
	if err != nil || len(out.Messages) == 0 {
		b.Errorf("ReceiveMessage = %v, %v", out, err)
		return
	}
	del := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
	for i, m := range out.Messages {
		del[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
	}
	if _, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: url, Entries: del}); err != nil {
		b.Error(err)
	}
}
