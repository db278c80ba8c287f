package main

import (
	"context"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/internal/jobstatus"
	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/messages"
)

// statusBench is localaws with the topology applied, a notify DLQ holding
// letters dead-lettered jobs, and a claim store.
func statusBench(b *testing.B, letters int) (*awsEnv, *idempotency.Store, string) {
	b.Helper()
	ctx := context.Background()
	ep := localawstest.Start(b, localaws.Config{})
	env := &awsEnv{clients: infra.NewClients(ep.Config), topology: infra.DefaultTopology()}
	if _, err := infra.Apply(ctx, env.clients, env.topology); err != nil {
		b.Fatal(err)
	}
	dlq, err := env.dlqURL(ctx, "notify")
	if err != nil {
		b.Fatal(err)
	}
	var last string
	for start := 0; start < letters; start += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for i := start; i < min(start+10, letters); i++ {
			job, err := messages.NewJob(messages.TypeNotifyEmail, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready"})
			if err != nil {
				b.Fatal(err)
			}
			body, err := job.Encode()
			if err != nil {
				b.Fatal(err)
			}
			last = job.ID
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(body)),
				MessageAttributes: map[string]types.MessageAttributeValue{
					messages.DLQAttrError: {DataType: aws.String("String"), StringValue: aws.String("permanent: template not found")},
				}})
		}
		if _, err := env.clients.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(dlq), Entries: entries}); err != nil {
			b.Fatal(err)
		}
	}
	return env, idempotency.NewStore(redistest.Client(b), redistest.Prefix(b)), last
}

// BenchmarkStatusQueues is one `quarry status`: the depth of the four
// queues and their DLQs, and localaws's oldest-message view.
func BenchmarkStatusQueues(b *testing.B) {
	env, _, _ := statusBench(b, 0)
	ctx := context.Background()
	for b.Loop() {
		if _, err := jobstatus.CollectQueues(ctx, env.statusSource(), aws.ToString(env.clients.SQS.Options().BaseEndpoint)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStatusJobInFullDLQ is one `quarry status JOB_ID` for a
// dead-lettered job among 1000 letters: the DLQ search dominates.
func BenchmarkStatusJobInFullDLQ(b *testing.B) {
	env, store, id := statusBench(b, 1000)
	ctx := context.Background()
	for b.Loop() {
		rep, err := jobstatus.Trace(ctx, env.statusSource(), store, id)
		if err != nil || rep.Stages[0].State != jobstatus.StateDeadLettered {
			b.Fatalf("trace: %v %+v", err, rep)
		}
	}
}
