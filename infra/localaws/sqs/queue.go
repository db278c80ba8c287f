package sqs

import (
	"time"
)

// queue is one queue and its messages. Every field is guarded by Service.mu.
//
// Messages live in exactly one container at a time, by state:
//   - delayed: a heap ordered by the time the delay ends;
//   - in flight: a heap ordered by visibility deadline;
//   - visible: for a standard queue a heap in arrival order; for a FIFO queue
//     one arrival-ordered heap per message group, plus a heap of the groups
//     that can deliver (some visible message, none in flight) ordered by
//     their oldest message.
//
// Time-driven transitions (delay over, visibility expired) happen lazily in
// tick, which every operation on the queue runs first, so no goroutine or
// timer per message is needed; a waiting long poll sets a timer for the
// earliest due time instead.
type queue struct {
	id       string // random; tells apart two queues that had the same name (receipt handles)
	name     string
	arn      string
	fifo     bool
	attrs    map[string]string // settable attributes, normalized, defaults included
	cfg      queueConfig       // attrs parsed
	created  time.Time
	modified time.Time
	tags     map[string]string

	msgs     map[uint64]*message // by slot
	nextSlot uint64
	nextSeq  uint64

	visible  indexHeap[*message] // standard queues
	nVisible int
	groups   map[string]*group // FIFO queues
	avail    indexHeap[*group] // FIFO groups that can deliver
	inflight indexHeap[*message]
	delayed  indexHeap[*message]

	dedup     dedupIndex                 // FIFO deduplication records
	attempts  map[string]*receiveAttempt // FIFO ReceiveRequestAttemptId records
	lastPurge time.Time
	lastSweep time.Time

	// wake is closed (and cleared) when something may have become
	// receivable sooner, to wake the long polls waiting on it. It is only
	// made when a long poll waits, so sends to a queue nobody waits on cost
	// nothing.
	wake chan struct{}
}

// group is a FIFO message group.
type group struct {
	id       string
	visible  indexHeap[*message] // arrival order
	inflight int                 // messages of the group in flight: the group is locked while > 0
	pending  int                 // messages of the group stored in any state; the group is dropped at 0
	idx      int                 // position in queue.avail, -1 when not there
}

func bySeq(a, b *message) bool { return a.seq < b.seq }

func byDue(a, b *message) bool {
	if a.due.Equal(b.due) {
		return a.seq < b.seq
	}
	return a.due.Before(b.due)
}

func setMsgIndex(m *message, i int) { m.idx = i }

func newQueue(id, name, arn string, fifo bool, now time.Time) *queue {
	return &queue{
		id: id, name: name, arn: arn, fifo: fifo,
		created: now, modified: now,
		tags:     map[string]string{},
		msgs:     map[uint64]*message{},
		visible:  newIndexHeap(bySeq, setMsgIndex),
		groups:   map[string]*group{},
		avail:    newIndexHeap(func(a, b *group) bool { return a.head().seq < b.head().seq }, func(g *group, i int) { g.idx = i }),
		inflight: newIndexHeap(byDue, setMsgIndex),
		delayed:  newIndexHeap(byDue, setMsgIndex),
		dedup:    newDedupIndex(),
		attempts: map[string]*receiveAttempt{},
		nextSlot: 1,
		nextSeq:  1,
	}
}

func (g *group) head() *message {
	m, _ := g.visible.peek()
	return m
}

// signal wakes the long polls waiting on the queue.
func (q *queue) signal() {
	if q.wake != nil {
		close(q.wake)
		q.wake = nil
	}
}

// waitChan returns the channel the next signal closes.
func (q *queue) waitChan() <-chan struct{} {
	if q.wake == nil {
		q.wake = make(chan struct{})
	}
	return q.wake
}

// store adds a new message: delayed when due is after now, else visible.
// It assigns the slot and the arrival sequence.
func (q *queue) store(m *message, now time.Time) {
	m.slot = q.nextSlot
	q.nextSlot++
	if m.seq == 0 {
		m.seq = q.nextSeq
		q.nextSeq++
	}
	q.msgs[m.slot] = m
	q.joinGroup(m)
	if m.due.After(now) {
		m.state = stateDelayed
		q.delayed.push(m)
	} else {
		q.makeVisible(m)
	}
	q.signal()
}

// joinGroup counts a newly stored message in its FIFO group, creating the
// group on its first message.
func (q *queue) joinGroup(m *message) {
	if !q.fifo {
		return
	}
	g := q.groups[m.groupID]
	if g == nil {
		g = &group{id: m.groupID, visible: newIndexHeap(bySeq, setMsgIndex), idx: -1}
		q.groups[m.groupID] = g
	}
	g.pending++
	m.group = g
}

// makeVisible puts a detached message among the visible ones.
func (q *queue) makeVisible(m *message) {
	m.state = stateVisible
	m.due = time.Time{}
	q.nVisible++
	if g := m.group; g != nil {
		g.visible.push(m)
		q.refreshGroup(g)
		return
	}
	q.visible.push(m)
}

// detach takes a message out of whatever container holds it.
func (q *queue) detach(m *message) {
	switch m.state {
	case stateVisible:
		q.nVisible--
		if g := m.group; g != nil {
			g.visible.remove(m.idx)
			q.refreshGroup(g)
		} else {
			q.visible.remove(m.idx)
		}
	case stateInflight:
		q.inflight.remove(m.idx)
		if g := m.group; g != nil {
			g.inflight--
			q.refreshGroup(g)
		}
	case stateDelayed:
		q.delayed.remove(m.idx)
	}
	m.state = stateNone
}

// forget drops a message for good (deleted, expired, purged, moved away).
func (q *queue) forget(m *message) {
	q.detach(m)
	delete(q.msgs, m.slot)
	if g := m.group; g != nil {
		g.pending--
		q.refreshGroup(g)
	}
}

// takeInflight starts a detached message's visibility timeout.
func (q *queue) takeInflight(m *message, deadline time.Time) {
	m.state = stateInflight
	m.due = deadline
	q.inflight.push(m)
	if g := m.group; g != nil {
		g.inflight++
		q.refreshGroup(g)
	}
}

// refreshGroup puts a FIFO group in or out of the available groups after
// its state changed, and drops it once it holds no message.
func (q *queue) refreshGroup(g *group) {
	canDeliver := g.inflight == 0 && g.visible.Len() > 0
	switch {
	case canDeliver && g.idx < 0:
		q.avail.push(g)
	case canDeliver:
		q.avail.fix(g.idx) // its oldest message may have changed
	case g.idx >= 0:
		q.avail.remove(g.idx)
	}
	if g.pending == 0 && q.groups[g.id] == g {
		delete(q.groups, g.id)
	}
}

// expired reports whether m outlived the queue's retention period.
func (q *queue) expired(m *message, now time.Time) bool {
	return now.Sub(m.enqueuedAt) >= q.cfg.retention
}

// sweepEvery bounds how often tick scans the whole queue for messages past
// their retention period; receives drop expired messages as they meet them.
const sweepEvery = time.Minute

// tick applies the transitions that time has made due: delays ending,
// visibility timeouts expiring (the message becomes visible again with the
// same id, body and attributes) and, now and then, retention. It reports
// whether anything changed.
func (q *queue) tick(now time.Time) bool {
	changed := false
	for {
		m, ok := q.inflight.peek()
		if !ok || m.due.After(now) {
			break
		}
		q.detach(m)
		if q.expired(m, now) {
			q.forget(m)
		} else {
			q.makeVisible(m)
		}
		changed = true
	}
	for {
		m, ok := q.delayed.peek()
		if !ok || m.due.After(now) {
			break
		}
		q.detach(m)
		if q.expired(m, now) {
			q.forget(m)
		} else {
			q.makeVisible(m)
		}
		changed = true
	}
	if now.Sub(q.lastSweep) >= sweepEvery {
		changed = q.sweep(now) || changed
	}
	return changed
}

// sweep drops every message past the retention period, in flight or not.
func (q *queue) sweep(now time.Time) bool {
	q.lastSweep = now
	var old []*message
	for _, m := range q.msgs {
		if q.expired(m, now) {
			old = append(old, m)
		}
	}
	for _, m := range old {
		q.forget(m)
	}
	return len(old) > 0
}

// nextDue is the earliest time a delayed or in-flight message becomes
// visible; zero when there is none.
func (q *queue) nextDue() time.Time {
	var t time.Time
	if m, ok := q.inflight.peek(); ok {
		t = m.due
	}
	if m, ok := q.delayed.peek(); ok && (t.IsZero() || m.due.Before(t)) {
		t = m.due
	}
	return t
}

// purge deletes every message, visible, delayed or in flight.
func (q *queue) purge() {
	for _, m := range q.msgs {
		m.state = stateNone
	}
	q.msgs = map[uint64]*message{}
	q.visible = newIndexHeap(bySeq, setMsgIndex)
	q.nVisible = 0
	q.groups = map[string]*group{}
	q.avail.items = nil
	q.inflight = newIndexHeap(byDue, setMsgIndex)
	q.delayed = newIndexHeap(byDue, setMsgIndex)
	q.attempts = map[string]*receiveAttempt{}
}
