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
}

// MarkEffectUnknown records that the effect's outcome is unknown: the
// request went out but no answer came back (a timeout, a dropped
// connection). The effect is then never retried automatically; it is
// listed by ListUnknownEffects until ResolveEffect settles it, or until it
// expires with the store's Retention.
//
// Unlike the other effect methods, it does not require the job lease to be
// current: marking an effect unknown only ever prevents a redo, so a worker
// that lost its lease while waiting for an answer should still do it.
func (s *Store) MarkEffectUnknown(ctx context.Context, eff *Effect, reason string) error {
	if err := s.checkEffect("mark effect unknown", eff); err != nil {
		return err
	}
	op := "mark effect " + strconv.Quote(eff.Name) + " of"
	res, err := s.run(ctx, scripts.markUnknown, []string{s.effectKey(eff.Key, eff.Name)}, eff.token, reason).Slice()
	if err != nil {
		return fmt.Errorf("%s %q unknown: %w", op, eff.Key, err)
	}
	if code := str(res, 0); code != "ok" {
		return refusal(op, eff.Key, code)
	}
	return s.indexUnknown(ctx, eff.Key, eff.Name, num(res, 1))
}

// indexUnknown adds an effect to the unknown-effects index. The index lives
// in its own hash slot, so it is written apart from the effect; marking is
// idempotent, and a caller that sees this fail can mark again.
func (s *Store) indexUnknown(ctx context.Context, key, name string, markedMS int64) error {
	err := s.Client.ZAdd(ctx, s.unknownIndexKey(), redis.Z{Score: float64(markedMS), Member: indexMember(key, name)}).Err()
	if err != nil {
		return fmt.Errorf("listing effect %q of %q as unknown: %w", name, key, err)
	}
	return nil
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
			out = append(out, UnknownEffect{
				Key: key, Name: name, Fence: fence, Reason: h["reason"],
				MarkedAt: time.UnixMilli(marked).UTC(),
			})
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
// it. It returns ErrInvalid if the effect is not unknown.
func (s *Store) ResolveEffect(ctx context.Context, key, name string, happened bool) error {
	if err := s.check(); err != nil {
		return fmt.Errorf("resolve effect: %w", err)
	}
	if err := checkKey(key); err != nil {
		return fmt.Errorf("resolve effect: %w", err)
	}
	if err := checkName(name); err != nil {
		return fmt.Errorf("resolve effect of %q: %w", key, err)
	}
	flag := "0"
	if happened {
		flag = "1"
	}
	code, err := s.run(ctx, scripts.resolveEffect, []string{s.effectKey(key, name)}, flag, ms(s.retention())).Text()
	if err != nil {
		return fmt.Errorf("resolve effect %q of %q: %w", name, key, err)
	}
	if code != "ok" {
		return fmt.Errorf("resolve effect %q of %q: it is %s, not unknown: %w", name, key, code, ErrInvalid)
	}
	if err := s.Client.ZRem(ctx, s.unknownIndexKey(), indexMember(key, name)).Err(); err != nil {
		return fmt.Errorf("resolve effect %q of %q: dropping it from the index: %w", name, key, err)
	}
	return nil
}
