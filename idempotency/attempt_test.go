package idempotency_test

import (
	"errors"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/internal/redistest"
)

// A worker that dies after claiming an effect but before attempting it
// (during a suppression check or a rate wait) sent nothing: the next owner
// performs the effect, and nothing is listed unknown.
func TestEffectClaimedButNeverAttemptedIsTakenOver(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		old := mustClaim(t, s, "job-1", hashA, 100*time.Millisecond, idempotency.StatusAcquired)
		stale := mustClaimEffect(t, s, old.Lease, "email:jane@example.org", idempotency.EffectAcquired)
		if stale.TakenOver {
			t.Error("a fresh claim reports TakenOver")
		}
		b.Advance(t, 150*time.Millisecond) // the worker died waiting for the send rate
		next := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		c := mustClaimEffect(t, s, next.Lease, "email:jane@example.org", idempotency.EffectAcquired)
		if !c.TakenOver {
			t.Error("taking over a never-attempted effect is not reported")
		}
		// The dead owner's hold is void.
		if err := s.AttemptEffect(ctx, stale.Effect); !errors.Is(err, idempotency.ErrNotOwner) {
			t.Errorf("stale AttemptEffect: %v, want ErrNotOwner", err)
		}
		if err := s.AttemptEffect(ctx, c.Effect); err != nil {
			t.Fatal(err)
		}
		if err := s.AttemptEffect(ctx, c.Effect); err != nil {
			t.Fatalf("attempting twice: %v, want a no-op", err)
		}
		if err := s.CompleteEffect(ctx, c.Effect, []byte("ses-1")); err != nil {
			t.Fatal(err)
		}
		if list, err := s.ListUnknownEffects(ctx); err != nil || len(list) != 0 {
			t.Fatalf("unknown effects %+v, %v; want none", list, err)
		}
		if err := s.AttemptEffect(ctx, c.Effect); !errors.Is(err, idempotency.ErrLeaseLost) {
			t.Errorf("attempting a completed effect: %v, want ErrLeaseLost", err)
		}
	})
}

// A worker that dies inside the request leaves the effect unknown, and the
// claim that finds it so lists it in the same step.
func TestEffectAbandonedWhileAttemptingIsUnknownAndListed(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		old := mustClaim(t, s, "job-1", hashA, 100*time.Millisecond, idempotency.StatusAcquired)
		e := mustClaimEffect(t, s, old.Lease, "email:jane@example.org", idempotency.EffectAcquired)
		if err := s.AttemptEffect(ctx, e.Effect); err != nil {
			t.Fatal(err)
		}
		b.Advance(t, 150*time.Millisecond)
		next := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		u := mustClaimEffect(t, s, next.Lease, "email:jane@example.org", idempotency.EffectUnknown)
		if u.Reason == "" || u.MarkedAt.IsZero() {
			t.Errorf("unknown claim %+v: want a reason and a time", u)
		}
		members := b.Client.ZRange(ctx, b.Prefix+"idem:unknown-effects", 0, -1).Val()
		if len(members) != 1 || members[0] != "job-1\nemail:jane@example.org" {
			t.Fatalf("index %q right after the claim found the effect abandoned", members)
		}
		list, err := s.ListUnknownEffects(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Attempt != e.Effect.Attempt() || list[0].AttemptedAt.IsZero() {
			t.Fatalf("listed %+v", list)
		}
		// Marking again (a retried MarkEffectUnknown) restores a lost index
		// entry rather than leaving it out.
		b.Client.Del(ctx, b.Prefix+"idem:unknown-effects")
		if err := s.MarkEffectUnknown(ctx, e.Effect, "timeout"); err != nil {
			t.Fatal(err)
		}
		if n := b.Client.ZCard(ctx, b.Prefix+"idem:unknown-effects").Val(); n != 1 {
			t.Errorf("index holds %d entries after marking again, want 1", n)
		}
	})
}

// The provider's events settle unknown effects: an event for an unknown
// effect completes it; an event that arrives while the effect is still
// being attempted makes a later crash complete it instead of leaving it
// unknown; an event for an attempt already settled as not happened is
// reported stale.
func TestObserveEffect(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		old := mustClaim(t, s, "job-1", hashA, 100*time.Millisecond, idempotency.StatusAcquired)
		a := mustClaimEffect(t, s, old.Lease, "email:a@example.org", idempotency.EffectAcquired)
		c := mustClaimEffect(t, s, old.Lease, "email:c@example.org", idempotency.EffectAcquired)
		for _, e := range []*idempotency.Effect{a.Effect, c.Effect} {
			if err := s.AttemptEffect(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.MarkEffectUnknown(ctx, a.Effect, "timeout"); err != nil {
			t.Fatal(err)
		}
		if got, err := s.ObserveEffect(ctx, "job-1", "email:a@example.org", "another-attempt", "ses-x"); err != nil || got != idempotency.ObservedStale {
			t.Errorf("event naming another attempt: %v, %v; want stale", got, err)
		}
		if got, err := s.ObserveEffect(ctx, "job-1", "email:a@example.org", a.Effect.Attempt(), "ses-a"); err != nil || got != idempotency.ObservedSettled {
			t.Fatalf("event for the unknown effect: %v, %v; want settled", got, err)
		}
		if got, _ := s.ObserveEffect(ctx, "job-1", "email:a@example.org", a.Effect.Attempt(), "ses-a"); got != idempotency.ObservedCompleted {
			t.Errorf("the same event again: %v, want completed", got)
		}
		// c's event arrives while c's owner is still waiting for the
		// answer, and then the owner dies.
		if got, _ := s.ObserveEffect(ctx, "job-1", "email:c@example.org", c.Effect.Attempt(), "ses-c"); got != idempotency.ObservedAttempting {
			t.Errorf("event while attempting: %v, want observed", got)
		}
		if got, _ := s.ObserveEffect(ctx, "job-1", "email:nobody@example.org", "", "ses-n"); got != idempotency.ObservedMissing {
			t.Errorf("event for no effect: %v, want missing", got)
		}
		b.Advance(t, 150*time.Millisecond)
		next := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		if got := mustClaimEffect(t, s, next.Lease, "email:a@example.org", idempotency.EffectCompleted); string(got.Result) != "ses-a" {
			t.Errorf("a's result %q, want the event's message id", got.Result)
		}
		if got := mustClaimEffect(t, s, next.Lease, "email:c@example.org", idempotency.EffectCompleted); string(got.Result) != "ses-c" {
			t.Errorf("c's result %q, want the event's message id", got.Result)
		}
		if list, err := s.ListUnknownEffects(ctx); err != nil || len(list) != 0 {
			t.Fatalf("unknown effects %+v, %v; want none", list, err)
		}
	})
}

// An unknown effect that no event reports within the quiet period is
// settled as not happened, and the next claim performs it.
func TestSettleQuietEffect(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		job := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		e := mustClaimEffect(t, s, job.Lease, "email:a@example.org", idempotency.EffectAcquired)
		if err := s.AttemptEffect(ctx, e.Effect); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkEffectUnknown(ctx, e.Effect, "timeout"); err != nil {
			t.Fatal(err)
		}
		const quiet = 300 * time.Millisecond
		if ok, err := s.SettleQuietEffect(ctx, "job-1", "email:a@example.org", quiet); err != nil || ok {
			t.Fatalf("settling before the quiet period: %v, %v; want not settled", ok, err)
		}
		b.Advance(t, quiet+50*time.Millisecond)
		if ok, err := s.SettleQuietEffect(ctx, "job-1", "email:a@example.org", quiet); err != nil || !ok {
			t.Fatalf("settling after the quiet period: %v, %v; want settled", ok, err)
		}
		if ok, err := s.SettleQuietEffect(ctx, "job-1", "email:a@example.org", quiet); err != nil || ok {
			t.Errorf("settling twice: %v, %v; want not settled", ok, err)
		}
		if list, err := s.ListUnknownEffects(ctx); err != nil || len(list) != 0 {
			t.Fatalf("unknown effects %+v, %v; want none", list, err)
		}
		again := mustClaimEffect(t, s, job.Lease, "email:a@example.org", idempotency.EffectAcquired)
		if got, _ := s.ObserveEffect(ctx, "job-1", "email:a@example.org", e.Effect.Attempt(), "late"); got != idempotency.ObservedStale {
			t.Errorf("a late event for the settled attempt: %v, want stale", got)
		}
		_ = again
	})
}

// With an epoch set, no effect is attempted once Redis has lost the epoch
// record (it lost its data) or holds another one.
func TestAttemptEffectRefusedAfterEpochLoss(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		epoch, created, err := s.CreateEpoch(ctx)
		if err != nil || !created || epoch == "" {
			t.Fatalf("CreateEpoch: %q, %v, %v", epoch, created, err)
		}
		if again, created, err := s.CreateEpoch(ctx); err != nil || created || again != epoch {
			t.Fatalf("CreateEpoch again: %q, %v, %v; want the first", again, created, err)
		}
		s.Epoch = epoch
		job := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		ok := mustClaimEffect(t, s, job.Lease, "email:a@example.org", idempotency.EffectAcquired)
		if err := s.AttemptEffect(ctx, ok.Effect); err != nil {
			t.Fatal(err)
		}
		lost := mustClaimEffect(t, s, job.Lease, "email:b@example.org", idempotency.EffectAcquired)
		b.Client.Del(ctx, b.Prefix+"epoch")
		if err := s.AttemptEffect(ctx, lost.Effect); !errors.Is(err, idempotency.ErrEpochChanged) {
			t.Fatalf("attempt after the epoch record vanished: %v, want ErrEpochChanged", err)
		}
		if err := s.ReplaceEpoch(ctx, "another"); err != nil {
			t.Fatal(err)
		}
		if err := s.AttemptEffect(ctx, lost.Effect); !errors.Is(err, idempotency.ErrEpochChanged) {
			t.Fatalf("attempt under another epoch: %v, want ErrEpochChanged", err)
		}
		if got, err := s.ReadEpoch(ctx); err != nil || got != "another" {
			t.Errorf("ReadEpoch: %q, %v", got, err)
		}
	})
}
