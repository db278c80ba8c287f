package sqs

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// redrivePolicy is a parsed RedrivePolicy attribute.
type redrivePolicy struct {
	target          string // deadLetterTargetArn
	maxReceiveCount int
}

// Redrive limits (reference §1.2).
const (
	minMaxReceiveCount = 1
	maxMaxReceiveCount = 1000
	maxRedriveSources  = 10
)

// parseRedrivePolicy reads {"deadLetterTargetArn":"arn","maxReceiveCount":N};
// N may be a JSON number or a numeric string, as CloudFormation writes it. On
// failure it returns the reason.
func parseRedrivePolicy(v string) (*redrivePolicy, string) {
	var raw struct {
		Target *string          `json:"deadLetterTargetArn"`
		Max    *json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, "Redrive policy is not a valid JSON map."
	}
	if raw.Target == nil || *raw.Target == "" {
		return nil, "Redrive policy does not contain mandatory attribute: deadLetterTargetArn."
	}
	if raw.Max == nil {
		return nil, "Redrive policy does not contain mandatory attribute: maxReceiveCount."
	}
	text := strings.Trim(string(*raw.Max), `"`)
	n, err := strconv.Atoi(text)
	if err != nil || n < minMaxReceiveCount || n > maxMaxReceiveCount {
		return nil, fmt.Sprintf("Invalid value for maxReceiveCount: %s, valid values are from %d to %d both inclusive.", text, minMaxReceiveCount, maxMaxReceiveCount)
	}
	return &redrivePolicy{target: *raw.Target, maxReceiveCount: n}, ""
}

// String is the normalized form AWS returns, with maxReceiveCount a number.
func (p *redrivePolicy) String() string {
	b, _ := json.Marshal(struct {
		Target string `json:"deadLetterTargetArn"`
		Max    int    `json:"maxReceiveCount"`
	}{p.target, p.maxReceiveCount})
	return string(b)
}

// checkRedrivePolicy validates a RedrivePolicy for the queue self of the
// given type. It returns the normalized policy, or the reason it is invalid
// and false. An empty value removes the policy.
func (s *Service) checkRedrivePolicy(v string, fifo bool, self string) (string, bool) {
	if v == "" {
		return "", true
	}
	p, reason := parseRedrivePolicy(v)
	if p == nil {
		return reason, false
	}
	name, ok := s.nameFromARN(p.target)
	dlq := s.queues[name]
	if !ok || dlq == nil {
		return "Dead letter target does not exist.", false
	}
	// Store the DLQ's own ARN, so that lookups of sources by ARN match
	// whatever region the caller wrote.
	p.target = dlq.arn
	if p.target == self {
		return "A queue cannot be its own dead-letter queue.", false
	}
	if dlq.fifo != fifo {
		return "Dead-letter queue must be same type of queue as the source.", false
	}
	if allow := dlq.attrs[attrRedriveAllowPolicy]; allow != "" {
		var ap redriveAllowPolicy
		_ = json.Unmarshal([]byte(allow), &ap)
		switch {
		case ap.Permission == "denyAll",
			ap.Permission == "byQueue" && !slices.Contains(ap.Sources, self):
			return fmt.Sprintf("Queue %s does not allow this queue to be used as a dead-letter queue (RedriveAllowPolicy).", p.target), false
		}
	}
	return p.String(), true
}

// redriveAllowPolicy is a parsed RedriveAllowPolicy attribute.
type redriveAllowPolicy struct {
	Permission string   `json:"redrivePermission"`
	Sources    []string `json:"sourceQueueArns,omitempty"`
}

// checkRedriveAllowPolicy validates a RedriveAllowPolicy and returns it
// normalized, or the reason it is invalid and false.
func checkRedriveAllowPolicy(v string) (string, bool) {
	if v == "" {
		return "", true
	}
	var p redriveAllowPolicy
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return "Redrive allow policy is not a valid JSON map.", false
	}
	switch p.Permission {
	case "allowAll", "denyAll":
		if len(p.Sources) > 0 {
			return "sourceQueueArns may only be given with redrivePermission byQueue.", false
		}
	case "byQueue":
		if len(p.Sources) == 0 || len(p.Sources) > maxRedriveSources {
			return fmt.Sprintf("redrivePermission byQueue needs 1 to %d sourceQueueArns.", maxRedriveSources), false
		}
	default:
		return "redrivePermission must be allowAll, denyAll or byQueue.", false
	}
	b, _ := json.Marshal(p)
	return string(b), true
}

// deadLetterQueue returns the queue a receive must move m to instead of
// delivering it: when q has a RedrivePolicy whose target exists and one more
// receive would push m's receive count past maxReceiveCount. With
// maxReceiveCount N a message is thus delivered exactly N times.
func (s *Service) deadLetterQueue(q *queue, m *message) *queue {
	p := q.cfg.redrive
	if p == nil || m.receiveCount < p.maxReceiveCount {
		return nil
	}
	name, ok := s.nameFromARN(p.target)
	if !ok {
		return nil
	}
	dlq := s.queues[name]
	if dlq == nil || dlq == q {
		return nil
	}
	return dlq
}

// moveToDeadLetterQueue moves m from src into dlq. The message keeps its
// MessageId, body, attributes and receive count, and gains
// DeadLetterQueueSourceArn. A standard queue keeps the original enqueue time
// (time spent in the source counts against the DLQ's retention); a FIFO queue
// restarts it.
func (s *Service) moveToDeadLetterQueue(src *queue, m *message, dlq *queue, now time.Time) {
	src.forget(m)
	c := copyMessage(m)
	c.dlqSource = src.arn
	if dlq.fifo {
		c.enqueuedAt = now
		c.seq = dlq.nextSeq
		dlq.nextSeq++
		c.sequenceNumber = sequenceNumber(c.seq)
	}
	dlq.store(c, now)
}

// copyMessage copies what a message carries from queue to queue; the copy
// belongs to no queue yet (store assigns its slot and arrival order).
func copyMessage(m *message) *message {
	return &message{
		id: m.id, body: m.body, attrs: m.attrs, traceHeader: m.traceHeader,
		md5Body: m.md5Body, md5Attrs: m.md5Attrs, md5Sys: m.md5Sys,
		groupID: m.groupID, dedupID: m.dedupID, sequenceNumber: m.sequenceNumber,
		sentAt: m.sentAt, enqueuedAt: m.enqueuedAt,
		receiveCount: m.receiveCount, firstReceive: m.firstReceive,
		dlqSource: m.dlqSource, idx: -1,
	}
}
