package idempotency

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/quarry-dev/quarry/messages"
)

// Status is the outcome of a [Store.Claim].
type Status int

// Claim outcomes.
const (
	// StatusAcquired: the caller holds the key now; Claim.Lease is set.
	// Run the job, then Complete or Release.
	StatusAcquired Status = iota + 1
	// StatusCompleted: the job already ran; Claim.Result holds what it
	// stored. Acknowledge the message without running the job.
	StatusCompleted
	// StatusInProgress: another live lease holds the key; Claim.RetryIn is
	// its remaining TTL. Look again after it: by then the job is done or
	// the lease expired and can be taken over.
	StatusInProgress
	// StatusPayloadConflict: the key was claimed for a different payload
	// hash. The job is a producer error, not a duplicate.
	StatusPayloadConflict
)

// String returns "acquired", "completed", "in_progress" or
// "payload_conflict".
func (s Status) String() string {
	switch s {
	case StatusAcquired:
		return "acquired"
	case StatusCompleted:
		return "completed"
	case StatusInProgress:
		return "in_progress"
	case StatusPayloadConflict:
		return "payload_conflict"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Claim is the result of [Store.Claim].
type Claim struct {
	Status Status
	// Lease is the caller's lease, for StatusAcquired.
	Lease *Lease
	// Result is the stored result, for StatusCompleted (nil if the job
	// stored none).
	Result []byte
	// RetryIn is the remaining TTL of the other owner's lease, for
	// StatusInProgress.
	RetryIn time.Duration
}

// Lease is a held claim on a key. Keep it for Extend, Complete, Release
// and ClaimEffect; it is refused by all of them once another claim has
// taken the key.
type Lease struct {
	// Key is the idempotency key.
	Key string
	// Fence is the fencing number of this acquisition: it grows by one on
	// every acquisition of the key, so a higher number is a later owner.
	// Pass it to external systems that can reject stale writers.
	Fence int64

	token string
}

// Claim tries to take key for a job whose payload hashes to payloadHash
// ([messages.PayloadHash]), with a lease of leaseTTL (at least 1 ms; in
// practice the queue's visibility timeout, renewed by Extend). The record
// of a claim that is never completed is kept for the store's Retention, so
// the key stays bound to its payload.
//
// A key can be acquired when it was never claimed, was released, or its
// lease expired; each acquisition gets the next fencing number. Errors are
// Redis errors, or ErrInvalid for a bad key or TTL.
func (s *Store) Claim(ctx context.Context, key, payloadHash string, leaseTTL time.Duration) (Claim, error) {
	if err := s.check(); err != nil {
		return Claim{}, fmt.Errorf("claim %q: %w", key, err)
	}
	if err := checkKey(key); err != nil {
		return Claim{}, fmt.Errorf("claim: %w", err)
	}
	if leaseTTL <= 0 {
		return Claim{}, fmt.Errorf("claim %q: lease TTL %v is not positive: %w", key, leaseTTL, ErrInvalid)
	}
	token, err := newToken()
	if err != nil {
		return Claim{}, fmt.Errorf("claim %q: %w", key, err)
	}
	res, err := s.run(ctx, scripts.claim,
		s.jobKeys(key),
		payloadHash, token, ms(leaseTTL), ms(s.retention()),
	).Slice()
	if err != nil {
		return Claim{}, fmt.Errorf("claim %q: %w", key, err)
	}
	return claimReply(key, token, res)
}

// claimReply turns claim_one's reply into a Claim.
func claimReply(key, token string, res []any) (Claim, error) {
	switch str(res, 0) {
	case "acquired":
		return Claim{Status: StatusAcquired, Lease: &Lease{Key: key, Fence: num(res, 1), token: token}}, nil
	case "completed":
		return Claim{Status: StatusCompleted, Result: bytesOrNil(str(res, 1))}, nil
	case "in_progress":
		return Claim{Status: StatusInProgress, RetryIn: time.Duration(num(res, 1)) * time.Millisecond}, nil
	case "conflict":
		return Claim{Status: StatusPayloadConflict}, nil
	}
	return Claim{}, fmt.Errorf("claim %q: unexpected script reply %v", key, res)
}

// ClaimJob claims the job's idempotency key for its payload hash; see
// [Store.Claim].
func (s *Store) ClaimJob(ctx context.Context, job messages.Job, leaseTTL time.Duration) (Claim, error) {
	return s.Claim(ctx, job.IdempotencyKey, messages.PayloadHash(job), leaseTTL)
}

// Extend renews the lease for ttl from now (Redis's clock). The worker
// runtime calls it from its heartbeat, so a lease outlives a slow job for
// as long as its worker is alive and stops protecting it soon after the
// worker dies. A lease that lapsed while nobody claimed the key is
// restored. Extend returns ErrNotOwner once another claim has taken the key
// and ErrLeaseLost once the claim was completed or released.
func (s *Store) Extend(ctx context.Context, lease *Lease, ttl time.Duration) error {
	if err := s.checkLease("extend", lease); err != nil {
		return err
	}
	if ttl <= 0 {
		return fmt.Errorf("extend %q: TTL %v is not positive: %w", lease.Key, ttl, ErrInvalid)
	}
	return s.runStatus(ctx, "extend", lease.Key, scripts.extend,
		s.jobKeys(lease.Key),
		lease.token, lease.Fence, ms(ttl))
}

// Complete records the job as done with result, kept for retention (zero
// means the store's Retention, by default 15 days: it must be longer than
// the queue's message retention, or a late duplicate would run again).
// Later claims of the key get StatusCompleted and the result. Completing
// again with the same lease is a no-op (so a call retried after a lost
// reply is safe). Complete returns ErrNotOwner once another claim has taken
// the key and ErrLeaseLost once the claim was released.
func (s *Store) Complete(ctx context.Context, lease *Lease, result []byte, retention time.Duration) error {
	if err := s.checkLease("complete", lease); err != nil {
		return err
	}
	if retention <= 0 {
		retention = s.retention()
	}
	return s.runStatus(ctx, "complete", lease.Key, scripts.complete,
		s.jobKeys(lease.Key),
		lease.token, lease.Fence, result, ms(retention))
}

// Release frees the key after a failed or interrupted run, so the next
// delivery can claim it at once rather than wait for the lease to expire.
// The record stays, bound to its payload hash. Releasing twice is a no-op.
// Release returns ErrNotOwner once another claim has taken the key and
// ErrLeaseLost once the claim was completed.
func (s *Store) Release(ctx context.Context, lease *Lease) error {
	if err := s.checkLease("release", lease); err != nil {
		return err
	}
	return s.runStatus(ctx, "release", lease.Key, scripts.release,
		s.jobKeys(lease.Key),
		lease.token, lease.Fence)
}

func (s *Store) checkLease(op string, lease *Lease) error {
	if err := s.check(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if lease == nil || lease.token == "" {
		return fmt.Errorf("%s: no lease (a Lease comes from an acquired Claim): %w", op, ErrInvalid)
	}
	return nil
}

// runStatus runs a script that replies "ok" or a refusal code.
func (s *Store) runStatus(ctx context.Context, op, key string, sc scriptRunner, keys []string, args ...any) error {
	code, err := s.run(ctx, sc, keys, args...).Text()
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, key, err)
	}
	if code != "ok" {
		return refusal(op, key, code)
	}
	return nil
}
