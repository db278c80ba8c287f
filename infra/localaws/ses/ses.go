// Package ses is the embedded endpoint's Simple Email Service (API v2,
// REST-JSON): identities, SendEmail, configuration sets with SNS event
// destinations, the account suppression list, the mailbox simulator and a
// mailbox of sent mail.
package ses

import (
	"context"
	"net/http"
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
	MaxSendRate float64
	// Max24HourSend is the daily quota GetAccount reports; -1 is unlimited.
	Max24HourSend float64
	Topics        TopicPublisher
	Now           func() time.Time
}

// Service is the SES v2 service.
type Service struct {
	cfg Config
}

// New builds the service, loading saved state from cfg.StateDir if any.
func New(cfg Config) (*Service, error) {
	return &Service{cfg: cfg}, nil
}

// Route names the SES v2 operation of a request by method and path
// (e.g. POST /v2/email/outbound-emails → SendEmail); "" when none matches.
func (s *Service) Route(method, path string) string { return "" }

// ServeREST answers one REST-JSON request. status is the HTTP status of a
// successful answer and out its JSON body (nil for {}).
func (s *Service) ServeREST(call *awsproto.Call, r *http.Request, body []byte) (status int, out any, err *awsproto.Error) {
	return 0, nil, awsproto.Errorf(http.StatusNotFound, "NotFoundException", "NotFoundException", "%s %s is not implemented", r.Method, r.URL.Path)
}

// Mailbox serves the sent mail over HTTP (list, one message as JSON or .eml).
func (s *Service) Mailbox() http.Handler { return http.NotFoundHandler() }

// SaveState writes the service's state under cfg.StateDir.
func (s *Service) SaveState() error { return nil }

// Close releases the service.
func (s *Service) Close() error { return nil }
