package idempotency

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNoRecord is returned by [Store.Lookup] and [Store.LookupEffect] when
// there is no record: the key was never claimed, or its record expired
// with the store's Retention.
var ErrNoRecord = errors.New("idempotency: no record")

// RecordState is the state of a claim record.
type RecordState string

// Record states, as the protocol's scripts write them.
const (
	// StateInProgress: a lease holds the key, or held it and lapsed
	// ([Record.LeaseLive] tells which).
	StateInProgress RecordState = "in_progress"
	// StateCompleted: the job is done; Record.Result holds its result.
	StateCompleted RecordState = "completed"
	// StateReleased: a run failed or was interrupted and freed the key;
	// the next delivery claims it at once.
	StateReleased RecordState = "released"
)

// Record is a job's claim record as [Store.Lookup] reads it. It never
// holds the owner token: a lookup is for people and tools that watch
// jobs, not for taking part in the protocol.
type Record struct {
	// Key is the idempotency key.
	Key string `json:"key"`
	// State is the record's state.
	State RecordState `json:"state"`
	// Fence is the fencing number of the latest acquisition: how many
	// times the key was acquired (1 for a job that ran once).
	Fence int64 `json:"fence"`
	// ClaimedAt is when the latest acquisition took the key.
	ClaimedAt time.Time `json:"claimed_at,omitzero"`
	// LeaseUntil is when the latest lease ends unless extended.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// CompletedAt and ReleasedAt are when the job was completed, and when
	// a run last released it (zero if never).
	CompletedAt time.Time `json:"completed_at,omitzero"`
	ReleasedAt  time.Time `json:"released_at,omitzero"`
	// Result is what Complete stored (nil if none, or not completed).
	Result []byte `json:"result,omitempty"`
	// ReadAt is Redis's clock when the record was read; LeaseUntil is
	// compared with it, not with the caller's clock.
	ReadAt time.Time `json:"read_at"`
}

// LeaseLive reports whether a worker's lease holds the job now: the record
// is in progress and its lease had not ended when it was read. An
// in-progress record whose lease ended belongs to a worker that died or
// stalled; the next delivery takes it over.
func (r Record) LeaseLive() bool {
	return r.State == StateInProgress && r.LeaseUntil.After(r.ReadAt)
}

// Lookup reads the claim record of key without changing it. It returns
// [ErrNoRecord] (wrapped) when the key has no record.
func (s *Store) Lookup(ctx context.Context, key string) (Record, error) {
	if err := s.check(); err != nil {
		return Record{}, fmt.Errorf("lookup %q: %w", key, err)
	}
	if err := checkKey(key); err != nil {
		return Record{}, fmt.Errorf("lookup: %w", err)
	}
	h, now, err := s.readHash(ctx, s.recordKey(key))
	if err != nil {
		return Record{}, fmt.Errorf("lookup %q: %w", key, err)
	}
	if len(h) == 0 {
		return Record{}, fmt.Errorf("lookup %q: %w", key, ErrNoRecord)
	}
	fence, _ := strconv.ParseInt(h["fence"], 10, 64)
	r := Record{
		Key: key, State: RecordState(h["state"]), Fence: fence,
		ClaimedAt: msTime(h["claimed_ms"]), LeaseUntil: msTime(h["lease_until"]),
		CompletedAt: msTime(h["completed_ms"]), ReleasedAt: msTime(h["released_ms"]),
		ReadAt: now,
	}
	if r.State == StateCompleted {
		r.Result = bytesOrNil(h["result"])
	}
	return r, nil
}

// EffectRecord is one side effect of a job as [Store.LookupEffect] reads
// it. Like Record, it holds no tokens.
type EffectRecord struct {
	// Key is the job's idempotency key; Name names the effect.
	Key  string `json:"key"`
	Name string `json:"name"`
	// State is "claimed" (nothing attempted yet), "attempting" (the one
	// request may be in flight), "completed" or "unknown".
	State string `json:"state"`
	// Fence is the fencing number of the job lease that claimed it.
	Fence int64 `json:"fence"`
	// Result is what CompleteEffect stored (an SES message id, say).
	Result string `json:"result,omitempty"`
	// Reason says why the outcome is unknown.
	Reason    string    `json:"reason,omitempty"`
	ClaimedAt time.Time `json:"claimed_at,omitzero"`
	MarkedAt  time.Time `json:"marked_at,omitzero"`
}

// LookupEffect reads one effect of the job key without changing it. It
// returns [ErrNoRecord] (wrapped) when the effect was never claimed, was
// released, or expired.
func (s *Store) LookupEffect(ctx context.Context, key, name string) (EffectRecord, error) {
	if err := s.check(); err != nil {
		return EffectRecord{}, fmt.Errorf("lookup effect: %w", err)
	}
	if err := checkKey(key); err != nil {
		return EffectRecord{}, fmt.Errorf("lookup effect: %w", err)
	}
	if err := checkName(name); err != nil {
		return EffectRecord{}, fmt.Errorf("lookup effect of %q: %w", key, err)
	}
	h, _, err := s.readHash(ctx, s.effectKey(key, name))
	if err != nil {
		return EffectRecord{}, fmt.Errorf("lookup effect %q of %q: %w", name, key, err)
	}
	if len(h) == 0 {
		return EffectRecord{}, fmt.Errorf("lookup effect %q of %q: %w", name, key, ErrNoRecord)
	}
	fence, _ := strconv.ParseInt(h["fence"], 10, 64)
	return EffectRecord{
		Key: key, Name: name, State: h["state"], Fence: fence,
		Result: h["result"], Reason: h["reason"],
		ClaimedAt: msTime(h["claimed_ms"]), MarkedAt: msTime(h["marked_ms"]),
	}, nil
}

// readHash reads a hash and Redis's clock in one transaction, so a lease
// end is compared with the time the record was read.
func (s *Store) readHash(ctx context.Context, key string) (map[string]string, time.Time, error) {
	var hget *redis.MapStringStringCmd
	var clock *redis.TimeCmd
	_, err := s.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		hget = p.HGetAll(ctx, key)
		clock = p.Time(ctx)
		return nil
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	return hget.Val(), clock.Val().UTC(), nil
}

// msTime turns a stored millisecond time into a time.Time (zero when
// absent or not a number).
func msTime(v string) time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}
