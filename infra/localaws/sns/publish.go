package sns

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// Publish limits (reference §3.7).
const (
	maxMessageBytes  = 262144 // message and attributes, UTF-8 bytes
	maxSubjectRunes  = 99     // subjects are shorter than 100 characters
	maxFIFOIDLength  = 128
	dedupWindow      = 5 * time.Minute
	messageStructure = "json"
)

// firstSequenceNumber is the first sequence number of a FIFO topic; they
// are 20-digit decimal strings, as AWS's are.
const firstSequenceNumber uint64 = 10000000000000000000

// publishEntry is one message to publish: the input of Publish, a
// PublishBatch entry, or PublishToTopic.
type publishEntry struct {
	Message                *string
	Subject                *string
	MessageStructure       *string
	MessageAttributes      []messageAttribute
	MessageGroupId         *string
	MessageDeduplicationId *string
}

// outgoing is a validated message, ready to number and deliver.
type outgoing struct {
	message string // as published
	sqsBody string // what SQS subscribers get (MessageStructure picks it)
	subject string // "" when none
	attrs   []messageAttribute
	groupID string
	dedupID string // FIFO topics: explicit, or derived from the message
}

// fifoIDRe is what MessageGroupId and MessageDeduplicationId may hold:
// letters, digits and punctuation.
var fifoIDRe = regexp.MustCompile("^[A-Za-z0-9!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~]{1,128}$")

func (s *Service) publish(ctx context.Context, in *publishInput) (*publishResult, *awsproto.Error) {
	if in.PhoneNumber != "" {
		return nil, errInvalidParameter("PhoneNumber Reason: this endpoint does not send SMS; publish to a topic")
	}
	if in.TopicArn == "" {
		return nil, errInvalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
	}
	t, e := s.publishTopic(in.TopicArn)
	if e != nil {
		return nil, e
	}
	m, e := prepareEntry(&in.publishEntry)
	if e != nil {
		return nil, e
	}
	if e, _ := s.checkFIFO(t, m, in.MessageGroupId, in.MessageDeduplicationId); e != nil {
		return nil, e
	}
	return s.send(ctx, t, m)
}

// publishTopic resolves the topic of a publish.
func (s *Service) publishTopic(arn string) (*topic, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookupTopicLocked(arn)
}

// prepareEntry validates what does not depend on the topic: message,
// subject, structure and attributes.
func prepareEntry(en *publishEntry) (*outgoing, *awsproto.Error) {
	if en.Message == nil {
		return nil, errMissing("Message")
	}
	msg := *en.Message
	if msg == "" {
		return nil, errInvalidParameter("Empty message")
	}
	if !utf8.ValidString(msg) {
		return nil, errInvalidParameter("Message Reason: the message must be UTF-8 text")
	}
	m := &outgoing{message: msg, sqsBody: msg}
	if en.Subject != nil {
		subj := *en.Subject
		if subj == "" || utf8.RuneCountInString(subj) > maxSubjectRunes || hasControl(subj) || !utf8.ValidString(subj) {
			return nil, errInvalidParameter("Subject")
		}
		m.subject = subj
	}
	if en.MessageStructure != nil {
		if *en.MessageStructure != messageStructure {
			return nil, errInvalidParameter("MessageStructure")
		}
		body, e := sqsMessageOf(msg)
		if e != nil {
			return nil, e
		}
		m.sqsBody = body
	}
	size := len(msg)
	if e := checkMessageAttributes(en.MessageAttributes); e != nil {
		return nil, e
	}
	for _, a := range en.MessageAttributes {
		size += a.size()
	}
	if size > maxMessageBytes {
		return nil, errInvalidParameter("Message too long")
	}
	m.attrs = en.MessageAttributes
	return m, nil
}

// hasControl reports whether s holds control characters (line breaks
// included), which a Subject may not.
func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// sqsMessageOf picks the SQS message out of a MessageStructure=json
// message: the "sqs" member, else the "default" one, which must exist.
func sqsMessageOf(msg string) (string, *awsproto.Error) {
	var per map[string]json.RawMessage
	if err := json.Unmarshal([]byte(msg), &per); err != nil || per == nil {
		return "", errInvalidParameter("Message Structure - JSON message body failed to parse")
	}
	def, ok := per["default"]
	if !ok {
		return "", errInvalidParameter("Message Structure - No default entry in JSON message body")
	}
	raw := def
	if sq, ok := per[protocolSQS]; ok {
		raw = sq
	}
	var body string
	if err := json.Unmarshal(raw, &body); err != nil {
		return "", errInvalidParameter("Message Structure - JSON message body failed to parse")
	}
	return body, nil
}

// checkFIFO applies the topic's type to the group and deduplication ids:
// a FIFO topic needs a group id and a deduplication id (explicit or from
// content-based deduplication); a standard topic takes a group id (passed
// to standard queues for fair queueing) but no deduplication id.
//
// missingID is true when the error is a FIFO id the topic needs but did not
// get, which fails a whole PublishBatch rather than one entry.
func (s *Service) checkFIFO(t *topic, m *outgoing, groupID, dedupID *string) (e *awsproto.Error, missingID bool) {
	s.mu.Lock()
	fifo, contentBased := t.fifo, t.contentBasedDedup()
	s.mu.Unlock()
	if groupID != nil {
		if !fifoIDRe.MatchString(*groupID) {
			return errInvalidParameter("MessageGroupId Reason: must be 1 to %d letters, digits or punctuation characters", maxFIFOIDLength), false
		}
		m.groupID = *groupID
	}
	if dedupID != nil && !fifoIDRe.MatchString(*dedupID) {
		return errInvalidParameter("MessageDeduplicationId Reason: must be 1 to %d letters, digits or punctuation characters", maxFIFOIDLength), false
	}
	if !fifo {
		if dedupID != nil {
			return errInvalidParameter("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type"), false
		}
		return nil, false
	}
	if groupID == nil {
		return errInvalidParameter("The MessageGroupId parameter is required for FIFO topics"), true
	}
	switch {
	case dedupID != nil:
		m.dedupID = *dedupID
	case contentBased:
		sum := sha256.Sum256([]byte(m.message))
		m.dedupID = hex.EncodeToString(sum[:])
	default:
		return errInvalidParameter("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"), true
	}
	return nil, false
}

// send numbers a validated message (FIFO topics), records it for
// deduplication and delivers it to the topic's subscriptions. A FIFO
// topic's publishMu is held from numbering to the end of delivery, so that
// its queues receive messages in sequence order.
func (s *Service) send(ctx context.Context, t *topic, m *outgoing) (*publishResult, *awsproto.Error) {
	if t.fifo {
		t.publishMu.Lock()
		defer t.publishMu.Unlock()
	}
	now := s.now().UTC()
	n := &notification{
		MessageID: awsproto.NewUUID(),
		Subject:   m.subject,
		Message:   m.sqsBody,
		Timestamp: now,
		Attrs:     m.attrs,
		groupID:   m.groupID,
		dedupID:   m.dedupID,
	}

	s.mu.Lock()
	if s.topics[t.name] != t {
		s.mu.Unlock()
		return nil, errTopicNotFound()
	}
	n.TopicARN, n.fifo, n.sigVersion = t.arn, t.fifo, t.signatureVersion()
	if t.fifo {
		key := m.dedupID
		if t.dedupPerGroup() {
			key = m.groupID + "\x00" + key
		}
		if rec, ok := t.lookupDedup(key, now); ok {
			// A duplicate within the window is accepted and not delivered.
			s.mu.Unlock()
			return &publishResult{MessageId: rec.MessageID, SequenceNumber: rec.SequenceNumber}, nil
		}
		n.SequenceNumber = fmt.Sprintf("%020d", t.nextSeq)
		t.nextSeq++
		t.dedup[key] = dedupRecord{MessageID: n.MessageID, SequenceNumber: n.SequenceNumber, Expires: now.Add(dedupWindow)}
		s.dirty = true
	}
	targets := make([]target, 0, len(t.subs))
	for _, arn := range t.subs {
		if sub := s.subs[arn]; sub != nil {
			targets = append(targets, sub.target())
		}
	}
	s.mu.Unlock()

	// The publish is accepted: a client that goes away must not cut
	// delivery short.
	s.deliver(context.WithoutCancel(ctx), n, targets)
	return &publishResult{MessageId: n.MessageID, SequenceNumber: n.SequenceNumber}, nil
}

// lookupDedup returns the live deduplication record for key, dropping
// expired records on the way. The caller holds Service.mu.
func (t *topic) lookupDedup(key string, now time.Time) (dedupRecord, bool) {
	if len(t.dedup) > 0 && len(t.dedup)%64 == 0 {
		t.sweepDedup(now)
	}
	rec, ok := t.dedup[key]
	if !ok || !now.Before(rec.Expires) {
		delete(t.dedup, key)
		return dedupRecord{}, false
	}
	return rec, true
}

// sweepDedup drops expired deduplication records. The caller holds
// Service.mu.
func (t *topic) sweepDedup(now time.Time) {
	for k, r := range t.dedup {
		if !now.Before(r.Expires) {
			delete(t.dedup, k)
		}
	}
}

// publishBatch publishes up to ten entries. Problems with the request as a
// whole (no entries, too many, bad or repeated ids, too long, an unknown
// topic, FIFO ids missing) fail it; problems with one entry's message fail
// that entry only.
func (s *Service) publishBatch(ctx context.Context, in *publishBatchInput) (*publishBatchResult, *awsproto.Error) {
	if in.TopicArn == nil {
		return nil, errMissing("TopicArn")
	}
	if e := checkBatch(in.Entries); e != nil {
		return nil, e
	}
	t, e := s.publishTopic(*in.TopicArn)
	if e != nil {
		return nil, e
	}
	out := &publishBatchResult{}
	out.Successful.Members = []batchResultEntry{}
	out.Failed.Members = []batchErrorEntry{}
	msgs := make([]*outgoing, len(in.Entries))
	errs := make([]*awsproto.Error, len(in.Entries))
	for i := range in.Entries {
		en := &in.Entries[i]
		msgs[i], errs[i] = prepareEntry(&en.publishEntry)
		if errs[i] != nil {
			continue
		}
		if e, missingID := s.checkFIFO(t, msgs[i], en.MessageGroupId, en.MessageDeduplicationId); e != nil {
			if missingID {
				// AWS rejects the whole batch when a FIFO id is missing.
				return nil, e
			}
			errs[i] = e
		}
	}
	for i, en := range in.Entries {
		if errs[i] == nil {
			res, e := s.send(ctx, t, msgs[i])
			if e != nil {
				errs[i] = e
			} else {
				out.Successful.Members = append(out.Successful.Members, batchResultEntry{Id: en.Id, MessageId: res.MessageId, SequenceNumber: res.SequenceNumber})
				continue
			}
		}
		out.Failed.Members = append(out.Failed.Members, batchErrorEntry{Id: en.Id, Code: errs[i].Code, Message: errs[i].Message, SenderFault: !errs[i].Server})
	}
	return out, nil
}

// batchIDRe is what a batch entry id may hold.
var batchIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// checkBatch validates the shape of a PublishBatch request.
func checkBatch(entries []batchEntry) *awsproto.Error {
	if len(entries) == 0 {
		return awsproto.Errorf(400, codeEmptyBatch, "EmptyBatchRequestException", "The batch request doesn't contain any entries")
	}
	if len(entries) > 10 {
		return awsproto.Errorf(400, codeTooManyEntries, "TooManyEntriesInBatchRequestException", "The batch request contains more entries than permissible.")
	}
	seen := map[string]bool{}
	total := 0
	for _, en := range entries {
		if !batchIDRe.MatchString(en.Id) {
			return awsproto.Errorf(400, codeInvalidBatchEntryID, "InvalidBatchEntryIdException",
				"A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[en.Id] {
			return awsproto.Errorf(400, codeBatchIDsNotDistinct, "BatchEntryIdsNotDistinctException",
				"Two or more batch entries in the request have the same Id.")
		}
		seen[en.Id] = true
		if en.Message != nil {
			total += len(*en.Message)
		}
		for _, a := range en.MessageAttributes {
			total += a.size()
		}
	}
	if total > maxMessageBytes {
		return awsproto.Errorf(400, codeBatchRequestTooLong, "BatchRequestTooLongException",
			"The length of all the messages put together is more than the limit.")
	}
	return nil
}
