package idempotency

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EffectStatus is the outcome of a [Store.ClaimEffect].
type EffectStatus int

// Effect claim outcomes.
const (
	// EffectAcquired: the effect is claimed and nothing has been attempted
	// yet. Do what comes before the request (checks, waits), then
	// AttemptEffect right before the request that performs it, then
	// CompleteEffect (it happened), ReleaseEffect (it certainly did not),
	// or MarkEffectUnknown (it may have). EffectClaim.Effect is set.
	EffectAcquired EffectStatus = iota + 1
	// EffectCompleted: the effect already happened; EffectClaim.Result
	// holds what was stored with it (an SES message id, say). Skip it.
	EffectCompleted
	// EffectInProgress: another goroutine of the same lease holds it.
	EffectInProgress
	// EffectUnknown: whether the effect happened is unknown, because it was
	// marked so or because an earlier owner of the job attempted it and
	// never said how the request ended. It is not retried as it is: the
	// provider's events settle it (ObserveEffect), or after a quiet period
	// without one SettleQuietEffect, or a person with ResolveEffect.
	// EffectClaim.Reason says why, EffectClaim.MarkedAt since when.
	EffectUnknown
)

// String returns "acquired", "completed", "in_progress" or "unknown".
func (s EffectStatus) String() string {
	switch s {
	case EffectAcquired:
		return "acquired"
	case EffectCompleted:
		return "completed"
	case EffectInProgress:
		return "in_progress"
	case EffectUnknown:
		return "unknown"
	}
	return "EffectStatus(" + strconv.Itoa(int(s)) + ")"
}

// EffectClaim is the result of [Store.ClaimEffect].
type EffectClaim struct {
	Status EffectStatus
	// Effect is the caller's hold on the effect, for EffectAcquired.
	Effect *Effect
	// Result is what CompleteEffect stored, for EffectCompleted.
	Result []byte
	// Reason says why the outcome is unknown, for EffectUnknown.
	Reason string
	// MarkedAt is when the effect became unknown (Redis's clock), for
	// EffectUnknown.
	MarkedAt time.Time
	// TakenOver is set on EffectAcquired when an earlier owner of the job
	// had claimed the effect but never attempted it.
	TakenOver bool
}

// Effect is a held claim on one side effect of a job, such as
// "email:jane@example.org". It is tied to the job lease it was claimed
// under.
type Effect struct {
	// Key is the job's idempotency key.
	Key string
	// Name names the effect within the job.
	Name string
	// Fence is the fencing number of the job lease it was claimed under.
	Fence int64

	owner string // the job lease's token
	token string // this effect claim's token
}

// Attempt identifies this claim's attempt of the effect: a random token,
// made of letters, digits, '-' and '_' (so it fits an SES message tag). A
// provider event that carries it can settle the effect (ObserveEffect).
func (e *Effect) Attempt() string { return e.token }

// ClaimEffect claims the effect name of the job held by lease, so it is
// performed at most once across every run of the job: one email per (job,
// recipient), one charge per invoice line. Only the job's current owner may
// claim: ClaimEffect returns ErrNotOwner once another claim has taken the
// job and ErrLeaseLost once the job's claim has ended.
//
// An effect an earlier owner claimed but never attempted (it crashed, or
// lost its lease, before AttemptEffect) is taken over: nothing went out,
// so this owner performs it (EffectAcquired, TakenOver). An effect an
// earlier owner attempted but neither completed, released nor marked
// (it crashed mid-request) comes back as EffectUnknown, and is listed by
// ListUnknownEffects, because the request may have gone out; marking it
// and listing it are one step.
func (s *Store) ClaimEffect(ctx context.Context, lease *Lease, name string) (EffectClaim, error) {
	if err := s.checkLease("claim effect", lease); err != nil {
		return EffectClaim{}, err
	}
	if err := checkName(name); err != nil {
		return EffectClaim{}, fmt.Errorf("claim effect of %q: %w", lease.Key, err)
	}
	token, err := newToken()
	if err != nil {
		return EffectClaim{}, fmt.Errorf("claim effect %q of %q: %w", name, lease.Key, err)
	}
	res, err := s.run(ctx, scripts.claimEffect,
		[]string{s.recordKey(lease.Key), s.effectKey(lease.Key, name), s.unknownIndexKey()},
		lease.token, lease.Fence, token, ms(s.retention()), lease.Key, name, indexMember(lease.Key, name),
	).Slice()
	if err != nil {
		return EffectClaim{}, fmt.Errorf("claim effect %q of %q: %w", name, lease.Key, err)
	}
	switch code := str(res, 0); code {
	case "acquired":
		return EffectClaim{Status: EffectAcquired, TakenOver: str(res, 1) == "taken_over", Effect: &Effect{
			Key: lease.Key, Name: name, Fence: lease.Fence, owner: lease.token, token: token,
		}}, nil
	case "completed":
		return EffectClaim{Status: EffectCompleted, Result: bytesOrNil(str(res, 1))}, nil
	case "in_progress":
		return EffectClaim{Status: EffectInProgress}, nil
	case "unknown":
		return EffectClaim{Status: EffectUnknown, Reason: str(res, 1), MarkedAt: time.UnixMilli(num(res, 2)).UTC()}, nil
	default:
		return EffectClaim{}, refusal("claim effect "+strconv.Quote(name)+" of", lease.Key, code)
	}
}

// AttemptEffect records that the request performing the effect is about
// to leave: from now until CompleteEffect, ReleaseEffect or
// MarkEffectUnknown, a crash leaves the effect unknown. Call it after
// every check and wait, immediately before the request. Only the holder of
// the effect, under the job's current lease, may attempt it (ErrNotOwner,
// ErrLeaseLost otherwise). Attempting twice is a no-op.
//
// When the store has an Epoch, the attempt is refused with
// ErrEpochChanged unless Redis still holds that epoch record: a Redis that
// lost its data has lost the records that say which effects happened, so
// performing any effect could repeat one.
func (s *Store) AttemptEffect(ctx context.Context, eff *Effect) error {
	if err := s.checkEffect("attempt effect", eff); err != nil {
		return err
	}
	op := "attempt effect " + strconv.Quote(eff.Name) + " of"
	code, err := s.run(ctx, scripts.attemptEffect,
		[]string{s.recordKey(eff.Key), s.effectKey(eff.Key, eff.Name), s.epochKey()},
		eff.owner, eff.Fence, eff.token, s.Epoch).Text()
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, eff.Key, err)
	}
	if held, ok := strings.CutPrefix(code, "epoch:"); ok {
		return epochError(s.Epoch, held)
	}
	if code != "ok" {
		return refusal(op, eff.Key, code)
	}
	return nil
}

// CompleteEffect records that the effect happened, with result (kept with
// it and returned to later claimers). Only the holder of the effect, under
// the job's current lease, may complete it: a stale owner gets ErrNotOwner
// and its effect, never confirmed, later shows up as unknown. Completing
// twice is a no-op.
func (s *Store) CompleteEffect(ctx context.Context, eff *Effect, result []byte) error {
	if err := s.checkEffect("complete effect", eff); err != nil {
		return err
	}
	return s.runStatus(ctx, "complete effect "+strconv.Quote(eff.Name)+" of", eff.Key, scripts.completeEffect,
		[]string{s.recordKey(eff.Key), s.effectKey(eff.Key, eff.Name), s.unknownIndexKey()},
		eff.owner, eff.Fence, eff.token, result, ms(s.retention()), indexMember(eff.Key, eff.Name))
}

// ReleaseEffect frees the effect when it certainly did not happen (it was
// never attempted, or the request was refused), so a later run performs it.
// Only the holder, under the job's current lease, may release it; an
// effect that completed or is unknown cannot be released (ErrLeaseLost).
// Releasing an effect that no longer exists is a no-op.
func (s *Store) ReleaseEffect(ctx context.Context, eff *Effect) error {
	if err := s.checkEffect("release effect", eff); err != nil {
		return err
	}
	return s.runStatus(ctx, "release effect "+strconv.Quote(eff.Name)+" of", eff.Key, scripts.releaseEffect,
		[]string{s.recordKey(eff.Key), s.effectKey(eff.Key, eff.Name)},
		eff.owner, eff.Fence, eff.token)
}

func (s *Store) checkEffect(op string, eff *Effect) error {
	if err := s.check(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if eff == nil || eff.token == "" {
		return fmt.Errorf("%s: no effect (an Effect comes from an acquired EffectClaim): %w", op, ErrInvalid)
	}
	return nil
}
