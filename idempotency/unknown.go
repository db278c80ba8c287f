package idempotency

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// UnknownEffect is an effect whose outcome nobody knows, as listed by
// [Store.ListUnknownEffects].
type UnknownEffect struct {
	// Key is the job's idempotency key.
	Key string
	// Name names the effect within the job.
	Name string
	// Fence is the fencing number of the job lease that claimed it.
	Fence int64
	// Reason says why it is unknown: the reason given to
	// MarkEffectUnknown, or that its owner abandoned it.
	Reason string
	// MarkedAt is when it was marked, by Redis's clock.
	MarkedAt time.Time
	// AttemptedAt is when its request was attempted, by Redis's clock (zero
	// for records written before attempts were recorded).
	AttemptedAt time.Time
	// Attempt is the attempt's token (Effect.Attempt), which the
	// provider's events carry.
	Attempt string
}

// MarkEffectUnknown records that the effect's outcome is unknown: the
// request went out but no answer came back (a timeout, a dropped
// connection). The effect is then not performed again as it is: it is
// listed by ListUnknownEffects until the provider's events settle it
// (ObserveEffect), its quiet period passes (SettleQuietEffect), or a
// person settles it (ResolveEffect). Marking the effect and listing it
// happen in one script, so no crash can leave an unknown effect unlisted.
// If an event already reported the attempt, the effect is completed
// instead.
//
// Unlike the other effect methods, it does not require the job lease to be
// current: marking an effect unknown only ever prevents a redo, so a worker
// that lost its lease while waiting for an answer should still do it.
func (s *Store) MarkEffectUnknown(ctx context.Context, eff *Effect, reason string) error {
	if err := s.checkEffect("mark effect unknown", eff); err != nil {
		return err
	}
	op := "mark effect " + strconv.Quote(eff.Name) + " of"
	res, err := s.run(ctx, scripts.markUnknown,
		[]string{s.effectKey(eff.Key, eff.Name), s.unknownIndexKey()},
		eff.token, reason, indexMember(eff.Key, eff.Name)).Slice()
	if err != nil {
		return fmt.Errorf("%s %q unknown: %w", op, eff.Key, err)
	}
	switch code := str(res, 0); code {
	case "ok", "completed":
		return nil
	default:
		return refusal(op, eff.Key, code)
	}
}

// ListUnknownEffects returns the effects whose outcome is unknown, oldest
// first. Index entries of effects that were resolved or expired are
// dropped as they are met.
func (s *Store) ListUnknownEffects(ctx context.Context) ([]UnknownEffect, error) {
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("list unknown effects: %w", err)
	}
	members, err := s.Client.ZRange(ctx, s.unknownIndexKey(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list unknown effects: %w", err)
	}
	var out []UnknownEffect
	const page = 200
	for start := 0; start < len(members); start += page {
		batch := members[start:min(start+page, len(members))]
		cmds := make([]*redis.MapStringStringCmd, len(batch))
		_, err := s.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, m := range batch {
				key, name, _ := splitIndexMember(m)
				cmds[i] = p.HGetAll(ctx, s.effectKey(key, name))
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list unknown effects: %w", err)
		}
		var stale []any
		for i, m := range batch {
			key, name, ok := splitIndexMember(m)
			h := cmds[i].Val()
			if !ok || h["state"] != "unknown" {
				stale = append(stale, m)
				continue
			}
			fence, _ := strconv.ParseInt(h["fence"], 10, 64)
			marked, _ := strconv.ParseInt(h["marked_ms"], 10, 64)
			u := UnknownEffect{
				Key: key, Name: name, Fence: fence, Reason: h["reason"],
				MarkedAt: time.UnixMilli(marked).UTC(), Attempt: h["token"],
			}
			if at, err := strconv.ParseInt(h["attempt_ms"], 10, 64); err == nil {
				u.AttemptedAt = time.UnixMilli(at).UTC()
			}
			out = append(out, u)
		}
		if len(stale) > 0 {
			if err := s.Client.ZRem(ctx, s.unknownIndexKey(), stale...).Err(); err != nil {
				return nil, fmt.Errorf("list unknown effects: dropping settled entries: %w", err)
			}
		}
	}
	return out, nil
}

// ResolveEffect settles an unknown effect after someone has checked what
// really happened: happened=true records it as completed, so it is never
// performed; happened=false forgets it, so the next run of the job performs
// it (its record stays, released, so a late report of the attempt is
// still recognised). It returns ErrInvalid if the effect is not unknown.
func (s *Store) ResolveEffect(ctx context.Context, key, name string, happened bool) error {
	code, err := s.resolve(ctx, "resolve effect", key, name, happened, "person", "")
	if err != nil {
		return err
	}
	if code != "ok" {
		return fmt.Errorf("resolve effect %q of %q: it is %s, not unknown: %w", name, key, code, ErrInvalid)
	}
	return nil
}

// SettleQuietEffect settles an unknown effect as not having happened once
// it has been unknown for at least quiet (by Redis's clock) without an
// event reporting it: the next claim performs it. settled is false, with
// no error, when the effect is not unknown (an event settled it, or it is
// gone) or became unknown less than quiet ago; then the caller looks again
// later.
//
// quiet must be longer than the provider's events take to arrive: an
// effect settled as not happened whose event arrives afterwards has
// happened twice once the next run performs it (ObserveEffect reports such
// an event as stale).
func (s *Store) SettleQuietEffect(ctx context.Context, key, name string, quiet time.Duration) (settled bool, err error) {
	if quiet <= 0 {
		return false, fmt.Errorf("settle effect %q of %q: quiet period %v: %w", name, key, quiet, ErrInvalid)
	}
	now, err := s.Client.Time(ctx).Result()
	if err != nil {
		return false, fmt.Errorf("settle effect %q of %q: reading Redis's clock: %w", name, key, err)
	}
	cutoff := strconv.FormatInt(now.Add(-quiet).UnixMilli(), 10)
	code, err := s.resolve(ctx, "settle effect", key, name, false, "quiet", cutoff)
	return code == "ok", err
}

func (s *Store) resolve(ctx context.Context, op, key, name string, happened bool, by, cutoff string) (string, error) {
	if err := s.check(); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if err := checkKey(key); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if err := checkName(name); err != nil {
		return "", fmt.Errorf("%s of %q: %w", op, key, err)
	}
	flag := "0"
	if happened {
		flag = "1"
	}
	code, err := s.run(ctx, scripts.resolveEffect, []string{s.effectKey(key, name), s.unknownIndexKey()},
		flag, ms(s.retention()), indexMember(key, name), by, cutoff).Text()
	if err != nil {
		return "", fmt.Errorf("%s %q of %q: %w", op, name, key, err)
	}
	return code, nil
}

// Observation is what [Store.ObserveEffect] did with a provider's report.
type Observation string

// Observations.
const (
	// ObservedSettled: the effect was unknown and is now completed.
	ObservedSettled Observation = "settled"
	// ObservedLate: the effect had been settled as not happened (after its
	// quiet period, or by a person) and nobody had performed it again yet:
	// it is completed now, so it is not performed twice.
	ObservedLate Observation = "late"
	// ObservedAttempting: the effect is still being attempted; the report
	// is kept, and the effect is completed, not left unknown, whatever
	// becomes of its owner.
	ObservedAttempting Observation = "observed"
	// ObservedCompleted: the effect was already recorded as completed.
	ObservedCompleted Observation = "completed"
	// ObservedClaimed: the effect is claimed but was never attempted under
	// this claim.
	ObservedClaimed Observation = "claimed"
	// ObservedMissing: no such effect (expired, or never claimed).
	ObservedMissing Observation = "missing"
	// ObservedStale: the report names an earlier attempt than the
	// effect's current one: an attempt that was settled as not happened
	// did happen, so the effect may have happened twice.
	ObservedStale Observation = "stale"
)

// ObserveEffect applies a provider's report that attempt (Effect.Attempt;
// empty matches any) of the effect happened, with evidence such as the
// provider's message id. An unknown effect is completed with evidence as
// its result; an effect still being attempted keeps the report, so that a
// crash of its owner completes it instead of leaving it unknown. Observing
// twice is harmless.
func (s *Store) ObserveEffect(ctx context.Context, key, name, attempt, evidence string) (Observation, error) {
	if err := s.check(); err != nil {
		return "", fmt.Errorf("observe effect: %w", err)
	}
	if err := checkKey(key); err != nil {
		return "", fmt.Errorf("observe effect: %w", err)
	}
	if err := checkName(name); err != nil {
		return "", fmt.Errorf("observe effect of %q: %w", key, err)
	}
	code, err := s.run(ctx, scripts.observeEffect, []string{s.effectKey(key, name), s.unknownIndexKey()},
		attempt, evidence, ms(s.retention()), indexMember(key, name)).Text()
	if err != nil {
		return "", fmt.Errorf("observe effect %q of %q: %w", name, key, err)
	}
	return Observation(code), nil
}
