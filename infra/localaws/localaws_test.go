package localaws_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
)

func TestS3RoundTrip(t *testing.T) {
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
