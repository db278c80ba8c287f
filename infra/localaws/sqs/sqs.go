// Package sqs is the embedded endpoint's Simple Queue Service: queues,
// messages, visibility, dead-letter queues, FIFO and message move tasks, served
// over both AWS JSON 1.0 and the query protocol.
package sqs

import (
	"context"
	"net/http"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// Namespace is the JSON shape namespace of SQS errors.
const Namespace = "com.amazonaws.sqs"

// XMLNS is the XML namespace of SQS query answers.
const XMLNS = "http://queue.amazonaws.com/doc/2012-11-05/"

// Config configures the SQS service.
type Config struct {
	Region    string
	AccountID string
	// StateDir, when set, is where queues and unacknowledged messages are
	// saved by SaveState and loaded from by New.
	StateDir string
	// DuplicateRate is the share (0..1) of received messages that are handed
	// out a second time in the same or a later receive, as standard SQS may.
	DuplicateRate float64
	// DeletedRecentlyWindow guards re-creation of a deleted queue name
	// (AWS: 60 s). Zero disables the guard.
	DeletedRecentlyWindow time.Duration
	// PurgeInterval is the minimum time between two purges of one queue
	// (AWS: 60 s). Zero disables the guard.
	PurgeInterval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service is the SQS service.
type Service struct {
	cfg Config
}

// New builds the service, loading saved state from cfg.StateDir if any.
func New(cfg Config) (*Service, error) {
	return &Service{cfg: cfg}, nil
}

func notImplemented(action string) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "AWS.SimpleQueueService.UnsupportedOperation", "UnsupportedOperation", "%s is not implemented", action)
}

// ServeJSON answers one AWS JSON 1.0 request; the result is marshalled with
// encoding/json. A nil result is written as {}.
func (s *Service) ServeJSON(call *awsproto.Call, body []byte) (any, *awsproto.Error) {
	return nil, notImplemented(call.Action)
}

// ServeQuery answers one query-protocol request; the result is marshalled with
// encoding/xml as the <ActionResult> element (nil for operations without output).
func (s *Service) ServeQuery(call *awsproto.Call, form awsproto.Form) (any, *awsproto.Error) {
	return nil, notImplemented(call.Action)
}

// SendToQueue enqueues a message on the queue with the given ARN, as SNS
// delivery does.
func (s *Service) SendToQueue(ctx context.Context, queueARN string, m awsproto.QueueMessage) error {
	return notImplemented("SendToQueue")
}

// SaveState writes the service's state under cfg.StateDir; it is a no-op
// without a state directory.
func (s *Service) SaveState() error { return nil }

// Close stops background work (move tasks) and wakes long polls.
func (s *Service) Close() error { return nil }
