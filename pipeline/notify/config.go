package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/quarry-dev/quarry/idempotency"
)

// SES is the part of the SES v2 API the stage uses; *sesv2.Client
// satisfies it.
type SES interface {
	// SendEmail sends one message. The handler calls it with options that
	// switch the SDK's retries off: a retried SendEmail can send twice.
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
	// GetAccount reports the send quota and whether sending is enabled.
	GetAccount(ctx context.Context, in *sesv2.GetAccountInput, optFns ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
}

// BlobStore is where attachments are read from; infra.BlobStore satisfies it.
type BlobStore interface {
	// Get opens the blob at key; the caller closes it. A missing blob is an
	// error matching fs.ErrNotExist.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
}

// Suppressions tells whether an address may be mailed.
type Suppressions interface {
	// Suppressed returns the reasons the address is suppressed for now; none means it may be mailed.
	Suppressed(ctx context.Context, address string) ([]string, error)
	// Hash identifies an address in logs without writing it out; the
	// ses-events stage logs the same hash, so one address's lines match.
	Hash(address string) string
}

// Effects records each send as a once-only effect of its job;
// *idempotency.Store satisfies it. See the idempotency package for the
// protocol.
type Effects interface {
	ClaimEffect(ctx context.Context, lease *idempotency.Lease, name string) (idempotency.EffectClaim, error)
	AttemptEffect(ctx context.Context, eff *idempotency.Effect) error
	CompleteEffect(ctx context.Context, eff *idempotency.Effect, result []byte) error
	ReleaseEffect(ctx context.Context, eff *idempotency.Effect) error
	MarkEffectUnknown(ctx context.Context, eff *idempotency.Effect, reason string) error
	SettleQuietEffect(ctx context.Context, key, name string, quiet time.Duration) (bool, error)
}

// Defaults of [HandlerConfig].
const (
	DefaultPrefix           = "quarry:"
	DefaultConfigurationSet = "quarry"
	// DefaultMaxMessageBytes is SES v2's limit on a whole message after
	// base64 encoding, 40 MB.
	DefaultMaxMessageBytes  = 40 << 20
	DefaultSendRateFraction = 0.85
	DefaultAccountRefresh   = 5 * time.Minute
	DefaultPausePoll        = time.Minute
	DefaultSendTimeout      = 30 * time.Second
	DefaultUnknownQuiet     = 15 * time.Minute
	DefaultRecordTimeout    = 15 * time.Second
)

// HandlerConfig configures a [Handler]. Dependencies are required; every other
// field has a default.
type HandlerConfig struct {
	// SES sends the mail. Required.
	SES SES
	// Blobs holds the attachments. Required.
	Blobs BlobStore
	// Suppressions is checked right before each send. Required.
	Suppressions Suppressions
	// Effects records one send per (job, recipient). Required.
	Effects Effects
	// Redis holds the fleet-wide send-rate schedule that every notify
	// worker shares. Required.
	Redis redis.UniversalClient
	// Prefix starts the rate keys: Prefix+"notify:ses-send" (redis_rate
	// puts "rate:" in front) and Prefix+"notify:ses-send:slow". Defaults
	// to "quarry:".
	Prefix string

	// From is the sender, a verified SES identity, with or without a
	// display name: "Quarry <results@example.com>". Required.
	From string
	// ConfigurationSet is the SES configuration set every send goes
	// through (events, reputation metrics). Defaults to "quarry", the set
	// the topology creates.
	ConfigurationSet string
	// TemplateDir, when set, is a directory of templates that override
	// embedded ones of the same name and add new ones (see the package
	// documentation for the file names).
	TemplateDir string
	// UnsubscribeMailto is the address of the List-Unsubscribe mailto:
	// link. Defaults to the From address.
	UnsubscribeMailto string
	// UnsubscribeURL, when set, adds a one-click (RFC 8058) https link to
	// List-Unsubscribe: UnsubscribeURL?address=A&sig=S, where S is the hex
	// HMAC-SHA256 of A under UnsubscribeKey, so the endpoint can tell a
	// genuine request from a forged one. It must be an https URL without a
	// query.
	UnsubscribeURL string
	// UnsubscribeKey signs the one-click links. Required with
	// UnsubscribeURL, at least 16 bytes.
	UnsubscribeKey []byte
	// MaxMessageBytes bounds one message after encoding (attachments in
	// base64). Defaults to DefaultMaxMessageBytes, SES's 40 MB.
	MaxMessageBytes int64
	// SendRateFraction is the share of the account's MaxSendRate that the
	// fleet uses, leaving headroom for other senders and clock error.
	// Defaults to 0.85.
	SendRateFraction float64
	// AccountRefresh is how often GetAccount is read again for the send
	// rate, the daily quota and whether sending is enabled. Defaults to 5
	// minutes.
	AccountRefresh time.Duration
	// SendTimeout bounds one SendEmail call. A call that runs out of
	// time may still have reached SES, so its recipient is reported
	// unknown. Defaults to 30 seconds.
	SendTimeout time.Duration
	// UnknownQuiet is how long an unknown send waits for an SES event
	// (Send, Delivery, Bounce, carrying the send's effect tags) that
	// settles it as sent; after it, without one, the send is settled as not
	// sent and the job sends it again. It must be longer than SES's events
	// take to come back through the ses-events stage. Defaults to 15
	// minutes.
	UnknownQuiet time.Duration
	// SettleUnknownByHand leaves unknown sends that no event settles for a
	// person (`quarry effects resolve`) instead of settling them after
	// UnknownQuiet; their jobs then finish reporting them unknown.
	SettleUnknownByHand bool
	// RecordTimeout bounds how long recording a send's outcome (complete,
	// release, mark unknown) is retried while Redis does not answer.
	// Defaults to 15 seconds.
	RecordTimeout time.Duration
	// Guard, when set, is asked before every send, and its closing holds
	// the stage's receives (the worker's Redis epoch guard).
	Guard Guard
	// PausePoll is how often GetAccount is polled while sending is paused,
	// and how long a job that meets the pause waits before it is retried.
	// Defaults to 1 minute.
	PausePoll time.Duration

	// Registerer gets the stage's metrics; nil registers none.
	Registerer prometheus.Registerer
	// Logger logs pauses and is used for jobs whose context carries no
	// logger. The zero value logs nothing.
	Logger zerolog.Logger
	// Now is the clock for the Date header and the account refresh; nil
	// means time.Now.
	Now func() time.Time
}

func (c HandlerConfig) withDefaults() HandlerConfig {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.ConfigurationSet == "" {
		c.ConfigurationSet = DefaultConfigurationSet
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.SendRateFraction == 0 {
		c.SendRateFraction = DefaultSendRateFraction
	}
	if c.AccountRefresh == 0 {
		c.AccountRefresh = DefaultAccountRefresh
	}
	if c.PausePoll == 0 {
		c.PausePoll = DefaultPausePoll
	}
	if c.SendTimeout == 0 {
		c.SendTimeout = DefaultSendTimeout
	}
	if c.UnknownQuiet == 0 {
		c.UnknownQuiet = DefaultUnknownQuiet
	}
	if c.RecordTimeout == 0 {
		c.RecordTimeout = DefaultRecordTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// validate checks the configuration and returns the parsed sender.
func (c HandlerConfig) validate() (*mail.Address, error) {
	switch {
	case c.SES == nil:
		return nil, errors.New("notify: HandlerConfig.SES is required")
	case c.Blobs == nil:
		return nil, errors.New("notify: HandlerConfig.Blobs is required")
	case c.Suppressions == nil:
		return nil, errors.New("notify: HandlerConfig.Suppressions is required")
	case c.Effects == nil:
		return nil, errors.New("notify: HandlerConfig.Effects is required")
	case c.Redis == nil:
		return nil, errors.New("notify: HandlerConfig.Redis is required")
	case c.From == "":
		return nil, errors.New("notify: HandlerConfig.From is required (a verified SES identity, e.g. \"Quarry <results@example.com>\")")
	case c.MaxMessageBytes < 0:
		return nil, fmt.Errorf("notify: HandlerConfig.MaxMessageBytes is %d, want a positive size or 0 for the default", c.MaxMessageBytes)
	case c.SendRateFraction < 0 || c.SendRateFraction > 1:
		return nil, fmt.Errorf("notify: HandlerConfig.SendRateFraction is %v, want a share between 0 and 1", c.SendRateFraction)
	case c.AccountRefresh < 0:
		return nil, errors.New("notify: HandlerConfig.AccountRefresh must not be negative")
	case c.PausePoll < 0:
		return nil, errors.New("notify: HandlerConfig.PausePoll must not be negative")
	case c.SendTimeout < 0:
		return nil, errors.New("notify: HandlerConfig.SendTimeout must not be negative")
	case c.UnknownQuiet < 0:
		return nil, errors.New("notify: HandlerConfig.UnknownQuiet must not be negative")
	case c.RecordTimeout < 0:
		return nil, errors.New("notify: HandlerConfig.RecordTimeout must not be negative")
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return nil, fmt.Errorf("notify: HandlerConfig.From %q is not an address: %w", c.From, err)
	}
	if c.UnsubscribeMailto != "" {
		if a, err := mail.ParseAddress(c.UnsubscribeMailto); err != nil || a.Name != "" {
			return nil, fmt.Errorf("notify: HandlerConfig.UnsubscribeMailto %q is not a bare address", c.UnsubscribeMailto)
		}
	}
	if c.UnsubscribeURL != "" {
		u, err := url.Parse(c.UnsubscribeURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("notify: HandlerConfig.UnsubscribeURL %q must be an https URL without a query or fragment", c.UnsubscribeURL)
		}
		if len(c.UnsubscribeKey) < 16 {
			return nil, errors.New("notify: HandlerConfig.UnsubscribeKey must hold at least 16 bytes when UnsubscribeURL is set")
		}
	}
	return from, nil
}

// The clients Quarry wires in satisfy the interfaces above (infra's
// BlobStore satisfies BlobStore; pipeline packages do not import infra).
var (
	_ SES     = (*sesv2.Client)(nil)
	_ Effects = (*idempotency.Store)(nil)
)
