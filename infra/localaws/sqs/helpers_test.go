package sqs_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
)

// fakeClock is an injectable clock for tests that would otherwise wait
// minutes (dedup windows, retention, the 12-hour visibility cap).
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a started endpoint and an SDK client for it.
type env struct {
	t   *testing.T
	ctx context.Context
	ep  *localawstest.Endpoint
	c   *sqs.Client
}

func start(t *testing.T, cfg localaws.Config) *env {
	t.Helper()
	ep := localawstest.Start(t, cfg)
	return &env{t: t, ctx: context.Background(), ep: ep, c: ep.SQS()}
}

func (e *env) createQueue(name string, attrs map[string]string) string {
	e.t.Helper()
	out, err := e.c.CreateQueue(e.ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		e.t.Fatalf("CreateQueue(%s): %v", name, err)
	}
	return *out.QueueUrl
}

func (e *env) queueARN(url string) string {
	e.t.Helper()
	return e.attrs(url, "QueueArn")["QueueArn"]
}

func (e *env) attrs(url string, names ...string) map[string]string {
	e.t.Helper()
	in := &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url)}
	for _, n := range names {
		in.AttributeNames = append(in.AttributeNames, types.QueueAttributeName(n))
	}
	out, err := e.c.GetQueueAttributes(e.ctx, in)
	if err != nil {
		e.t.Fatalf("GetQueueAttributes(%s): %v", url, err)
	}
	return out.Attributes
}

func (e *env) send(url, body string) *sqs.SendMessageOutput {
	e.t.Helper()
	out, err := e.c.SendMessage(e.ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)})
	if err != nil {
		e.t.Fatalf("SendMessage(%s): %v", url, err)
	}
	return out
}

func (e *env) sendFIFO(url, body, group, dedup string) *sqs.SendMessageOutput {
	e.t.Helper()
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), MessageGroupId: aws.String(group)}
	if dedup != "" {
		in.MessageDeduplicationId = aws.String(dedup)
	}
	out, err := e.c.SendMessage(e.ctx, in)
	if err != nil {
		e.t.Fatalf("SendMessage(%s, group %s): %v", url, group, err)
	}
	return out
}

// receive does a short-poll receive of up to n messages with all system
// and message attributes.
func (e *env) receive(url string, n int32) []types.Message {
	e.t.Helper()
	out, err := e.c.ReceiveMessage(e.ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: n,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		e.t.Fatalf("ReceiveMessage(%s): %v", url, err)
	}
	return out.Messages
}

func (e *env) deleteMessage(url, handle string) {
	e.t.Helper()
	if _, err := e.c.DeleteMessage(e.ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(handle)}); err != nil {
		e.t.Fatalf("DeleteMessage: %v", err)
	}
}

func bodies(msgs []types.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = aws.ToString(m.Body)
	}
	return out
}

// apiError returns the error's API code (the query code, as the SDK reports
// it for SQS) and HTTP status; it fails the test when err is not an API
// error.
func apiError(t *testing.T, err error) (code string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an API error", err)
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), status
}

// wantCode fails the test unless err is an API error with that code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %s", code)
	}
	if got, _ := apiError(t, err); got != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
}

// jsonCall is a call context for driving the service without HTTP.
func jsonCall(action string) *awsproto.Call {
	return &awsproto.Call{Ctx: context.Background(), Action: action, BaseURL: "http://localhost:4566", RequestID: "test"}
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func itoa(i int) string { return strconv.Itoa(i) }
