package sqs

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// dedupWindow is how long a FIFO queue remembers a deduplication id, from
// the first successful send with it (reference §1.13).
const dedupWindow = 5 * time.Minute

// maxFIFOIDLen bounds MessageGroupId, MessageDeduplicationId and
// ReceiveRequestAttemptId.
const maxFIFOIDLen = 128

// dedupRecord remembers the message a deduplication id was first sent with,
// so a duplicate send answers with the same MessageId and SequenceNumber.
type dedupRecord struct {
	Key            string
	MessageID      string
	SequenceNumber string
	Expires        time.Time
}

// dedupIndex holds a FIFO queue's deduplication records. Records are added in
// time order, so the oldest expire first and order doubles as an expiry
// queue.
type dedupIndex struct {
	byKey map[string]*dedupRecord
	order []*dedupRecord
}

func newDedupIndex() dedupIndex { return dedupIndex{byKey: map[string]*dedupRecord{}} }

// prune forgets the records whose window is over.
func (d *dedupIndex) prune(now time.Time) {
	i := 0
	for ; i < len(d.order) && !d.order[i].Expires.After(now); i++ {
		if d.byKey[d.order[i].Key] == d.order[i] {
			delete(d.byKey, d.order[i].Key)
		}
		d.order[i] = nil
	}
	// Reslicing is O(1); append reallocates (copying only live records)
	// once the spare capacity runs out.
	d.order = d.order[i:]
}

// lookup returns the live record of key, if any.
func (d *dedupIndex) lookup(key string, now time.Time) *dedupRecord {
	d.prune(now)
	return d.byKey[key]
}

func (d *dedupIndex) add(r *dedupRecord) {
	d.byKey[r.Key] = r
	d.order = append(d.order, r)
}

// dedupKey scopes a deduplication id to the queue or, with
// DeduplicationScope=messageGroup, to the message group.
func dedupKey(q *queue, groupID, dedupID string) string {
	if q.cfg.groupScopedDedup {
		return groupID + "\x00" + dedupID
	}
	return dedupID
}

// contentDedupID is the deduplication id of ContentBasedDeduplication: the
// hex SHA-256 of the body (attributes are not part of it).
func contentDedupID(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:])
}

// validFIFOID reports whether v is 1–128 characters of alphanumerics and
// punctuation, as MessageGroupId, MessageDeduplicationId and
// ReceiveRequestAttemptId must be.
func validFIFOID(v string) bool {
	if len(v) == 0 || len(v) > maxFIFOIDLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '!' || v[i] > '~' {
			return false
		}
	}
	return true
}

func errInvalidFIFOID(param, v string) *awsproto.Error {
	return errInvalidParameter("Value %s for parameter %s is invalid. Reason: %s can only include alphanumeric and punctuation characters. 1 to 128 in length.", v, param, param)
}

// sequenceBase makes FIFO sequence numbers look like AWS's: 20-digit
// decimals, increasing within the queue.
const sequenceBase = 10_000_000_000_000_000_000

// sequenceNumber is the SequenceNumber of the message with arrival order seq.
func sequenceNumber(seq uint64) string {
	return strconv.FormatUint(sequenceBase+seq, 10)
}

// attemptWindow is how long a ReceiveRequestAttemptId can be retried.
const attemptWindow = 5 * time.Minute

// receiveAttempt remembers what one FIFO receive with a
// ReceiveRequestAttemptId returned, so that a retry with the same id gets the
// same messages and receipt handles.
type receiveAttempt struct {
	at       time.Time
	slots    []uint64
	receives []int // each message's receive count at that receive
	handles  []string
}

// pruneAttempts forgets attempt ids older than the window.
func (q *queue) pruneAttempts(now time.Time) {
	for id, a := range q.attempts {
		if now.Sub(a.at) >= attemptWindow {
			delete(q.attempts, id)
		}
	}
}

// replayAttempt answers a retried ReceiveRequestAttemptId: when every message
// of the earlier receive is still in flight under the same receive, they are
// returned again with the same handles and a fresh visibility timeout. It
// returns nil when the attempt cannot be replayed.
func (q *queue) replayAttempt(a *receiveAttempt, now time.Time, visibility time.Duration) ([]*message, []string) {
	msgs := make([]*message, 0, len(a.slots))
	for i, slot := range a.slots {
		m := q.msgs[slot]
		if m == nil || m.state != stateInflight || m.receiveCount != a.receives[i] {
			return nil, nil
		}
		msgs = append(msgs, m)
	}
	for _, m := range msgs {
		m.due = now.Add(visibility)
		m.receivedAt = now
		q.inflight.fix(m.idx)
	}
	return msgs, a.handles
}
