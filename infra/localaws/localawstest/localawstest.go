// Package localawstest starts the embedded AWS endpoint for a test and builds
// real aws-sdk-go-v2 clients pointed at it. Tests of every package use it so
// that they talk to localaws over HTTP exactly as production talks to AWS.
package localawstest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/quarry-dev/quarry/infra/localaws"
)

// Endpoint is a started endpoint and the SDK configuration that reaches it.
type Endpoint struct {
	Server *localaws.Server
	URL    string
	Config aws.Config
}

// Start starts localaws on a loopback port for the duration of the test.
func Start(t testing.TB, cfg localaws.Config) *Endpoint {
	t.Helper()
	srv, err := localaws.New(cfg)
	if err != nil {
		t.Fatalf("starting localaws: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("closing localaws: %v", err)
		}
	})
	return &Endpoint{Server: srv, URL: srv.URL(), Config: SDKConfig(t, srv.URL())}
}

// SDKConfig is an aws.Config with static dummy credentials, region us-east-1
// and the given base endpoint.
func SDKConfig(t testing.TB, url string) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		config.WithBaseEndpoint(url),
	)
	if err != nil {
		t.Fatalf("loading SDK config: %v", err)
	}
	return cfg
}

// SQS returns an SQS client for the endpoint.
func (e *Endpoint) SQS() *sqs.Client { return sqs.NewFromConfig(e.Config) }

// SNS returns an SNS client for the endpoint.
func (e *Endpoint) SNS() *sns.Client { return sns.NewFromConfig(e.Config) }

// SES returns an SES v2 client for the endpoint.
func (e *Endpoint) SES() *sesv2.Client { return sesv2.NewFromConfig(e.Config) }

// S3 returns a path-style S3 client for the endpoint.
func (e *Endpoint) S3() *s3.Client {
	return s3.NewFromConfig(e.Config, func(o *s3.Options) { o.UsePathStyle = true })
}
