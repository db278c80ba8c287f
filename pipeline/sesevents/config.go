package sesevents

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/pipeline/suppression"
)

// Suppressions is the suppression list the stage writes to;
// *suppression.Store satisfies it.
type Suppressions interface {
	Add(ctx context.Context, address string, e suppression.Entry, event string) (bool, error)
	Suppressed(ctx context.Context, address string) ([]string, error)
	// Hash identifies an address in logs without writing it out.
	Hash(address string) string
}

// Effects settles the once-only effects (sends) that SES's events report;
// *idempotency.Store satisfies it.
type Effects interface {
	ObserveEffect(ctx context.Context, key, name, attempt, evidence string) (idempotency.Observation, error)
}

// SESSuppressionList is the part of SES v2 the stage mirrors suppressions
// into; *sesv2.Client satisfies it.
type SESSuppressionList interface {
	PutSuppressedDestination(ctx context.Context, in *sesv2.PutSuppressedDestinationInput, opts ...func(*sesv2.Options)) (*sesv2.PutSuppressedDestinationOutput, error)
}

// Policy decides when bounces suppress an address.
type Policy struct {
	// SoftThreshold is how many distinct messages must soft-bounce for an
	// address within SoftWindow before it is suppressed. Default 3.
	SoftThreshold int
	// SoftWindow is the window soft bounces are counted in. Default 7 days.
	SoftWindow time.Duration
	// SoftExpiry is how long a soft_bounce suppression lasts. Default 30 days.
	SoftExpiry time.Duration
}

// HandlerConfig configures a Handler.
type HandlerConfig struct {
	// Suppressions is the list to write to. Required.
	Suppressions Suppressions
	// Redis holds the once-only markers, soft-bounce counters and rate
	// buckets. Required.
	Redis redis.UniversalClient
	// Prefix is put before every key (QUARRY_REDIS_PREFIX).
	Prefix string
	// Policy sets the soft-bounce rule; zero fields take the defaults.
	Policy Policy
	// RateWindow is the sliding window of the bounce and complaint rates.
	// Default 24h.
	RateWindow time.Duration
	// MinVolume is how many sends the window must hold before a rate can
	// raise a warning (a handful of sends makes any bounce look alarming).
	// Default 100.
	MinVolume int
	// Mirror, when set, receives every hard-bounce and complaint
	// suppression (PutSuppressedDestination), so SES itself refuses the
	// address too.
	Mirror SESSuppressionList
	// Effects, when set, is told about every Send, Delivery, Bounce,
	// Complaint and DeliveryDelay event of a send tagged with its effect
	// (messages.TagEffectJob, TagEffectAttempt): SES accepted the message,
	// so an unknown send is settled as sent.
	Effects Effects
	// Actor names the stage in suppression entries and the audit trail.
	// Default "ses-events".
	Actor string
	// Registerer gets the stage's metrics; nil registers none.
	Registerer prometheus.Registerer
	// Logger is used when the job's context carries none.
	Logger zerolog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Defaults.
const (
	DefaultSoftThreshold = 3
	DefaultSoftWindow    = 7 * 24 * time.Hour
	DefaultSoftExpiry    = 30 * 24 * time.Hour
	DefaultRateWindow    = 24 * time.Hour
	DefaultMinVolume     = 100
	// markerTTL is how long a handled event is remembered: longer than SQS
	// keeps a message (14 days), so no redelivery outlives its marker.
	markerTTL = 15 * 24 * time.Hour
)

func (c HandlerConfig) withDefaults() (HandlerConfig, error) {
	if c.Suppressions == nil {
		return c, errors.New("sesevents: Suppressions is required")
	}
	if c.Redis == nil {
		return c, errors.New("sesevents: Redis is required")
	}
	if c.Policy.SoftThreshold <= 0 {
		c.Policy.SoftThreshold = DefaultSoftThreshold
	}
	if c.Policy.SoftWindow <= 0 {
		c.Policy.SoftWindow = DefaultSoftWindow
	}
	if c.Policy.SoftExpiry <= 0 {
		c.Policy.SoftExpiry = DefaultSoftExpiry
	}
	if c.RateWindow <= 0 {
		c.RateWindow = DefaultRateWindow
	}
	if c.MinVolume <= 0 {
		c.MinVolume = DefaultMinVolume
	}
	if c.Actor == "" {
		c.Actor = "ses-events"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}
