package sqs

import (
	"slices"
	"strings"
	"time"
)

// QueueStats is one queue's depth and the age of its oldest message, as
// the endpoint's own /_localaws/queues view shows them. SQS's API has no
// oldest-message age (on AWS it is the CloudWatch metric
// ApproximateAgeOfOldestMessage); localaws knows it exactly.
type QueueStats struct {
	Name     string `json:"name"`
	Visible  int    `json:"visible"`
	InFlight int    `json:"in_flight"`
	Delayed  int    `json:"delayed"`
	// OldestEnqueuedAt is when the oldest message still stored (visible,
	// in flight or delayed) was enqueued; zero for an empty queue. A
	// message moved to a standard dead-letter queue keeps its original
	// enqueue time, as on SQS.
	OldestEnqueuedAt time.Time `json:"oldest_enqueued_at,omitzero"`
	// OldestAge is now minus OldestEnqueuedAt, by the endpoint's clock.
	OldestAge time.Duration `json:"-"`
}

// Stats returns every queue's stats, sorted by name, after applying the
// transitions time has made due. Finding the oldest message scans the
// queue's messages, so it costs O(messages) under the service's lock: a
// view for people and tools, not for every request.
func (s *Service) Stats() []QueueStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := make([]QueueStats, 0, len(s.queues))
	for _, q := range s.queues {
		if q.tick(now) {
			s.dirty = true
		}
		st := QueueStats{Name: q.name, Visible: q.nVisible, InFlight: q.inflight.Len(), Delayed: q.delayed.Len()}
		for _, m := range q.msgs {
			if m.state != stateNone && (st.OldestEnqueuedAt.IsZero() || m.enqueuedAt.Before(st.OldestEnqueuedAt)) {
				st.OldestEnqueuedAt = m.enqueuedAt
			}
		}
		if !st.OldestEnqueuedAt.IsZero() {
			st.OldestAge = max(0, now.Sub(st.OldestEnqueuedAt))
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b QueueStats) int { return strings.Compare(a.Name, b.Name) })
	return out
}
