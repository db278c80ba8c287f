package idempotency

import (
	"context"
	"fmt"
	"strconv"
)

// EffectStatus is the outcome of a [Store.ClaimEffect].
type EffectStatus int

// Effect claim outcomes.
const (
	// EffectAcquired: perform the effect now, then CompleteEffect (it
	// happened), ReleaseEffect (it certainly did not), or
	// MarkEffectUnknown (it may have). EffectClaim.Effect is set.
	EffectAcquired EffectStatus = iota + 1
	// EffectCompleted: the effect already happened; EffectClaim.Result
	// holds what was stored with it (an SES message id, say). Skip it.
	EffectCompleted
	// EffectInProgress: another goroutine of the same lease holds it.
	EffectInProgress
	// EffectUnknown: whether the effect happened is unknown, because it was
	// marked so or because an earlier owner of the job claimed it and never
	// said. It is not retried automatically: a person checks (the SES
	// console, the recipient) and settles it with ResolveEffect.
	// EffectClaim.Reason says why.
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

// ClaimEffect claims the effect name of the job held by lease, so it is
// performed at most once across every run of the job: one email per (job,
// recipient), one charge per invoice line. Only the job's current owner may
// claim: ClaimEffect returns ErrNotOwner once another claim has taken the
// job and ErrLeaseLost once the job's claim has ended.
//
// An effect an earlier owner claimed but neither completed nor released
// (it crashed mid-request, or its lease was taken over) comes back as
// EffectUnknown and is listed by ListUnknownEffects, because the request
// may have gone out.
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
		[]string{s.recordKey(lease.Key), s.effectKey(lease.Key, name)},
		lease.token, lease.Fence, token, ms(s.retention()), lease.Key, name,
	).Slice()
	if err != nil {
		return EffectClaim{}, fmt.Errorf("claim effect %q of %q: %w", name, lease.Key, err)
	}
	switch code := str(res, 0); code {
	case "acquired":
		return EffectClaim{Status: EffectAcquired, Effect: &Effect{
			Key: lease.Key, Name: name, Fence: lease.Fence, owner: lease.token, token: token,
		}}, nil
	case "completed":
		return EffectClaim{Status: EffectCompleted, Result: bytesOrNil(str(res, 1))}, nil
	case "in_progress":
		return EffectClaim{Status: EffectInProgress}, nil
	case "unknown":
		if len(res) > 2 {
			// Just found abandoned: index it so it is listed.
			if err := s.indexUnknown(ctx, lease.Key, name, num(res, 2)); err != nil {
				return EffectClaim{}, err
			}
		}
		return EffectClaim{Status: EffectUnknown, Reason: str(res, 1)}, nil
	default:
		return EffectClaim{}, refusal("claim effect "+strconv.Quote(name)+" of", lease.Key, code)
	}
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
		[]string{s.recordKey(eff.Key), s.effectKey(eff.Key, eff.Name)},
		eff.owner, eff.Fence, eff.token, result, ms(s.retention()))
}

// ReleaseEffect frees the effect when it certainly did not happen (the
// request was refused before it was sent), so a later run performs it.
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
