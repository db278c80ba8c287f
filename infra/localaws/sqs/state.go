package sqs

import (
	"fmt"
	"maps"
	"path/filepath"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// stateFileName is the file under Config.StateDir that holds the service's
// state; stateVersion its format.
const (
	stateFileName = "sqs.json"
	stateVersion  = 1
)

// stateDoc is the saved state: every queue with its attributes, tags, all
// messages not yet deleted (visible, delayed and in flight, with receive
// counts and visibility deadlines), FIFO deduplication records, and the move
// task history.
type stateDoc struct {
	Version int
	Queues  []queueState
	Tasks   []moveTask
}

type queueState struct {
	ID         string
	Name       string
	Fifo       bool
	Attributes map[string]string
	Tags       map[string]string `json:",omitempty"`
	Created    time.Time
	Modified   time.Time
	LastPurge  time.Time `json:",omitzero"`
	NextSlot   uint64
	NextSeq    uint64
	Messages   []messageState `json:",omitempty"`
	Dedup      []dedupRecord  `json:",omitempty"`
}

type messageState struct {
	Slot           uint64
	Seq            uint64
	ID             string
	Body           string
	Attributes     map[string]awsproto.MessageAttribute `json:",omitempty"`
	TraceHeader    *string                              `json:",omitempty"`
	GroupID        string                               `json:",omitempty"`
	DedupID        string                               `json:",omitempty"`
	SequenceNumber string                               `json:",omitempty"`
	SentAt         time.Time
	EnqueuedAt     time.Time
	ReceiveCount   int       `json:",omitempty"`
	FirstReceive   time.Time `json:",omitzero"`
	ReceivedAt     time.Time `json:",omitzero"`
	DLQSource      string    `json:",omitempty"`
	Duplicate      bool      `json:",omitempty"`
	State          msgState
	Due            time.Time `json:",omitzero"`
}

func (s *Service) statePath() string { return filepath.Join(s.cfg.StateDir, stateFileName) }

// SaveState writes the service's state under cfg.StateDir, atomically (a
// temporary file renamed over the old one); it is a no-op without a state
// directory or when nothing changed since the last save.
func (s *Service) SaveState() error {
	if s.cfg.StateDir == "" {
		return nil
	}
	if err := s.saver.SaveIfDirty(s.statePath(), &s.mu, &s.dirty, func() any { return s.snapshot() }); err != nil {
		return fmt.Errorf("sqs: %w", err)
	}
	return nil
}

// snapshot copies the state for saving. Message bodies and attribute maps
// are immutable once stored, so they are shared, not copied. The caller
// holds s.mu.
func (s *Service) snapshot() *stateDoc {
	doc := &stateDoc{Version: stateVersion}
	for _, q := range s.queues {
		qs := queueState{
			ID: q.id, Name: q.name, Fifo: q.fifo,
			Attributes: maps.Clone(q.attrs), Tags: maps.Clone(q.tags),
			Created: q.created, Modified: q.modified, LastPurge: q.lastPurge,
			NextSlot: q.nextSlot, NextSeq: q.nextSeq,
			Messages: make([]messageState, 0, len(q.msgs)),
		}
		for _, m := range q.msgs {
			qs.Messages = append(qs.Messages, messageState{
				Slot: m.slot, Seq: m.seq, ID: m.id, Body: m.body, Attributes: m.attrs, TraceHeader: m.traceHeader,
				GroupID: m.groupID, DedupID: m.dedupID, SequenceNumber: m.sequenceNumber,
				SentAt: m.sentAt, EnqueuedAt: m.enqueuedAt, ReceiveCount: m.receiveCount,
				FirstReceive: m.firstReceive, ReceivedAt: m.receivedAt, DLQSource: m.dlqSource, Duplicate: m.duplicate,
				State: m.state, Due: m.due,
			})
		}
		for _, r := range q.dedup.order {
			if q.dedup.byKey[r.Key] == r {
				qs.Dedup = append(qs.Dedup, *r)
			}
		}
		doc.Queues = append(doc.Queues, qs)
	}
	for _, list := range s.tasks.bySource {
		for _, t := range list {
			doc.Tasks = append(doc.Tasks, *t)
		}
	}
	return doc
}

// loadState restores the saved state, if any. Messages that were in flight
// come back in flight until their saved deadline, and become visible at the
// first operation after it.
func (s *Service) loadState() error {
	if s.cfg.StateDir == "" {
		return nil
	}
	var doc stateDoc
	if found, err := awsproto.ReadStateFile(s.statePath(), &doc); err != nil || !found {
		if err != nil {
			return fmt.Errorf("sqs: %w", err)
		}
		return nil
	}
	if doc.Version != stateVersion {
		return fmt.Errorf("sqs: state file %s has version %d, want %d", s.statePath(), doc.Version, stateVersion)
	}
	for _, qs := range doc.Queues {
		q := newQueue(qs.ID, qs.Name, s.queueARN(qs.Name), qs.Fifo, qs.Created)
		q.modified, q.lastPurge = qs.Modified, qs.LastPurge
		q.attrs = qs.Attributes
		if q.attrs == nil {
			q.attrs = defaultAttributes(qs.Fifo)
		}
		q.cfg = parseConfig(q.attrs)
		if qs.Tags != nil {
			q.tags = qs.Tags
		}
		q.nextSlot, q.nextSeq = qs.NextSlot, qs.NextSeq
		for _, r := range qs.Dedup {
			q.dedup.add(&r)
		}
		for _, ms := range qs.Messages {
			state := ms.State
			if state == stateInflight && s.cfg.ReleaseInflightOnLoad {
				state = stateVisible
			}
			q.restore(restoredMessage(ms), state)
		}
		s.queues[q.name] = q
	}
	for _, t := range doc.Tasks {
		s.tasks.add(&t)
	}
	return nil
}

func restoredMessage(ms messageState) *message {
	m := &message{
		slot: ms.Slot, seq: ms.Seq, id: ms.ID, body: ms.Body, attrs: ms.Attributes, traceHeader: ms.TraceHeader,
		groupID: ms.GroupID, dedupID: ms.DedupID, sequenceNumber: ms.SequenceNumber,
		sentAt: ms.SentAt, enqueuedAt: ms.EnqueuedAt, receiveCount: ms.ReceiveCount,
		firstReceive: ms.FirstReceive, receivedAt: ms.ReceivedAt, dlqSource: ms.DLQSource, duplicate: ms.Duplicate,
		due: ms.Due, idx: -1,
		md5Body: md5Hex(ms.Body), md5Attrs: md5OfAttributes(ms.Attributes),
	}
	if ms.TraceHeader != nil {
		m.md5Sys = md5OfAttributes(map[string]awsproto.MessageAttribute{traceHeaderAttr: {DataType: "String", StringValue: ms.TraceHeader}})
	}
	return m
}

// restore puts a saved message back in the container of its saved state,
// keeping its slot so that receipt handles issued before the restart still
// work.
func (q *queue) restore(m *message, state msgState) {
	if m.slot >= q.nextSlot {
		q.nextSlot = m.slot + 1
	}
	if m.seq >= q.nextSeq {
		q.nextSeq = m.seq + 1
	}
	q.msgs[m.slot] = m
	q.joinGroup(m)
	switch state {
	case stateInflight:
		q.takeInflight(m, m.due)
	case stateDelayed:
		m.state = stateDelayed
		q.delayed.push(m)
	default:
		q.makeVisible(m)
	}
}
