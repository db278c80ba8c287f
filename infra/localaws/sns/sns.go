// Package sns is the embedded endpoint's Simple Notification Service: topics,
// SQS subscriptions with filter policies and raw delivery, Publish and
// PublishBatch, over the query protocol.
package sns

import (
	"context"
	"net/http"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// XMLNS is the XML namespace of SNS query answers.
const XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/"

// QueueSender delivers a message into an SQS queue by ARN.
type QueueSender interface {
	SendToQueue(ctx context.Context, queueARN string, m awsproto.QueueMessage) error
}

// Config configures the SNS service.
type Config struct {
	Region    string
	AccountID string
	StateDir  string
	Queues    QueueSender
	Now       func() time.Time
}

// Service is the SNS service.
type Service struct {
	cfg Config
}

// New builds the service, loading saved state from cfg.StateDir if any.
func New(cfg Config) (*Service, error) {
	return &Service{cfg: cfg}, nil
}

// ServeQuery answers one query-protocol request.
func (s *Service) ServeQuery(call *awsproto.Call, form awsproto.Form) (any, *awsproto.Error) {
	return nil, awsproto.Errorf(http.StatusBadRequest, "InvalidAction", "InvalidAction", "%s is not implemented", call.Action)
}

// PublishToTopic publishes a message to a topic, as SES event destinations do.
func (s *Service) PublishToTopic(ctx context.Context, topicARN, subject, message string) error {
	return awsproto.Errorf(http.StatusNotFound, "NotFound", "NotFoundException", "Topic does not exist")
}

// TopicExists reports whether a topic with that ARN exists.
func (s *Service) TopicExists(topicARN string) bool { return false }

// SaveState writes the service's state under cfg.StateDir.
func (s *Service) SaveState() error { return nil }

// Close releases the service.
func (s *Service) Close() error { return nil }
