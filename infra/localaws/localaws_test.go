package localaws_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
)

func TestS3RoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ep := localawstest.Start(t, localaws.Config{})
	c := ep.S3()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("quarry-blobs")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	body := "%PDF-1.7 test body"
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("quarry-blobs"), Key: aws.String("jobs/01J/doc.pdf"),
		Body: strings.NewReader(body), ContentType: aws.String("application/pdf"),
		Metadata: map[string]string{"recipe-version": "3"},
	}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("quarry-blobs"), Key: aws.String("jobs/01J/doc.pdf")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer got.Body.Close()
	b, _ := io.ReadAll(got.Body)
	if string(b) != body {
		t.Fatalf("body = %q, want %q", b, body)
	}
	if got.Metadata["recipe-version"] != "3" {
		t.Fatalf("metadata = %v", got.Metadata)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("quarry-blobs"), Key: aws.String("missing")})
	var nsk interface{ ErrorCode() string }
	if !errors.As(err, &nsk) || nsk.ErrorCode() != "NoSuchKey" {
		t.Fatalf("GetObject(missing) err = %v, want NoSuchKey", err)
	}
}

func TestCallCountersOverHTTP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ep := localawstest.Start(t, localaws.Config{})
	c := ep.S3()
	for range 3 {
		_, _ = c.ListBuckets(ctx, &s3.ListBucketsInput{})
	}
	resp, err := http.Get(ep.URL + "/_localaws/calls")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var calls map[string]map[string]int64
	if err := json.NewDecoder(resp.Body).Decode(&calls); err != nil {
		t.Fatal(err)
	}
	if calls["s3"]["ListBuckets"] != 3 {
		t.Fatalf("calls = %v, want s3.ListBuckets = 3", calls)
	}
	req, _ := http.NewRequest(http.MethodDelete, ep.URL+"/_localaws/calls", nil)
	if _, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	if n := ep.Server.Calls()["s3"]["ListBuckets"]; n != 0 {
		t.Fatalf("after reset ListBuckets = %d", n)
	}
}

func TestFaultInjectionThrottlesEveryCallAtRateOne(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ep := localawstest.Start(t, localaws.Config{Faults: localaws.Faults{ErrorRates: map[string]float64{"s3.ListBuckets": 1}}})
	c := s3.NewFromConfig(ep.Config, func(o *s3.Options) { o.UsePathStyle = true; o.RetryMaxAttempts = 1 })
	_, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InternalError" {
		t.Fatalf("err = %v, want injected InternalError", err)
	}
	// Other actions are untouched.
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("quarry-b")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
}

func TestParseRates(t *testing.T) {
	t.Parallel()
	m, err := localaws.ParseRates("ReceiveMessage=0.1, sqs.SendMessage=1")
	if err != nil || m["ReceiveMessage"] != 0.1 || m["sqs.SendMessage"] != 1 {
		t.Fatalf("ParseRates = %v, %v", m, err)
	}
	for _, bad := range []string{"x", "a=2", "a=-1", "a=foo"} {
		if _, err := localaws.ParseRates(bad); err == nil {
			t.Errorf("ParseRates(%q) accepted", bad)
		}
	}
}

func TestParseLatencies(t *testing.T) {
	t.Parallel()
	m, err := localaws.ParseLatencies("ses.SendEmail=2s, ReceiveMessage=50ms")
	if err != nil || m["ses.SendEmail"] != 2*time.Second || m["ReceiveMessage"] != 50*time.Millisecond {
		t.Fatalf("ParseLatencies = %v, %v", m, err)
	}
	for _, bad := range []string{"x", "a=2", "a=-1s", "=1s"} {
		if _, err := localaws.ParseLatencies(bad); err == nil {
			t.Errorf("ParseLatencies(%q) accepted", bad)
		}
	}
}

// A latency for one action holds that action only; a client that gives up
// during it does not stop the call from being carried out.
func TestLatencyForOneActionAndAbandonedCallsStillRun(t *testing.T) {
	ep := localawstest.Start(t, localaws.Config{Faults: localaws.Faults{Latencies: map[string]time.Duration{"s3.CreateBucket": 400 * time.Millisecond}}})
	c := s3.NewFromConfig(ep.Config, func(o *s3.Options) { o.UsePathStyle = true; o.RetryMaxAttempts = 1 })
	if _, err := c.ListBuckets(t.Context(), &s3.ListBucketsInput{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("quarry-late")}); err == nil {
		t.Fatal("CreateBucket answered within 50 ms despite 400 ms of latency")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := c.ListBuckets(t.Context(), &s3.ListBucketsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Buckets) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the abandoned CreateBucket was never carried out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
