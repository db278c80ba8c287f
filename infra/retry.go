package infra

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Retry attempts per call (the first one included).
const (
	// DefaultAttempts is the SDK's own default.
	DefaultAttempts = 3
	// BulkAttempts is for commands that make many calls in a row and must
	// not stop at a passing throttle: quarry publish --file, infra apply.
	BulkAttempts = 10
)

// maxRetryBackoff caps the wait between two attempts of one call.
const maxRetryBackoff = 20 * time.Second

// throttleCodes are throttling error codes the SDK's defaults miss: SNS
// answers a throttled call with 429 "Throttled", a modeled error, which the
// standard retryer leaves alone.
var throttleCodes = map[string]struct{}{"Throttled": {}}

// Retryer returns the SDK's standard retryer tuned for Quarry: throttles
// (SNS's Throttled and 429s included) and 5xx answers are retried with
// exponential backoff and jitter, up to attempts attempts. bulk drops the
// retry quota (the token bucket that ends retrying after many failures in
// a row), so a long run of calls rides out a throttled spell instead of
// stopping in the middle.
func Retryer(attempts int, bulk bool) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.MaxBackoff = maxRetryBackoff
			o.Retryables = append(o.Retryables,
				retry.RetryableErrorCode{Codes: throttleCodes},
				retry.RetryableHTTPStatusCode{Codes: map[int]struct{}{429: {}}},
			)
			o.Throttles = append(o.Throttles, retry.ThrottleErrorCode{Codes: throttleCodes})
			if bulk {
				o.RateLimiter = ratelimit.None
			}
		})
	}
}

// ForBulk returns the clients with BulkAttempts attempts per call and no
// retry quota, for commands that make many calls in a row.
func (c Clients) ForBulk() Clients {
	r := Retryer(BulkAttempts, true)
	out := c
	if c.SQS != nil {
		out.SQS = sqs.New(c.SQS.Options(), func(o *sqs.Options) { o.Retryer = r() })
	}
	if c.SNS != nil {
		out.SNS = sns.New(c.SNS.Options(), func(o *sns.Options) { o.Retryer = r() })
	}
	if c.SES != nil {
		out.SES = sesv2.New(c.SES.Options(), func(o *sesv2.Options) { o.Retryer = r() })
	}
	if c.S3 != nil {
		out.S3 = s3.New(c.S3.Options(), func(o *s3.Options) { o.Retryer = r() })
	}
	return out
}
