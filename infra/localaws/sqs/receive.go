package sqs

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// Receive limits (reference §1.3, §1.5).
const (
	maxReceiveMessages = 10
	maxWaitSeconds     = 20
	maxInflight        = 120_000 // standard: OverLimit; FIFO: receives return fewer
)

// Message system attribute names a receive can ask for.
const (
	sysSenderID        = "SenderId"
	sysSentTimestamp   = "SentTimestamp"
	sysReceiveCount    = "ApproximateReceiveCount"
	sysFirstReceive    = "ApproximateFirstReceiveTimestamp"
	sysSequenceNumber  = "SequenceNumber"
	sysDedupID         = "MessageDeduplicationId"
	sysGroupID         = "MessageGroupId"
	sysDLQSourceArn    = "DeadLetterQueueSourceArn"
	sysAttributeAllKey = "All"
)

// receiveParams is a validated ReceiveMessage request.
type receiveParams struct {
	max          int
	visibility   *time.Duration // nil: the queue's
	wait         *time.Duration // nil: the queue's ReceiveMessageWaitTimeSeconds
	sysAll       bool
	sys          map[string]bool
	attrPatterns []string
	attemptID    string
}

func receiveParamsOf(in *ReceiveMessageInput) (receiveParams, *awsproto.Error) {
	p := receiveParams{max: 1, attrPatterns: in.MessageAttributeNames}
	if v := in.MaxNumberOfMessages; v != nil {
		if *v < 1 || *v > maxReceiveMessages {
			return p, errInvalidParameter("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and %d, if provided.", *v, maxReceiveMessages)
		}
		p.max = int(*v)
	}
	if v := in.WaitTimeSeconds; v != nil {
		if *v < 0 || *v > maxWaitSeconds {
			return p, errInvalidParameter("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= %d, if provided.", *v, maxWaitSeconds)
		}
		d := time.Duration(*v) * time.Second
		p.wait = &d
	}
	if v := in.VisibilityTimeout; v != nil {
		if *v < 0 || *v > maxVisibility {
			return p, errInvalidParameter("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= %d, if provided.", *v, maxVisibility)
		}
		d := time.Duration(*v) * time.Second
		p.visibility = &d
	}
	if v := in.ReceiveRequestAttemptId; v != nil {
		if !validFIFOID(*v) {
			return p, errInvalidFIFOID("ReceiveRequestAttemptId", *v)
		}
		p.attemptID = *v
	}
	// The legacy AttributeNames and MessageSystemAttributeNames are merged;
	// names that are not message system attributes are ignored.
	p.sys = map[string]bool{}
	for _, names := range [][]string{in.AttributeNames, in.MessageSystemAttributeNames} {
		for _, n := range names {
			if n == sysAttributeAllKey {
				p.sysAll = true
			}
			p.sys[n] = true
		}
	}
	return p, nil
}

func (s *Service) receiveMessage(call *awsproto.Call, in *ReceiveMessageInput) (*ReceiveMessageOutput, *awsproto.Error) {
	p, e := receiveParamsOf(in)
	if e != nil {
		return nil, e
	}
	ctx := ctxOf(call)
	var (
		deadline time.Time // of the long poll, in real time
		limit    *time.Timer
	)
	defer func() {
		if limit != nil {
			limit.Stop()
		}
	}()
	for {
		// A caller that gave up takes nothing: the messages would stay
		// invisible for their visibility timeout with nobody to answer.
		if ctx.Err() != nil {
			return &ReceiveMessageOutput{}, nil
		}
		s.mu.Lock()
		q, e := s.lookupURL(in.QueueUrl)
		if e != nil {
			s.mu.Unlock()
			return nil, e
		}
		now := s.now()
		if q.tick(now) {
			s.dirty = true
		}
		out, e := s.collect(q, p, now)
		if e != nil || len(out.Messages) > 0 {
			s.mu.Unlock()
			return out, e
		}
		if limit == nil {
			wait := q.cfg.wait
			if p.wait != nil {
				wait = *p.wait
			}
			if wait <= 0 {
				s.mu.Unlock()
				return out, nil
			}
			deadline = time.Now().Add(wait)
			limit = time.NewTimer(wait)
		}
		wake := q.waitChan()
		due := q.nextDue()
		s.mu.Unlock()

		if !time.Now().Before(deadline) {
			return out, nil
		}
		// Sleep until a send (or anything else) signals the queue, an
		// in-flight or delayed message falls due, the poll times out, the
		// caller gives up or the service closes; then look again.
		var dueC <-chan time.Time
		var dueTimer *time.Timer
		if !due.IsZero() {
			dueTimer = time.NewTimer(max(due.Sub(now), 0))
			dueC = dueTimer.C
		}
		stop := false
		select {
		case <-wake:
		case <-dueC:
		case <-limit.C:
			stop = true
		case <-ctx.Done():
			stop = true
		case <-s.done:
			stop = true
		}
		if dueTimer != nil {
			dueTimer.Stop()
		}
		if stop {
			return out, nil
		}
	}
}

// collect receives up to p.max visible messages from q. The caller holds
// s.mu and has run q.tick.
func (s *Service) collect(q *queue, p receiveParams, now time.Time) (*ReceiveMessageOutput, *awsproto.Error) {
	out := &ReceiveMessageOutput{}
	visibility := q.cfg.visibility
	if p.visibility != nil {
		visibility = *p.visibility
	}
	if q.fifo && p.attemptID != "" {
		q.pruneAttempts(now)
		if a := q.attempts[p.attemptID]; a != nil {
			if msgs, handles := q.replayAttempt(a, now, visibility); msgs != nil {
				s.dirty = true
				for i, m := range msgs {
					out.Messages = append(out.Messages, s.output(q, m, handles[i], p))
				}
				return out, nil
			}
		}
	}
	if !q.fifo && q.inflight.Len() >= maxInflight {
		return nil, errOverLimit("The maximum number of in flight messages (%d) is reached for queue %s.", maxInflight, q.name)
	}

	var delivered []*message
	var handles []string
	take := func(m *message) {
		if q.expired(m, now) {
			q.forget(m)
			return
		}
		if dlq := s.deadLetterQueue(q, m); dlq != nil {
			s.moveToDeadLetterQueue(q, m, dlq, now)
			return
		}
		q.detach(m)
		m.receiveCount++
		if m.firstReceive.IsZero() {
			m.firstReceive = now
		}
		m.receivedAt = now
		q.takeInflight(m, now.Add(visibility))
		delivered = append(delivered, m)
		handles = append(handles, encodeHandle(q.id, m.slot, m.receiveCount))
	}
	if q.fifo {
		// Oldest available group first; several consecutive messages of one
		// group may go in one receive, after which the group is locked until
		// they are deleted or visible again.
		for len(delivered) < p.max && q.inflight.Len() < maxInflight {
			g, ok := q.avail.peek()
			if !ok {
				break
			}
			for len(delivered) < p.max {
				m, ok := g.visible.peek()
				if !ok {
					break
				}
				take(m)
			}
		}
	} else {
		for len(delivered) < p.max {
			m, ok := q.visible.peek()
			if !ok {
				break
			}
			take(m)
		}
		s.duplicate(q, delivered, now)
	}
	if len(delivered) == 0 {
		return out, nil
	}
	s.dirty = true
	if q.fifo && p.attemptID != "" {
		a := &receiveAttempt{at: now, handles: handles}
		for _, m := range delivered {
			a.slots = append(a.slots, m.slot)
			a.receives = append(a.receives, m.receiveCount)
		}
		q.attempts[p.attemptID] = a
	}
	out.Messages = make([]Message, len(delivered))
	for i, m := range delivered {
		out.Messages[i] = s.output(q, m, handles[i], p)
	}
	return out, nil
}

// duplicate applies Config.DuplicateRate to the messages a receive of a
// standard queue just delivered: each one picked gets an independent copy,
// visible at once, for a later receive (see Config.DuplicateRate).
func (s *Service) duplicate(q *queue, delivered []*message, now time.Time) {
	rate := s.cfg.DuplicateRate
	if rate <= 0 {
		return
	}
	for _, m := range delivered {
		if m.duplicate || rand.Float64() >= rate {
			continue
		}
		c := copyMessage(m)
		c.duplicate = true
		c.seq = m.seq // near the front, where the original was
		// Both copies are the same delivery attempt: the copy shows the
		// same ApproximateReceiveCount when received, and is not pushed to
		// the dead-letter queue for a receive the original already counted.
		c.receiveCount = m.receiveCount - 1
		q.store(c, now)
	}
}

// output renders a delivered message with the system attributes and message
// attributes the receive asked for. MD5OfMessageAttributes covers exactly
// the attributes returned. The caller holds s.mu.
func (s *Service) output(q *queue, m *message, handle string, p receiveParams) Message {
	out := Message{
		MessageId: m.id, ReceiptHandle: handle, MD5OfBody: m.md5Body, Body: m.body,
		Attributes: s.systemAttributes(q, m, p),
	}
	if sel := selectAttributes(m.attrs, p.attrPatterns); len(sel) > 0 {
		if len(sel) == len(m.attrs) {
			// All of them, as consumers usually ask: converted once per
			// message, since they never change.
			if m.wireAttrs == nil {
				m.wireAttrs = toOutputAttributes(m.attrs)
			}
			out.MessageAttributes = m.wireAttrs
			out.MD5OfMessageAttributes = m.md5Attrs
		} else {
			out.MessageAttributes = toOutputAttributes(sel)
			out.MD5OfMessageAttributes = md5OfAttributes(sel)
		}
	}
	return out
}

// systemAttributes returns the requested message system attributes that
// apply to m. Timestamps are epoch milliseconds.
func (s *Service) systemAttributes(q *queue, m *message, p receiveParams) attrMap {
	if !p.sysAll && len(p.sys) == 0 {
		return nil
	}
	out := attrMap{}
	add := func(name, value string) {
		if p.sysAll || p.sys[name] {
			out[name] = value
		}
	}
	add(sysSenderID, s.cfg.AccountID)
	add(sysSentTimestamp, strconv.FormatInt(m.sentAt.UnixMilli(), 10))
	add(sysReceiveCount, strconv.Itoa(m.receiveCount))
	add(sysFirstReceive, strconv.FormatInt(m.firstReceive.UnixMilli(), 10))
	if q.fifo {
		add(sysSequenceNumber, m.sequenceNumber)
		add(sysDedupID, m.dedupID)
	}
	if m.groupID != "" {
		add(sysGroupID, m.groupID)
	}
	if m.traceHeader != nil {
		add(traceHeaderAttr, *m.traceHeader)
	}
	if m.dlqSource != "" {
		add(sysDLQSourceArn, m.dlqSource)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
