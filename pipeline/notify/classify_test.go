package notify

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/internal/redistest"
)

// sdkError wraps an API error the way the SDK returns it from SendEmail.
func sdkError(status int, err error) error {
	return &smithy.OperationError{ServiceID: "SESv2", OperationName: "SendEmail", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err},
		RequestID:     "req-1",
	}}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	msg := func(s string) *string { return &s }
	for _, tc := range []struct {
		name string
		err  error
		sent bool
		want failure
	}{
		{"rate exceeded", sdkError(429, &types.TooManyRequestsException{Message: msg("Maximum sending rate exceeded.")}), true, failThrottled},
		{"daily quota as throttling", sdkError(429, &types.TooManyRequestsException{Message: msg("Daily message quota exceeded.")}), true, failDailyQuota},
		{"daily quota as limit", sdkError(400, &types.LimitExceededException{Message: msg("Daily message quota exceeded.")}), true, failDailyQuota},
		{"resource limit", sdkError(400, &types.LimitExceededException{Message: msg("Too many configuration sets.")}), true, failRefused},
		{"sending paused", sdkError(400, &types.SendingPausedException{Message: msg("Sending is paused for this account.")}), true, failPaused},
		{"account suspended", sdkError(400, &types.AccountSuspendedException{}), true, failPaused},
		{"mail from not verified", sdkError(400, &types.MailFromDomainNotVerifiedException{}), true, failPaused},
		{"message rejected", sdkError(400, &types.MessageRejected{Message: msg("Email address is not verified.")}), true, failRejected},
		{"bad request", sdkError(400, &types.BadRequestException{}), true, failRejected},
		{"missing configuration set", sdkError(404, &types.NotFoundException{}), true, failConfig},
		{"access denied", sdkError(403, &smithy.GenericAPIError{Code: "AccessDeniedException"}), true, failRefused},
		{"internal error", sdkError(500, &smithy.GenericAPIError{Code: "InternalServiceErrorException", Fault: smithy.FaultServer}), true, failAmbiguous},
		{"injected 500", sdkError(500, &smithy.GenericAPIError{Code: "InternalFailure"}), true, failAmbiguous},
		{"bad gateway without a body", sdkError(502, errors.New("unexpected EOF")), true, failAmbiguous},
		{"connection reset", &smithy.OperationError{Err: &smithyhttp.RequestSendError{Err: errors.New("read: connection reset by peer")}}, true, failAmbiguous},
		{"timeout after sending", &smithy.OperationError{Err: context.DeadlineExceeded}, true, failAmbiguous},
		{"credentials", &smithy.OperationError{Err: errors.New("failed to retrieve credentials")}, false, failNotSent},
	} {
		if got := classify(tc.err, tc.sent); got != tc.want {
			t.Errorf("%s: classify = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestThrottleDelay(t *testing.T) {
	t.Parallel()
	for n, ceil := range map[int]time.Duration{1: 2 * time.Second, 2: 4 * time.Second, 5: 32 * time.Second, 6: time.Minute, 100: time.Minute} {
		for range 200 {
			if d := throttleDelay(n); d < time.Second || d >= ceil {
				t.Fatalf("throttleDelay(%d) = %s, want within [1s, %s)", n, d, ceil)
			}
		}
	}
}

func TestTagValue(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"notify.email":               "notify_email",
		"01JTESTULID":                "01JTESTULID",
		"tables-ready":               "tables-ready",
		"a@b.c:d é":                  "a_b_c_d___",
		strings.Repeat("x", 300):     strings.Repeat("x", 256),
		"UPPER_lower-123":            "UPPER_lower-123",
		"with space and/slash\tnull": "with_space_and_slash_null",
	} {
		if got := tagValue(in); got != want {
			t.Errorf("tagValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewHandlerChecksConfig(t *testing.T) {
	t.Parallel()
	b := redistest.Open(t)[0]
	// Real clients, never called: NewHandler does no I/O.
	good := func() HandlerConfig {
		return HandlerConfig{
			SES: sesv2.New(sesv2.Options{Region: "us-east-1"}), Blobs: infra.NewBlobStore(s3.New(s3.Options{}), "b"),
			Suppressions: &memSuppressions{}, Redis: b.Client, From: testFrom,
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*HandlerConfig)
		want   string
	}{
		{"no SES", func(c *HandlerConfig) { c.SES = nil }, "HandlerConfig.SES"},
		{"no effects", func(c *HandlerConfig) {}, "HandlerConfig.Effects"},
		{"no from", func(c *HandlerConfig) { c.From = "" }, "HandlerConfig.From"},
		{"bad from", func(c *HandlerConfig) { c.From = "results" }, "HandlerConfig.From"},
		{"http unsubscribe", func(c *HandlerConfig) { c.UnsubscribeURL = "http://u.example.com/u" }, "HandlerConfig.UnsubscribeURL"},
		{"unsigned unsubscribe", func(c *HandlerConfig) { c.UnsubscribeURL = "https://u.example.com/u" }, "HandlerConfig.UnsubscribeKey"},
		{"fraction", func(c *HandlerConfig) { c.SendRateFraction = 1.5 }, "HandlerConfig.SendRateFraction"},
		{"template dir", func(c *HandlerConfig) { c.TemplateDir = "/nonexistent/templates" }, "/nonexistent/templates"},
	} {
		cfg := good()
		if tc.name != "no effects" {
			cfg.Effects = idempotency.NewStore(b.Client, b.Prefix)
		}
		tc.change(&cfg)
		_, err := NewHandler(cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %s", tc.name, err, tc.want)
		}
	}
}
