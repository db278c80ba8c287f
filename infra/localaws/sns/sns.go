// Package sns is the embedded endpoint's Simple Notification Service: topics,
// SQS subscriptions with filter policies and raw delivery, Publish and
// PublishBatch, over the query protocol.
//
// Every operation decodes its form into an input struct (query.go), runs
// against the state kept behind one mutex (topics.go, subscriptions.go) and
// returns a result struct that the caller writes as XML. Publish takes what
// it needs under the lock and delivers to the queues outside it
// (publish.go), so a slow queue never blocks the other topics; a FIFO topic
// keeps a second, per-topic lock across numbering and delivery so that its
// subscribers receive messages in sequence-number order.
package sns

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// XMLNS is the XML namespace of SNS query answers.
const XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/"

// QueueSender delivers a message into an SQS queue by ARN. It fails when the
// queue does not exist or does not accept the message.
type QueueSender interface {
	SendToQueue(ctx context.Context, queueARN string, m awsproto.QueueMessage) error
}

// Config configures the SNS service.
type Config struct {
	// Region and AccountID appear in topic and subscription ARNs; defaults
	// us-east-1 and 000000000000.
	Region    string
	AccountID string
	// StateDir, when set, is where SaveState writes topics and
	// subscriptions and New reads them back.
	StateDir string
	// Queues delivers to SQS subscriptions. Without it every delivery
	// fails, which Publish tolerates as AWS does (the message is dropped or
	// goes to the subscription's dead-letter queue).
	Queues QueueSender
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives a line for every delivery that fails; nil discards.
	Logger *slog.Logger
}

// Service is the SNS service. It is safe for concurrent use.
type Service struct {
	cfg    Config
	now    func() time.Time
	logger *slog.Logger
	ops    map[string]operation
	signer *signer

	mu     sync.Mutex
	topics map[string]*topic        // by name
	subs   map[string]*subscription // by subscription ARN
	dirty  bool                     // state changed since the last SaveState

	saver awsproto.StateSaver
}

// operation answers one query action.
type operation func(call *awsproto.Call, form awsproto.Form) (any, *awsproto.Error)

// New builds the service, loading saved state from cfg.StateDir if any.
func New(cfg Config) (*Service, error) {
	cfg.Region = cmp.Or(cfg.Region, "us-east-1")
	cfg.AccountID = cmp.Or(cfg.AccountID, "000000000000")
	s := &Service{
		cfg:    cfg,
		now:    cfg.Now,
		logger: cfg.Logger,
		signer: newSigner(),
		topics: map[string]*topic{},
		subs:   map[string]*subscription{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	s.ops = s.operations()
	if cfg.StateDir != "" {
		if err := s.loadState(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// operations maps query actions to their handlers.
func (s *Service) operations() map[string]operation {
	return map[string]operation{
		"CreateTopic":               s.queryCreateTopic,
		"DeleteTopic":               s.queryDeleteTopic,
		"ListTopics":                s.queryListTopics,
		"GetTopicAttributes":        s.queryGetTopicAttributes,
		"SetTopicAttributes":        s.querySetTopicAttributes,
		"Subscribe":                 s.querySubscribe,
		"ConfirmSubscription":       s.queryConfirmSubscription,
		"Unsubscribe":               s.queryUnsubscribe,
		"ListSubscriptions":         s.queryListSubscriptions,
		"ListSubscriptionsByTopic":  s.queryListSubscriptionsByTopic,
		"GetSubscriptionAttributes": s.queryGetSubscriptionAttributes,
		"SetSubscriptionAttributes": s.querySetSubscriptionAttributes,
		"Publish":                   s.queryPublish,
		"PublishBatch":              s.queryPublishBatch,
		"TagResource":               s.queryTagResource,
		"UntagResource":             s.queryUntagResource,
		"ListTagsForResource":       s.queryListTagsForResource,
	}
}

// ServeQuery answers one query-protocol request. The result is marshalled
// with encoding/xml as the <ActionResult> element (nil for operations
// without output).
func (s *Service) ServeQuery(call *awsproto.Call, form awsproto.Form) (any, *awsproto.Error) {
	op, ok := s.ops[call.Action]
	if !ok {
		return nil, errInvalidAction(call.Action)
	}
	return op(call, form)
}

// PublishToTopic publishes a message to a topic, as SES event destinations
// do. It fails when the topic does not exist or the message is not valid
// for it; the error is an *awsproto.Error. Deliveries that fail do not make
// it fail.
func (s *Service) PublishToTopic(ctx context.Context, topicARN, subject, message string) error {
	in := &publishInput{TopicArn: topicARN, publishEntry: publishEntry{Message: &message}}
	if subject != "" {
		in.Subject = &subject
	}
	if _, e := s.publish(ctx, in); e != nil {
		return e
	}
	return nil
}

// TopicExists reports whether a topic with that ARN exists.
func (s *Service) TopicExists(topicARN string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.lookupTopicLocked(topicARN)
	return e == nil && t != nil
}

// SigningCertificatePEM returns the PEM of the self-signed certificate whose
// key signs the notification envelopes, for whoever verifies Signature.
func (s *Service) SigningCertificatePEM() ([]byte, error) {
	k, err := s.signer.get()
	if err != nil {
		return nil, err
	}
	return k.certPEM, nil
}

// Close releases the service. State stays in memory, so SaveState after
// Close still writes it.
func (s *Service) Close() error { return nil }

func (s *Service) log() *slog.Logger { return s.logger }

// ctxOf returns the call's context, or a background one for calls made
// without.
func ctxOf(call *awsproto.Call) context.Context {
	if call == nil || call.Ctx == nil {
		return context.Background()
	}
	return call.Ctx
}
