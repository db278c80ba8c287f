package infra

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// AWSOptions adjust how the AWS configuration is loaded.
type AWSOptions struct {
	// Endpoint overrides AWS_ENDPOINT_URL for every service (localaws).
	Endpoint string
	// Region overrides AWS_REGION; default us-east-1 when neither is set.
	Region string
}

// LoadAWSConfig loads the AWS configuration as the SDK does (AWS_REGION,
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>, the credentials chain).
// When the endpoint is a loopback address (localaws) and no credentials are
// configured, static dummy credentials are used, since localaws accepts any.
// Calls are retried by [Retryer].
func LoadAWSConfig(ctx context.Context, o AWSOptions) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	endpoint := o.Endpoint
	if endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(endpoint))
	} else {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	if isLoopbackURL(endpoint) && os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("quarry", "quarry", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	// AWS_MAX_ATTEMPTS (or max_attempts in the shared config) still sets
	// the attempts; the retryer adds the throttles the SDK misses.
	cfg.Retryer = Retryer(cmp.Or(cfg.RetryMaxAttempts, DefaultAttempts), false)
	return cfg, nil
}

func isLoopbackURL(s string) bool {
	if s == "" {
		return false
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Clients are the AWS service clients Quarry uses.
type Clients struct {
	SQS *sqs.Client
	SNS *sns.Client
	SES *sesv2.Client
	S3  *s3.Client
}

// NewClients builds every client from one configuration. S3 uses path-style
// addressing when a custom endpoint is set (localaws serves path-style only).
// Request bodies reach the transport as plain readers (plainRequestBodies).
func NewClients(cfg aws.Config) Clients {
	custom := cfg.BaseEndpoint != nil || os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
	// Each service has resolved its HTTP client (with the SDK's settings
	// for it) before these options run; see plainRequestBodies.
	return Clients{
		SQS: sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.HTTPClient = plainRequestBodies{o.HTTPClient} }),
		SNS: sns.NewFromConfig(cfg, func(o *sns.Options) { o.HTTPClient = plainRequestBodies{o.HTTPClient} }),
		SES: sesv2.NewFromConfig(cfg, func(o *sesv2.Options) { o.HTTPClient = plainRequestBodies{o.HTTPClient} }),
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = custom
			o.HTTPClient = plainRequestBodies{o.HTTPClient}
		}),
	}
}
