// Package sqs is the embedded endpoint's Simple Queue Service: queues,
// messages, visibility, dead-letter queues, FIFO and message move tasks, served
// over both AWS JSON 1.0 and the query protocol.
//
// Both protocols decode into the same input structs (api.go) and run the same
// operations; only decoding (json.go, query.go) and encoding differ. All state
// sits behind one mutex: every operation is a few microseconds of map and heap
// work, far below the cost of the HTTP request around it, and one lock keeps
// moves between queues (dead-letter queues, move tasks) and snapshots simple
// and consistent. Long polls wait outside the lock on a per-queue channel.
package sqs

import (
	"cmp"
	"context"
	"fmt"
	"sync"
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
	// DuplicateRate is the share (0..1) of deliveries from standard queues
	// that are duplicated, as standard SQS occasionally does. When a receive
	// hands out a message and the dice say so, the queue keeps a second,
	// independent copy of it (same MessageId, body, attributes, SentTimestamp)
	// that is visible at once and so goes to a later receive, with its own
	// receipt handle, while the first copy is in flight. The copy counts as
	// the same delivery attempt: it is received with the same
	// ApproximateReceiveCount as the first, so a RedrivePolicy does not move
	// it to the dead-letter queue early. Deleting one copy does not delete
	// the other (a consumer may see the copy after it deleted the first, as
	// on SQS); a copy is never copied again. FIFO queues are never
	// duplicated.
	DuplicateRate float64
	// DeletedRecentlyWindow guards re-creation of a deleted queue name
	// (AWS: 60 s). Zero disables the guard.
	DeletedRecentlyWindow time.Duration
	// PurgeInterval is the minimum time between two purges of one queue
	// (AWS: 60 s). Zero disables the guard.
	PurgeInterval time.Duration
	// ReleaseInflightOnLoad makes the messages that were in flight when the
	// state was saved visible at once when it is loaded, instead of when
	// their visibility timeouts end. Only for an endpoint whose consumers
	// stop with it (quarry dev): no holder of a previous receipt handle is
	// left to finish those messages.
	ReleaseInflightOnLoad bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service is the SQS service. It is safe for concurrent use.
type Service struct {
	cfg Config
	now func() time.Time
	ops map[string]operation

	mu      sync.Mutex
	queues  map[string]*queue    // by name
	deleted map[string]time.Time // deletion time by name, for QueueDeletedRecently
	tasks   taskSet
	dirty   bool // state changed since the last SaveState

	done      chan struct{} // closed by Close
	closeOnce sync.Once
	wg        sync.WaitGroup // move task goroutines

	saver awsproto.StateSaver
}

// New builds the service, loading saved state from cfg.StateDir if any, and
// resumes the move tasks that were running.
func New(cfg Config) (*Service, error) {
	cfg.Region = cmp.Or(cfg.Region, "us-east-1")
	cfg.AccountID = cmp.Or(cfg.AccountID, "000000000000")
	if cfg.DuplicateRate < 0 || cfg.DuplicateRate > 1 {
		return nil, fmt.Errorf("sqs: duplicate rate %v is not between 0 and 1", cfg.DuplicateRate)
	}
	s := &Service{
		cfg:     cfg,
		now:     cfg.Now,
		queues:  map[string]*queue{},
		deleted: map[string]time.Time{},
		tasks:   newTaskSet(),
		done:    make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.ops = s.operations()
	if err := s.loadState(); err != nil {
		return nil, err
	}
	s.resumeTasks()
	return s, nil
}

// Close stops background work (move tasks) and wakes long polls, which
// return what they have. State stays in memory, so SaveState after Close
// still writes it.
func (s *Service) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	s.wg.Wait()
	return nil
}

// ctxOf returns the call's context, or a background one for calls made
// without (SendToQueue callers, tests).
func ctxOf(call *awsproto.Call) context.Context {
	if call == nil || call.Ctx == nil {
		return context.Background()
	}
	return call.Ctx
}

// lookupURL resolves a QueueUrl (or bare name). The caller holds s.mu.
func (s *Service) lookupURL(queueURL string) (*queue, *awsproto.Error) {
	if queueURL == "" {
		return nil, errMissingParameter("QueueUrl")
	}
	name, ok := s.nameFromURL(queueURL)
	if !ok {
		return nil, errQueueDoesNotExist()
	}
	q := s.queues[name]
	if q == nil {
		return nil, errQueueDoesNotExist()
	}
	return q, nil
}

// lookupARN resolves a queue ARN; nil when no such queue. The caller holds
// s.mu.
func (s *Service) lookupARN(arn string) *queue {
	name, ok := s.nameFromARN(arn)
	if !ok {
		return nil
	}
	return s.queues[name]
}

// withQueue runs f on the queue a QueueUrl names, under the lock, after
// applying the transitions time has made due.
func (s *Service) withQueue(queueURL string, f func(q *queue, now time.Time) *awsproto.Error) *awsproto.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.lookupURL(queueURL)
	if e != nil {
		return e
	}
	now := s.now()
	if q.tick(now) {
		s.dirty = true
	}
	return f(q, now)
}
