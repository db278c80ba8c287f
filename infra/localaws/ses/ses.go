// Package ses is the embedded endpoint's Simple Email Service (API v2,
// REST-JSON): identities, SendEmail, configuration sets with SNS event
// destinations, the account suppression list, the mailbox simulator and a
// mailbox of sent mail.
package ses

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// TopicPublisher publishes SES events to an SNS topic.
type TopicPublisher interface {
	PublishToTopic(ctx context.Context, topicARN, subject, message string) error
	TopicExists(topicARN string) bool
}

// Config configures the SES service.
type Config struct {
	Region    string
	AccountID string
	// StateDir, when set, keeps sent mail as .eml plus JSON files and the
	// service's other state, surviving a restart.
	StateDir string
	// MaxSendRate is the account's send rate (recipients per second) that
	// GetAccount reports and SendEmail enforces with TooManyRequestsException.
	// Zero or less disables the limit.
	MaxSendRate float64
	// Max24HourSend is the daily quota GetAccount reports; -1 is unlimited.
	// Zero is taken as unlimited too.
	Max24HourSend float64
	Topics        TopicPublisher
	Now           func() time.Time
	// Logger receives event-publishing failures and other problems that
	// cannot be reported to a caller; nil means slog.Default(), so that such
	// failures are never silent.
	Logger *slog.Logger
}

// Service is the SES v2 service.
type Service struct {
	cfg     Config
	log     *slog.Logger
	routes  []route
	limiter *tokenBucket
	mail    *mailbox

	// mu guards the fields from account to closed. Lock order: mu, then
	// limiter.mu or mail.mu; never the other way round.
	mu         sync.Mutex
	account    accountSettings
	identities map[string]*identity              // by lower-case name
	templates  map[string]*emailTemplate         // by name
	configSets map[string]*configSet             // by name
	suppressed map[string]*suppressedDestination // by lower-case address
	sent       []sentEntry                       // recipients counted against the daily quota, oldest first
	sentTotal  int                               // sum of sent[].n
	dirty      bool                              // state changed since the last SaveState
	closed     bool

	saver awsproto.StateSaver

	// Event publishing runs in one goroutine per send; Close cancels stop
	// and waits for them.
	events sync.WaitGroup
	stop   context.Context
	cancel context.CancelFunc
}

// New builds the service, loading saved state from cfg.StateDir if any.
func New(cfg Config) (*Service, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "000000000000"
	}
	if cfg.Max24HourSend == 0 {
		cfg.Max24HourSend = -1
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Service{
		cfg:        cfg,
		log:        log.With("service", "ses"),
		limiter:    newTokenBucket(cfg.MaxSendRate, cfg.Now),
		account:    defaultAccountSettings(),
		identities: map[string]*identity{},
		templates:  map[string]*emailTemplate{},
		configSets: map[string]*configSet{},
		suppressed: map[string]*suppressedDestination{},
	}
	s.routes = s.routeTable()
	s.stop, s.cancel = context.WithCancel(context.Background())

	mailDir := ""
	if cfg.StateDir != "" {
		mailDir = filepath.Join(cfg.StateDir, "mail")
		if err := os.MkdirAll(mailDir, 0o755); err != nil {
			s.cancel()
			return nil, fmt.Errorf("ses: creating mail dir: %w", err)
		}
		if err := s.loadState(); err != nil {
			s.cancel()
			return nil, err
		}
	}
	s.mail = newMailbox(mailDir, s.log)
	if mailDir != "" {
		if err := s.mail.load(); err != nil {
			s.cancel()
			return nil, err
		}
		for _, e := range s.mail.quotaEntries(cfg.Now().Add(-24 * time.Hour)) {
			s.countSentLocked(e.at, e.n)
		}
	}
	return s, nil
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// Close stops event publishing that is still under way and waits for it.
// State is written by SaveState, which the endpoint calls before Close.
func (s *Service) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.events.Wait()
	return nil
}
