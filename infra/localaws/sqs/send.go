package sqs

import (
	"context"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// maxDelaySeconds is the longest per-message or queue delay.
const maxDelaySeconds = 900

// sendRequest is one message to send, from SendMessage, a SendMessageBatch
// entry or SendToQueue.
type sendRequest struct {
	body     string
	delay    *int32
	attrs    map[string]MessageAttributeValue
	sysAttrs map[string]MessageAttributeValue
	groupID  *string
	dedupID  *string
}

func (r sendRequest) size() int {
	n := len(r.body)
	for name, a := range r.attrs {
		n += len(name) + len(a.DataType) + len(a.BinaryValue)
		if a.StringValue != nil {
			n += len(*a.StringValue)
		}
	}
	return n
}

// prepare validates what does not depend on the queue (body, attributes)
// and computes the digests, outside the lock: MD5 of a 1 MiB body is not
// free.
func prepare(r sendRequest) (*message, *awsproto.Error) {
	if r.body == "" {
		return nil, errMissingParameter("MessageBody")
	}
	if !validContent(r.body) {
		return nil, errInvalidMessageContents(msgInvalidCharacters)
	}
	attrs, e := convertMessageAttributes(r.attrs)
	if e != nil {
		return nil, e
	}
	trace, md5Sys, e := convertSystemAttributes(r.sysAttrs)
	if e != nil {
		return nil, e
	}
	return &message{
		body: r.body, attrs: attrs, traceHeader: trace,
		md5Body: md5Hex(r.body), md5Attrs: md5OfAttributes(attrs), md5Sys: md5Sys,
		idx: -1,
	}, nil
}

// enqueue stores a prepared message on q, applying the queue's rules: size,
// delay, and for FIFO queues group ids and deduplication. batch selects the
// wording SQS uses for batch entries. The caller holds s.mu.
func (s *Service) enqueue(q *queue, m *message, r sendRequest, now time.Time, batch bool) (*SendMessageOutput, *awsproto.Error) {
	if m.size() > q.cfg.maxSize {
		verb := "are invalid"
		if batch {
			verb = "cannot be validated"
		}
		return nil, errInvalidParameter("One or more parameters %s. Reason: Message must be shorter than %d bytes.", verb, q.cfg.maxSize)
	}
	delay := q.cfg.delay
	if r.delay != nil {
		d := *r.delay
		if q.fifo && d != 0 {
			return nil, errInvalidParameter("Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", d)
		}
		if d < 0 || d > maxDelaySeconds {
			return nil, errInvalidParameter("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= %d.", d, maxDelaySeconds)
		}
		if !q.fifo {
			delay = time.Duration(d) * time.Second
		}
	}
	if r.groupID != nil {
		if !validFIFOID(*r.groupID) {
			return nil, errInvalidFIFOID("MessageGroupId", *r.groupID)
		}
		m.groupID = *r.groupID
	}
	if r.dedupID != nil && !q.fifo {
		return nil, errInvalidParameter("Value %s for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.", *r.dedupID)
	}

	out := &SendMessageOutput{MD5OfMessageBody: m.md5Body, MD5OfMessageAttributes: m.md5Attrs, MD5OfMessageSystemAttributes: m.md5Sys}
	if q.fifo {
		if r.groupID == nil {
			if batch {
				return nil, errInvalidParameter("The request must contain the parameter MessageGroupId.")
			}
			return nil, errMissingParameter("MessageGroupId")
		}
		switch {
		case r.dedupID != nil:
			if !validFIFOID(*r.dedupID) {
				return nil, errInvalidFIFOID("MessageDeduplicationId", *r.dedupID)
			}
			m.dedupID = *r.dedupID
		case q.cfg.contentBasedDedup:
			m.dedupID = contentDedupID(m.body)
		default:
			return nil, errInvalidParameter("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
		key := dedupKey(q, m.groupID, m.dedupID)
		if rec := q.dedup.lookup(key, now); rec != nil {
			// A duplicate within the window is accepted and dropped.
			out.MessageId, out.SequenceNumber = rec.MessageID, rec.SequenceNumber
			return out, nil
		}
		m.id = awsproto.NewUUID()
		m.seq = q.nextSeq
		q.nextSeq++
		m.sequenceNumber = sequenceNumber(m.seq)
		q.dedup.add(&dedupRecord{Key: key, MessageID: m.id, SequenceNumber: m.sequenceNumber, Expires: now.Add(dedupWindow)})
		out.SequenceNumber = m.sequenceNumber
	} else {
		m.id = awsproto.NewUUID()
	}
	m.sentAt, m.enqueuedAt = now, now
	m.due = now.Add(delay)
	q.store(m, now)
	s.dirty = true
	out.MessageId = m.id
	return out, nil
}

func (s *Service) sendMessage(_ *awsproto.Call, in *SendMessageInput) (*SendMessageOutput, *awsproto.Error) {
	r := sendRequest{
		body: in.MessageBody, delay: in.DelaySeconds, attrs: in.MessageAttributes, sysAttrs: in.MessageSystemAttributes,
		groupID: in.MessageGroupId, dedupID: in.MessageDeduplicationId,
	}
	m, e := prepare(r)
	if e != nil {
		if e.Code != codeMissingParameter {
			// A missing queue is reported before a bad message.
			if qe := s.checkQueueExists(in.QueueUrl); qe != nil {
				return nil, qe
			}
		}
		return nil, e
	}
	var out *SendMessageOutput
	e = s.withQueue(in.QueueUrl, func(q *queue, now time.Time) *awsproto.Error {
		var e *awsproto.Error
		out, e = s.enqueue(q, m, r, now, false)
		return e
	})
	return out, e
}

// checkQueueExists answers the error of a QueueUrl that names no queue.
func (s *Service) checkQueueExists(queueURL string) *awsproto.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, e := s.lookupURL(queueURL)
	return e
}

func (s *Service) sendMessageBatch(_ *awsproto.Call, in *SendMessageBatchInput) (*SendMessageBatchOutput, *awsproto.Error) {
	ids := make([]string, len(in.Entries))
	total := 0
	reqs := make([]sendRequest, len(in.Entries))
	for i, en := range in.Entries {
		ids[i] = en.Id
		reqs[i] = sendRequest{
			body: en.MessageBody, delay: en.DelaySeconds, attrs: en.MessageAttributes, sysAttrs: en.MessageSystemAttributes,
			groupID: en.MessageGroupId, dedupID: en.MessageDeduplicationId,
		}
		total += reqs[i].size()
	}
	if e := s.checkQueueExists(in.QueueUrl); e != nil {
		return nil, e
	}
	if e := checkBatch(ids, "SendMessageBatchRequestEntry"); e != nil {
		return nil, e
	}
	if total > maxMessageSize {
		return nil, errBatchTooLong(total)
	}
	msgs := make([]*message, len(reqs))
	errs := make([]*awsproto.Error, len(reqs))
	for i, r := range reqs {
		msgs[i], errs[i] = prepare(r)
	}
	out := &SendMessageBatchOutput{Successful: []SendMessageBatchResultEntry{}, Failed: []BatchResultErrorEntry{}}
	e := s.withQueue(in.QueueUrl, func(q *queue, now time.Time) *awsproto.Error {
		// Entries are enqueued in order, so a FIFO group keeps entry order.
		for i, r := range reqs {
			if errs[i] != nil {
				out.Failed = append(out.Failed, failedEntry(ids[i], errs[i]))
				continue
			}
			res, e := s.enqueue(q, msgs[i], r, now, true)
			if e != nil {
				out.Failed = append(out.Failed, failedEntry(ids[i], e))
				continue
			}
			out.Successful = append(out.Successful, SendMessageBatchResultEntry{
				Id: ids[i], MessageId: res.MessageId, MD5OfMessageBody: res.MD5OfMessageBody,
				MD5OfMessageAttributes: res.MD5OfMessageAttributes, MD5OfMessageSystemAttributes: res.MD5OfMessageSystemAttributes,
				SequenceNumber: res.SequenceNumber,
			})
		}
		return nil
	})
	if e != nil {
		return nil, e
	}
	return out, nil
}

// SendToQueue enqueues a message on the queue with the given ARN, as SNS
// delivery does: the same validation, digests and FIFO group and
// deduplication handling as SendMessage. It fails when the queue does not
// exist or the message is not valid for it; the error is an *awsproto.Error.
func (s *Service) SendToQueue(ctx context.Context, queueARN string, qm awsproto.QueueMessage) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := sendRequest{body: qm.Body}
	if len(qm.Attributes) > 0 {
		r.attrs = make(map[string]MessageAttributeValue, len(qm.Attributes))
		for name, a := range qm.Attributes {
			r.attrs[name] = MessageAttributeValue{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue}
		}
	}
	if qm.MessageGroupID != "" {
		r.groupID = &qm.MessageGroupID
	}
	if qm.MessageDeduplicationID != "" {
		r.dedupID = &qm.MessageDeduplicationID
	}
	m, e := prepare(r)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.lookupARN(queueARN)
	if q == nil {
		e := errQueueDoesNotExist()
		e.Message = "The specified queue does not exist: " + queueARN
		return e
	}
	now := s.now()
	q.tick(now)
	if _, e := s.enqueue(q, m, r, now, false); e != nil {
		return e
	}
	return nil
}
