package localaws

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/sqs"
)

// QueuesView is the answer of GET /_localaws/queues: every SQS queue's
// depth and the age of its oldest message, which SQS's API does not give
// (on AWS it is the CloudWatch metric ApproximateAgeOfOldestMessage).
type QueuesView struct {
	// Now is the endpoint's clock when the view was taken.
	Now    time.Time   `json:"now"`
	Queues []QueueView `json:"queues"`
}

// QueueView is one queue of a [QueuesView].
type QueueView struct {
	Name     string `json:"name"`
	Visible  int    `json:"visible"`
	InFlight int    `json:"in_flight"`
	Delayed  int    `json:"delayed"`
	// OldestEnqueuedAt is when the oldest stored message (visible, in
	// flight or delayed) was enqueued; absent for an empty queue.
	OldestEnqueuedAt time.Time `json:"oldest_enqueued_at,omitzero"`
	// OldestAgeSeconds is Now minus OldestEnqueuedAt; 0 for an empty queue.
	OldestAgeSeconds float64 `json:"oldest_age_seconds"`
}

// Queues returns the view GET /_localaws/queues serves.
func (s *Server) Queues() QueuesView {
	stats := s.sqs.Stats()
	v := QueuesView{Now: s.cfg.Now().UTC(), Queues: make([]QueueView, 0, len(stats))}
	for _, st := range stats {
		v.Queues = append(v.Queues, queueView(st))
	}
	return v
}

func queueView(st sqs.QueueStats) QueueView {
	q := QueueView{Name: st.Name, Visible: st.Visible, InFlight: st.InFlight, Delayed: st.Delayed}
	if !st.OldestEnqueuedAt.IsZero() {
		q.OldestEnqueuedAt = st.OldestEnqueuedAt.UTC()
		q.OldestAgeSeconds = st.OldestAge.Seconds()
	}
	return q
}

// serveQueues answers GET /_localaws/queues; it only reads.
func (s *Server) serveQueues(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.Queues())
}
