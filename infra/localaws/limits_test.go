package localaws_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
)

func TestSlowBodiesAreDroppedAfterTheIdleTimeout(t *testing.T) {
	t.Parallel()
	ep := localawstest.Start(t, localaws.Config{Limits: localaws.Limits{BodyIdleTimeout: 200 * time.Millisecond}})
	conn, err := net.Dial("tcp", strings.TrimPrefix(ep.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AmazonSQS.ListQueues\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 100\r\n\r\n{")
	// The rest of the body never comes. The endpoint must answer (or hang
	// up) on its own; the deadline only keeps a broken endpoint from
	// hanging the test.
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the endpoint held a stalled body for 20s")
		}
		return // hung up: dropped
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "RequestTimeout") {
		t.Fatalf("stalled body: %d %s", resp.StatusCode, b)
	}
}

func TestRequestBodiesHeldAtOnceStayWithinTheLimit(t *testing.T) {
	t.Parallel()
	const limit = 4 << 20
	ep := localawstest.Start(t, localaws.Config{Limits: localaws.Limits{MaxInFlight: limit, MaxBody: 2 << 20}})
	c := ep.SQS()
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("x", 1<<20-1024)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body)})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
	}
	if p := ep.Server.PeakBodyBytes(); p > limit || p < 1<<20 {
		t.Fatalf("peak body bytes held = %d, want within (1 MiB, %d]", p, limit)
	}
	// A body over MaxBody is refused, none of it held.
	req, _ := http.NewRequest(http.MethodPost, ep.URL+"/", io.LimitReader(zeros{}, 3<<20))
	req.ContentLength = 3 << 20
	req.Header.Set("X-Amz-Target", "AmazonSQS.SendMessage")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("3 MiB body with a 2 MiB limit: status %d", resp.StatusCode)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestS3ObjectsOverTheLimitAreRefused: the SDK writes the whole body before
// it reads the answer, so the refusal is what it reads, not a reset.
func TestS3ObjectsOverTheLimitAreRefused(t *testing.T) {
	t.Parallel()
	ep := localawstest.Start(t, localaws.Config{Limits: localaws.Limits{MaxObject: 1 << 20}})
	c := ep.S3()
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("small"), Body: bytes.NewReader(make([]byte, 1<<19))}); err != nil {
		t.Fatalf("a 512 KiB object: %v", err)
	}
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("big"), Body: bytes.NewReader(make([]byte, 2<<20))})
	var coded interface{ ErrorCode() string }
	if !errors.As(err, &coded) || coded.ErrorCode() != "EntityTooLarge" {
		t.Fatalf("a 2 MiB object over a 1 MiB limit: %v, want EntityTooLarge", err)
	}
}

func TestARefusedBodyIsReadSoTheClientReadsTheRefusal(t *testing.T) {
	// A client that writes the whole body before it reads the answer, as
	// the AWS SDK does: 64 MiB, more than the sockets buffer, over a 1 MiB
	// limit. Answered and closed before its body was read, the client
	// could not finish writing; now it writes it all, then reads the
	// refusal.
	t.Parallel()
	ep := localawstest.Start(t, localaws.Config{Limits: localaws.Limits{MaxObject: 1 << 20}})
	conn, err := net.Dial("tcp", strings.TrimPrefix(ep.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	const size = 64 << 20
	if _, err := fmt.Fprintf(conn, "PUT /bkt/big HTTP/1.1\r\nHost: localaws\r\nContent-Length: %d\r\n\r\n", size); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(conn, io.LimitReader(zeros{}, size)); err != nil {
		t.Fatalf("writing the body: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "EntityTooLarge") {
		t.Fatalf("answer %d %s, want 400 EntityTooLarge", resp.StatusCode, b)
	}
}

func TestSQSRefusesCharactersOutsideItsSetInJSON(t *testing.T) {
	t.Parallel()
	ep := localawstest.Start(t, localaws.Config{})
	ctx := context.Background()
	q, err := ep.SQS().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("chars")})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(q.QueueUrl)
	send := func(raw string) (int, string) {
		body := `{"QueueUrl":"` + url + `","MessageBody":"` + raw + `"}`
		req, _ := http.NewRequest(http.MethodPost, ep.URL+"/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "AmazonSQS.SendMessage")
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for name, raw := range map[string]string{
		"invalid UTF-8":       "a\xffb",
		"lone high surrogate": `a\ud800b`,
		"lone low surrogate":  `\uDC00`,
		"UTF-8 surrogate":     "\xed\xa0\x80",
		"NUL":                 `\u0000`,
	} {
		if code, b := send(raw); code != http.StatusBadRequest || !strings.Contains(b, "InvalidMessageContents") {
			t.Errorf("%s: %d %s, want 400 InvalidMessageContents", name, code, b)
		}
	}
	for name, raw := range map[string]string{
		"surrogate pair": `\ud83d\ude00`,
		"escaped slash":  `\\ud800`,
		"plain":          "h\u00e9llo",
	} {
		if code, b := send(raw); code != http.StatusOK {
			t.Errorf("%s: %d %s, want 200", name, code, b)
		}
	}
}

func TestUnknownTargetGetsAnAWSStyleError(t *testing.T) {
	t.Parallel()
	ep := localawstest.Start(t, localaws.Config{})
	req, _ := http.NewRequest(http.MethodPost, ep.URL+"/", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("not a JSON error (status %d): %v", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusBadRequest || doc.Type != "UnknownOperationException" || !strings.Contains(doc.Message, "DynamoDB") {
		t.Fatalf("unknown target: %d %+v", resp.StatusCode, doc)
	}
}

func TestALongPollOutlastsTheBodyIdleTimeout(t *testing.T) {
	t.Parallel()
	ep := localawstest.Start(t, localaws.Config{Limits: localaws.Limits{BodyIdleTimeout: 100 * time.Millisecond}})
	c := ep.SQS()
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("poll")})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1})
	if err != nil || len(out.Messages) != 0 {
		t.Fatalf("a 1s long poll with a 100ms body idle timeout: %+v, %v", out, err)
	}
}
