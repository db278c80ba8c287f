package sqs

import (
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// lookupHandle finds the message a receipt handle designates on q. A handle
// this queue did not issue is ReceiptHandleIsInvalid; m is nil when the
// message is gone (deleted, expired, purged, moved). The caller holds s.mu.
func (q *queue) lookupHandle(h string, now time.Time) (*message, receiptHandle, *awsproto.Error) {
	if h == "" {
		return nil, receiptHandle{}, errMissingParameter("ReceiptHandle")
	}
	rh, ok := decodeHandle(h)
	if !ok || rh.queueID != q.id {
		return nil, rh, errReceiptHandleInvalid(h)
	}
	m := q.msgs[rh.slot]
	if m != nil && q.expired(m, now) {
		q.forget(m)
		m = nil
	}
	return m, rh, nil
}

// deleteByHandle deletes the message a receipt handle designates
// (reference §1.7). Deleting a message that is already gone succeeds. On a
// standard queue any handle of the message deletes it, even one whose
// visibility timeout expired or an older one; on a FIFO queue only the
// newest handle of a message in flight does, others have expired. The caller
// holds s.mu.
func (s *Service) deleteByHandle(q *queue, h string, now time.Time) *awsproto.Error {
	m, rh, e := q.lookupHandle(h, now)
	if e != nil || m == nil {
		return e
	}
	if q.fifo && (rh.receive != m.receiveCount || m.state != stateInflight) {
		return errReceiptHandleExpired(h)
	}
	q.forget(m)
	s.dirty = true
	return nil
}

func (s *Service) deleteMessage(_ *awsproto.Call, in *DeleteMessageInput) (*noOutput, *awsproto.Error) {
	return nil, s.withQueue(in.QueueUrl, func(q *queue, now time.Time) *awsproto.Error {
		return s.deleteByHandle(q, in.ReceiptHandle, now)
	})
}

func (s *Service) deleteMessageBatch(_ *awsproto.Call, in *DeleteMessageBatchInput) (*DeleteMessageBatchOutput, *awsproto.Error) {
	ids := make([]string, len(in.Entries))
	for i, en := range in.Entries {
		ids[i] = en.Id
	}
	out := &DeleteMessageBatchOutput{Successful: []BatchResultEntry{}, Failed: []BatchResultErrorEntry{}}
	e := s.withQueue(in.QueueUrl, func(q *queue, now time.Time) *awsproto.Error {
		if e := checkBatch(ids, "DeleteMessageBatchRequestEntry"); e != nil {
			return e
		}
		for _, en := range in.Entries {
			if e := s.deleteByHandle(q, en.ReceiptHandle, now); e != nil {
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
