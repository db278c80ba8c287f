package sqs_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
	sqssvc "github.com/quarry-dev/quarry/infra/localaws/sqs"
)

func TestLongPollWakesOnSend(t *testing.T) {
	e := start(t, localaws.Config{})
	url := e.createQueue("poll", nil)
	type result struct {
		out *sqs.ReceiveMessageOutput
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		out, err := e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20, MaxNumberOfMessages: 10})
		done <- result{out, err, time.Now()}
	}()
	time.Sleep(200 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("long poll returned before any send: %+v", r)
	default:
	}
	sentAt := time.Now()
	e.send(url, "wake up")
	select {
	case r := <-done:
		if r.err != nil || len(r.out.Messages) != 1 || *r.out.Messages[0].Body != "wake up" {
			t.Fatalf("long poll = %+v, %v", r.out, r.err)
		}
		if d := r.at.Sub(sentAt); d > time.Second {
			t.Fatalf("long poll returned %v after the send", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll did not return within 5 s of the send")
	}
}

func TestLongPollQueueDefaultWait(t *testing.T) {
	e := start(t, localaws.Config{})
	url := e.createQueue("default-wait", map[string]string{"ReceiveMessageWaitTimeSeconds": "1"})
	begin := time.Now()
	out, err := e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	took := time.Since(begin)
	if err != nil || len(out.Messages) != 0 {
		t.Fatalf("empty long poll = %v, %v", out, err)
	}
	if took < 900*time.Millisecond || took > 3*time.Second {
		t.Fatalf("empty long poll took %v, want about the queue's 1 s", took)
	}
}

// TestLongPollEndsOnCancelAndClose drives the service directly: a long poll
// returns at once when its caller goes away or the service closes.
func TestLongPollEndsOnCancelAndClose(t *testing.T) {
	svc, err := sqssvc.New(sqssvc.Config{})
	if err != nil {
		t.Fatal(err)
	}
	call := func(ctx context.Context, action string) *awsproto.Call {
		return &awsproto.Call{Ctx: ctx, Action: action, BaseURL: "http://localhost:4566"}
	}
	if _, e := svc.ServeJSON(call(context.Background(), "CreateQueue"), []byte(`{"QueueName":"q"}`)); e != nil {
		t.Fatal(e)
	}
	receive := []byte(`{"QueueUrl":"q","WaitTimeSeconds":20}`)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, e := svc.ServeJSON(call(ctx, "ReceiveMessage"), receive); e != nil {
			t.Errorf("cancelled receive: %v", e)
		}
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("long poll ignored the cancellation")
	}

	done = make(chan struct{})
	go func() {
		defer close(done)
		out, e := svc.ServeJSON(call(context.Background(), "ReceiveMessage"), receive)
		if e != nil || len(out.(*sqssvc.ReceiveMessageOutput).Messages) != 0 {
			t.Errorf("receive during close = %v, %v", out, e)
		}
	}()
	time.Sleep(50 * time.Millisecond)
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("long poll ignored Close")
	}
}
