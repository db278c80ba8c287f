package sqs

import (
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// changeVisibility sets the visibility timeout of the message a receipt
// handle designates, counted from now (reference §1.6, §1.7). 0 makes it
// visible at once (and unlocks its FIFO group). The message's total
// visibility since the receive that issued the handle may not pass 12 hours;
// a change beyond that is refused, not clamped. The new timeout is not
// remembered for later receives. The caller holds s.mu.
func (s *Service) changeVisibility(q *queue, h string, timeout *int32, now time.Time) *awsproto.Error {
	var t int32
	if timeout != nil {
		t = *timeout
	}
	if t < 0 || t > maxVisibility {
		return errInvalidParameter("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and %d.", t, maxVisibility)
	}
	m, rh, e := q.lookupHandle(h, now)
	if e != nil {
		return e
	}
	if m == nil {
		return errMessageNotAvailable(h)
	}
	latest := rh.receive == m.receiveCount
	switch {
	case q.fifo && (!latest || m.state != stateInflight):
		return errReceiptHandleExpired(h)
	case !latest:
		// Received again since this handle was issued: the handle no longer
		// holds the message.
		return errMessageNotAvailable(h)
	case m.state != stateInflight:
		// Standard queue, visibility already expired and not received
		// again: SQS answers success and nothing changes.
		return nil
	}
	deadline := now.Add(time.Duration(t) * time.Second)
	if deadline.Sub(m.receivedAt) > maxVisibility*time.Second {
		return errInvalidParameter("Value %d for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [%d seconds]", t, maxVisibility)
	}
	if t == 0 {
		q.detach(m)
		q.makeVisible(m)
	} else {
		m.due = deadline
		q.inflight.fix(m.idx)
	}
	q.signal() // visible now, or due at another time than long polls expect
	s.dirty = true
	return nil
}

func (s *Service) changeMessageVisibility(_ *awsproto.Call, in *ChangeMessageVisibilityInput) (*noOutput, *awsproto.Error) {
	return nil, s.withQueue(in.QueueUrl, func(q *queue, now time.Time) *awsproto.Error {
		return s.changeVisibility(q, in.ReceiptHandle, in.VisibilityTimeout, now)
	})
}

func (s *Service) changeMessageVisibilityBatch(_ *awsproto.Call, in *ChangeMessageVisibilityBatchInput) (*ChangeMessageVisibilityBatchOutput, *awsproto.Error) {
	ids := make([]string, len(in.Entries))
	for i, en := range in.Entries {
		ids[i] = en.Id
	}
	out := &ChangeMessageVisibilityBatchOutput{Successful: []BatchResultEntry{}, Failed: []BatchResultErrorEntry{}}
	e := s.withQueue(in.QueueUrl, func(q *queue, now time.Time) *awsproto.Error {
		if e := checkBatch(ids, "ChangeMessageVisibilityBatchRequestEntry"); e != nil {
			return e
		}
		for _, en := range in.Entries {
			if e := s.changeVisibility(q, en.ReceiptHandle, en.VisibilityTimeout, now); e != nil {
				out.Failed = append(out.Failed, failedEntry(en.Id, e))
				continue
			}
			out.Successful = append(out.Successful, BatchResultEntry{Id: en.Id})
		}
		return nil
	})
	if e != nil {
		return nil, e
	}
	return out, nil
}
