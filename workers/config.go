package workers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/rs/zerolog"

	"github.com/quarry-dev/quarry/messages"
)

// SQS is the part of the SQS API the runner uses; *sqs.Client satisfies it.
type SQS interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, opts ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Gate holds a runner's receives while its stage cannot work. Wait returns
// nil once receiving may go on, or ctx's error.
type Gate interface {
	Wait(ctx context.Context) error
}

// Config configures one Runner: one queue, one role.
type Config struct {
	// SQS is the queue client. Required.
	SQS SQS
	// QueueURL is the queue to consume. Required.
	QueueURL string
	// DLQURL is where the runner moves permanent failures and undecodable
	// messages. Defaults to the queue's RedrivePolicy target.
	DLQURL string
	// Role names the stage in logs, metrics and DLQ reasons (fetch, extract...).
	Role string
	// Claims is the idempotency store. Required.
	Claims Claims
	// Handlers run jobs by job type. Required, at least one.
	Handlers map[string]Handler
	// Concurrency bounds the jobs running at once. Defaults to 8.
	Concurrency int
	// Receivers is how many receive loops run, each long-polling for as
	// many messages as there are free handler slots (so together they
	// never hold more messages than slots). More than one overlaps the
	// round trips of receives, which is what bounds a runner of quick jobs.
	// Defaults to one per 16 handler slots, between 1 and 4.
	Receivers int
	// VisibilityTimeout overrides the queue's VisibilityTimeout attribute
	// (read at start). The heartbeat extends visibility and the claim lease
	// every VisibilityTimeout/3, leaving two beats of slack before
	// SQS would hand the message out again.
	VisibilityTimeout time.Duration
	// WaitTime is the long-poll wait. Defaults to 20s.
	WaitTime time.Duration
	// JobTimeout bounds one handler run. Defaults to 15m.
	JobTimeout time.Duration
	// SoftStopTimeout is how long in-flight jobs may run on after shutdown
	// starts before they are cancelled and given back. Defaults to 90s, below
	// ECS's 120s stopTimeout (lower it for Fargate's default 30s).
	SoftStopTimeout time.Duration
	// ResultRetention is how long a completed job's dedup record lives. It
	// must outlive the queue's retention. Defaults to 15 days (SQS keeps at
	// most 14).
	ResultRetention time.Duration
	// Gate, when set, is waited on before every receive: a stage that cannot
	// work for a while (SES has paused sending, the daily quota is spent)
	// holds its jobs in the queue instead of receiving them and burning
	// their receive counts on retries.
	Gate Gate
	// Backoff sets retry delays.
	Backoff Backoff
	// Metrics are shared by the process's runners; nil creates private ones.
	Metrics *Metrics
	// Logger is the runner's logger; the zero value logs nothing.
	Logger zerolog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Defaults.
const (
	DefaultConcurrency     = 8
	DefaultWaitTime        = 20 * time.Second
	DefaultJobTimeout      = 15 * time.Minute
	DefaultSoftStopTimeout = 90 * time.Second
	DefaultResultRetention = 15 * 24 * time.Hour
)

func (c Config) withDefaults() Config {
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Receivers <= 0 {
		c.Receivers = min(max(c.Concurrency/16, 1), 4)
	}
	if c.WaitTime <= 0 {
		c.WaitTime = DefaultWaitTime
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = DefaultJobTimeout
	}
	if c.SoftStopTimeout <= 0 {
		c.SoftStopTimeout = DefaultSoftStopTimeout
	}
	if c.ResultRetention <= 0 {
		c.ResultRetention = DefaultResultRetention
	}
	if c.Role == "" {
		c.Role = "worker"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.Backoff = c.Backoff.withDefaults()
	return c
}

func (c Config) validate() error {
	switch {
	case c.SQS == nil:
		return errors.New("workers: Config.SQS is nil")
	case c.QueueURL == "":
		return errors.New("workers: Config.QueueURL is empty")
	case c.Claims == nil:
		return errors.New("workers: Config.Claims is nil")
	case len(c.Handlers) == 0:
		return errors.New("workers: Config.Handlers is empty")
	case c.WaitTime > 20*time.Second:
		return fmt.Errorf("workers: Config.WaitTime %v is over SQS's 20s", c.WaitTime)
	case c.VisibilityTimeout < 0 || c.VisibilityTimeout > messages.MaxVisibilityTimeout:
		return fmt.Errorf("workers: Config.VisibilityTimeout %v is outside 0..12h", c.VisibilityTimeout)
	}
	for t, h := range c.Handlers {
		if h == nil {
			return fmt.Errorf("workers: Config.Handlers[%q] is nil", t)
		}
	}
	return nil
}
