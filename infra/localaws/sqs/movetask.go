package sqs

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// Move task statuses (reference §1.11).
const (
	taskRunning    = "RUNNING"
	taskCompleted  = "COMPLETED"
	taskCancelling = "CANCELLING"
	taskCancelled  = "CANCELLED"
	taskFailed     = "FAILED"
)

// Move task limits.
const (
	maxMoveRate      = 500 // MaxNumberOfMessagesPerSecond
	maxTaskResults   = 10  // ListMessageMoveTasks MaxResults, and the history kept per source
	unpacedMoveChunk = 100 // messages moved per lock hold when no rate is given
)

// moveTask is one StartMessageMoveTask: it moves the messages of a
// dead-letter queue back to their source queues (or to DestinationArn) in a
// background goroutine. Fields are exported for the state file; all are
// guarded by Service.mu.
type moveTask struct {
	Handle    string
	SourceARN string
	DestARN   string // "" means each message's DeadLetterQueueSourceArn
	Rate      int32  // MaxNumberOfMessagesPerSecond; 0 means as fast as possible
	Status    string
	Moved     int64
	ToMove    int64
	Failure   string
	Started   time.Time

	cancel chan struct{} // closed by CancelMessageMoveTask
}

// taskSet holds the move tasks, the latest maxTaskResults per source queue.
type taskSet struct {
	bySource map[string][]*moveTask // oldest first
	byHandle map[string]*moveTask
}

func newTaskSet() taskSet {
	return taskSet{bySource: map[string][]*moveTask{}, byHandle: map[string]*moveTask{}}
}

func (ts *taskSet) add(t *moveTask) {
	list := append(ts.bySource[t.SourceARN], t)
	if len(list) > maxTaskResults {
		for _, old := range list[:len(list)-maxTaskResults] {
			delete(ts.byHandle, old.Handle)
		}
		list = append([]*moveTask(nil), list[len(list)-maxTaskResults:]...)
	}
	ts.bySource[t.SourceARN] = list
	ts.byHandle[t.Handle] = t
}

func (ts *taskSet) running(source string) bool {
	for _, t := range ts.bySource[source] {
		if t.Status == taskRunning {
			return true
		}
	}
	return false
}

// taskHandle is opaque to clients; like AWS's it is base64 of a small JSON
// document naming the task and its source.
func taskHandle(source string) string {
	b, _ := json.Marshal(struct {
		TaskID    string `json:"taskId"`
		SourceArn string `json:"sourceArn"`
	}{awsproto.NewUUID(), source})
	return base64.StdEncoding.EncodeToString(b)
}

func (s *Service) startMessageMoveTask(_ *awsproto.Call, in *StartMessageMoveTaskInput) (*StartMessageMoveTaskOutput, *awsproto.Error) {
	if in.SourceArn == "" {
		return nil, errMissingParameter("SourceArn")
	}
	var rate int32
	if r := in.MaxNumberOfMessagesPerSecond; r != nil {
		if *r < 1 || *r > maxMoveRate {
			return nil, errInvalidParameter("Value %d for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and %d.", *r, maxMoveRate)
		}
		rate = *r
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	src := s.lookupARN(in.SourceArn)
	if src == nil {
		return nil, errResourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	if len(s.sourcesOf(src)) == 0 {
		return nil, errInvalidParameter("Source queue must be configured as a Dead Letter Queue.")
	}
	if in.DestinationArn != "" {
		dst := s.lookupARN(in.DestinationArn)
		switch {
		case dst == nil:
			return nil, errResourceNotFound("The resource that you specified for the DestinationArn parameter doesn't exist.")
		case dst == src:
			return nil, errInvalidParameter("Value %s for parameter DestinationArn is invalid. Reason: Source and destination queues must be different.", in.DestinationArn)
		case dst.fifo != src.fifo:
			return nil, errInvalidParameter("Value %s for parameter DestinationArn is invalid. Reason: Source and destination queues must be of the same type.", in.DestinationArn)
		}
	}
	if s.tasks.running(src.arn) {
		return nil, errInvalidParameter("There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
	}
	now := s.now()
	src.tick(now)
	t := &moveTask{
		Handle: taskHandle(src.arn), SourceARN: src.arn, DestARN: in.DestinationArn, Rate: rate,
		Status: taskRunning, ToMove: int64(src.nVisible), Started: now,
		cancel: make(chan struct{}),
	}
	s.tasks.add(t)
	s.dirty = true
	s.wg.Add(1)
	go s.runTask(t)
	return &StartMessageMoveTaskOutput{TaskHandle: t.Handle}, nil
}

// resumeTasks restarts the tasks that were running when the state was saved.
func (s *Service) resumeTasks() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tasks.byHandle {
		switch t.Status {
		case taskRunning:
			t.cancel = make(chan struct{})
			s.wg.Add(1)
			go s.runTask(t)
		case taskCancelling:
			t.Status = taskCancelled
		}
	}
}

// runTask moves a task's messages until done, cancelled or the service
// closes (a task interrupted by Close stays RUNNING and resumes with the
// saved state). With a rate it moves one message per 1/rate seconds;
// without, batches of unpacedMoveChunk, releasing the lock in between.
func (s *Service) runTask(t *moveTask) {
	defer s.wg.Done()
	n := unpacedMoveChunk
	var pace <-chan time.Time
	if t.Rate > 0 {
		tick := time.NewTicker(time.Second / time.Duration(t.Rate))
		defer tick.Stop()
		pace, n = tick.C, 1
	}
	for {
		select {
		case <-s.done:
			return
		case <-t.cancel:
			return
		default:
		}
		if s.moveStep(t, n) {
			return
		}
		if pace != nil {
			select {
			case <-pace:
			case <-t.cancel:
				return
			case <-s.done:
				return
			}
		}
	}
}

// moveStep moves up to n messages and reports whether the task is over.
func (s *Service) moveStep(t *moveTask, n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.Status != taskRunning {
		return true
	}
	fail := func(format string, args ...any) bool {
		t.Status, t.Failure = taskFailed, fmt.Sprintf(format, args...)
		s.dirty = true
		return true
	}
	src := s.lookupARN(t.SourceARN)
	if src == nil {
		return fail("The source queue %s no longer exists.", t.SourceARN)
	}
	now := s.now()
	src.tick(now)
	for range n {
		m := src.nextVisible()
		if m == nil || t.Moved >= t.ToMove {
			t.Status = taskCompleted
			s.dirty = true
			return true
		}
		dest := t.DestARN
		if dest == "" {
			dest = m.dlqSource
		}
		if dest == "" {
			return fail("Message %s has no DeadLetterQueueSourceArn to return to; start the task with a DestinationArn.", m.id)
		}
		dq := s.lookupARN(dest)
		if dq == nil {
			return fail("The destination queue %s of message %s does not exist.", dest, m.id)
		}
		src.forget(m)
		dq.store(redrivenCopy(m, dq, now), now)
		t.Moved++
		s.dirty = true
	}
	return false
}

// nextVisible is the message a move task takes next: the oldest visible one
// (for FIFO, the head of the oldest available group, so groups keep their
// order).
func (q *queue) nextVisible() *message {
	if q.fifo {
		g, ok := q.avail.peek()
		if !ok {
			return nil
		}
		return g.head()
	}
	m, _ := q.visible.peek()
	return m
}

// redrivenCopy is m as it arrives back in dq from a dead-letter queue: the
// same MessageId, body, attributes and SentTimestamp, a fresh receive count
// and retention clock, and no DeadLetterQueueSourceArn.
func redrivenCopy(m *message, dq *queue, now time.Time) *message {
	c := copyMessage(m)
	c.dlqSource = ""
	c.receiveCount = 0
	c.firstReceive = time.Time{}
	c.enqueuedAt = now
	if dq.fifo {
		c.seq = dq.nextSeq
		dq.nextSeq++
		c.sequenceNumber = sequenceNumber(c.seq)
	}
	return c
}

func (s *Service) listMessageMoveTasks(_ *awsproto.Call, in *ListMessageMoveTasksInput) (*ListMessageMoveTasksOutput, *awsproto.Error) {
	if in.SourceArn == "" {
		return nil, errMissingParameter("SourceArn")
	}
	limit := 1
	if r := in.MaxResults; r != nil {
		if *r < 1 || *r > maxTaskResults {
			return nil, errInvalidParameter("Value %d for parameter MaxResults is invalid. Reason: Must be between 1 and %d.", *r, maxTaskResults)
		}
		limit = int(*r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	src := s.lookupARN(in.SourceArn)
	if src == nil {
		return nil, errResourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	out := &ListMessageMoveTasksOutput{}
	list := s.tasks.bySource[src.arn]
	for i := len(list) - 1; i >= 0 && len(out.Results) < limit; i-- {
		out.Results = append(out.Results, list[i].entry())
	}
	return out, nil
}

// entry describes the task as ListMessageMoveTasks does; the handle is only
// shown while the task runs.
func (t *moveTask) entry() ListMessageMoveTasksResultEntry {
	toMove := t.ToMove
	e := ListMessageMoveTasksResultEntry{
		Status: t.Status, SourceArn: t.SourceARN, DestinationArn: t.DestARN,
		ApproximateNumberOfMessagesMoved: t.Moved, ApproximateNumberOfMessagesToMove: &toMove,
		FailureReason: t.Failure, StartedTimestamp: t.Started.UnixMilli(),
	}
	if t.Status == taskRunning {
		e.TaskHandle = t.Handle
	}
	if t.Rate > 0 {
		rate := t.Rate
		e.MaxNumberOfMessagesPerSecond = &rate
	}
	return e
}

func (s *Service) cancelMessageMoveTask(_ *awsproto.Call, in *CancelMessageMoveTaskInput) (*CancelMessageMoveTaskOutput, *awsproto.Error) {
	if in.TaskHandle == "" {
		return nil, errMissingParameter("TaskHandle")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tasks.byHandle[in.TaskHandle]
	if t == nil {
		return nil, errResourceNotFound("Task does not exist.")
	}
	if t.Status != taskRunning {
		return nil, errInvalidParameter("Value %s for parameter TaskHandle is invalid. Reason: Only a task in status %s can be cancelled; this one is %s.", in.TaskHandle, taskRunning, t.Status)
	}
	// Moves happen under the lock, so once the status changes no further
	// message moves: the task is cancelled at once.
	t.Status = taskCancelled
	close(t.cancel)
	s.dirty = true
	return &CancelMessageMoveTaskOutput{ApproximateNumberOfMessagesMoved: t.Moved}, nil
}
