package idempotency_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/internal/redistest"
)

func mustClaimEffect(t *testing.T, s *idempotency.Store, lease *idempotency.Lease, name string, want idempotency.EffectStatus) idempotency.EffectClaim {
	t.Helper()
	c, err := s.ClaimEffect(t.Context(), lease, name)
	if err != nil {
		t.Fatalf("ClaimEffect(%q): %v", name, err)
	}
	if c.Status != want {
		t.Fatalf("ClaimEffect(%q) = %v (%s), want %v", name, c.Status, c.Reason, want)
	}
	return c
}

func TestEffectHappensOnce(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		job := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		e := mustClaimEffect(t, s, job.Lease, "email:jane@example.org", idempotency.EffectAcquired)
		if e.Effect.Key != "job-1" || e.Effect.Name != "email:jane@example.org" || e.Effect.Fence != job.Lease.Fence {
			t.Fatalf("effect %+v", e.Effect)
		}
		if err := s.CompleteEffect(ctx, e.Effect, []byte("ses-0100018f")); err != nil {
			t.Fatal(err)
		}
		if err := s.CompleteEffect(ctx, e.Effect, []byte("again")); err != nil {
			t.Fatalf("CompleteEffect retried: %v, want a no-op", err)
		}
		done := mustClaimEffect(t, s, job.Lease, "email:jane@example.org", idempotency.EffectCompleted)
		if string(done.Result) != "ses-0100018f" {
			t.Fatalf("effect result %q", done.Result)
		}
		mustClaimEffect(t, s, job.Lease, "email:joe@example.org", idempotency.EffectAcquired)

		// The job fails and runs again: the completed effect is skipped.
		if err := s.Release(ctx, job.Lease); err != nil {
			t.Fatal(err)
		}
		retry := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		mustClaimEffect(t, s, retry.Lease, "email:jane@example.org", idempotency.EffectCompleted)
	})
}

func TestEffectConcurrentClaimersUnderOneLease(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		job := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		var (
			wg       sync.WaitGroup
			start    = make(chan struct{})
			acquired atomic.Int32
			busy     atomic.Int32
		)
		for range 32 {
			wg.Go(func() {
				<-start
				c, err := s.ClaimEffect(context.Background(), job.Lease, "email:jane@example.org")
				switch {
				case err != nil:
					t.Error(err)
				case c.Status == idempotency.EffectAcquired:
					acquired.Add(1)
				case c.Status == idempotency.EffectInProgress:
					busy.Add(1)
				default:
					t.Errorf("status %v", c.Status)
				}
			})
		}
		close(start)
		wg.Wait()
		if acquired.Load() != 1 || busy.Load() != 31 {
			t.Fatalf("%d acquired, %d in progress; want 1 and 31", acquired.Load(), busy.Load())
		}
	})
}

// TestEffectsOnceAcrossConcurrentWorkers has eight workers race to process
// one job that mails four recipients through effect keys. The first owner
// dies right after sending the first mail, before recording it; the second
// dies between two mails; the third finishes. Every recipient gets exactly
// one mail, and the mail whose outcome was never recorded is listed as
// unknown rather than sent again.
func TestEffectsOnceAcrossConcurrentWorkers(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		// Long enough that a live owner keeps it on a busy machine while
		// seven others poll: only the deaths below let it lapse.
		const lease = time.Second
		recipients := []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org"}
		var (
			mu           sync.Mutex
			sent         = map[string]int{}
			acquisitions atomic.Int32
		)
		// run is one attempt by one process; it reports whether the process
		// died (leaving its lease to expire).
		run := func(ctx context.Context, l *idempotency.Lease) (died bool, err error) {
			n := acquisitions.Add(1)
			for i, r := range recipients {
				e, err := s.ClaimEffect(ctx, l, "email:"+r)
				if err != nil {
					return false, err
				}
				if e.Status != idempotency.EffectAcquired {
					continue
				}
				if err := s.AttemptEffect(ctx, e.Effect); err != nil {
					return false, err
				}
				mu.Lock()
				sent[r]++
				mu.Unlock()
				if n == 1 && i == 0 {
					return true, nil // died after sending, before recording it
				}
				if err := s.CompleteEffect(ctx, e.Effect, []byte("ses-"+r)); err != nil {
					return false, err
				}
				if n == 2 && i == 1 {
					return true, nil // died between two mails
				}
			}
			return false, s.Complete(ctx, l, []byte("ok"), 0)
		}
		worker := func(ctx context.Context) error {
			for {
				c, err := s.Claim(ctx, "job-1", hashA, lease)
				if err != nil {
					return err
				}
				switch c.Status {
				case idempotency.StatusCompleted:
					return nil
				case idempotency.StatusInProgress:
					select {
					case <-ctx.Done():
						return ctx.Err()
					case <-time.After(time.Millisecond):
					}
					continue
				case idempotency.StatusAcquired:
				default:
					return fmt.Errorf("claim: %v", c.Status)
				}
				died, err := run(ctx, c.Lease)
				if err != nil {
					return err
				}
				if !died {
					return nil
				}
				// The dead process's lease runs out; this goroutine goes on
				// as a new process.
				b.Advance(t, lease+50*time.Millisecond)
			}
		}
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if err := worker(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		for _, r := range recipients {
			if sent[r] != 1 {
				t.Errorf("%s got %d mails, want 1", r, sent[r])
			}
		}
		if n := acquisitions.Load(); n != 3 {
			t.Errorf("%d acquisitions, want 3 (two deaths, one finish)", n)
		}
		list, err := s.ListUnknownEffects(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Name != "email:a@example.org" || list[0].Fence != 1 {
			t.Fatalf("unknown effects %+v, want only the first owner's unrecorded mail to a@", list)
		}
	})
}

func TestStaleOwnerCannotTouchEffects(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		old := mustClaim(t, s, "job-1", hashA, 100*time.Millisecond, idempotency.StatusAcquired)
		sending := mustClaimEffect(t, s, old.Lease, "email:jane@example.org", idempotency.EffectAcquired)
		if err := s.AttemptEffect(ctx, sending.Effect); err != nil {
			t.Fatal(err)
		}
		idle := mustClaimEffect(t, s, old.Lease, "email:joe@example.org", idempotency.EffectAcquired)
		if err := s.ReleaseEffect(ctx, idle.Effect); err != nil { // joe's send was refused before it went out
			t.Fatal(err)
		}

		// The old owner stalls mid-send; its lease lapses and another
		// worker takes the job over.
		b.Advance(t, 150*time.Millisecond)
		taken := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)

		if _, err := s.ClaimEffect(ctx, old.Lease, "email:ann@example.org"); !errors.Is(err, idempotency.ErrNotOwner) {
			t.Errorf("stale ClaimEffect: %v, want ErrNotOwner", err)
		}
		if err := s.CompleteEffect(ctx, sending.Effect, []byte("late")); !errors.Is(err, idempotency.ErrNotOwner) {
			t.Errorf("stale CompleteEffect: %v, want ErrNotOwner", err)
		}
		if err := s.ReleaseEffect(ctx, sending.Effect); !errors.Is(err, idempotency.ErrNotOwner) {
			t.Errorf("stale ReleaseEffect: %v, want ErrNotOwner", err)
		}
		if err := s.AttemptEffect(ctx, idle.Effect); !errors.Is(err, idempotency.ErrNotOwner) {
			t.Errorf("stale AttemptEffect: %v, want ErrNotOwner", err)
		}

		// The new owner must not resend jane's mail: it may have gone out.
		u := mustClaimEffect(t, s, taken.Lease, "email:jane@example.org", idempotency.EffectUnknown)
		if u.Reason == "" {
			t.Error("unknown effect without a reason")
		}
		// Joe's was released, so it is performed now.
		mustClaimEffect(t, s, taken.Lease, "email:joe@example.org", idempotency.EffectAcquired)

		list, err := s.ListUnknownEffects(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Key != "job-1" || list[0].Name != "email:jane@example.org" || list[0].Fence != old.Lease.Fence || list[0].MarkedAt.IsZero() {
			t.Fatalf("unknown effects %+v", list)
		}
	})
}

func TestMarkEffectUnknownThenResolve(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		job := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		before := time.Now().Add(-time.Minute)
		for _, name := range []string{"email:a@example.org", "email:b@example.org"} {
			e := mustClaimEffect(t, s, job.Lease, name, idempotency.EffectAcquired)
			if err := s.AttemptEffect(ctx, e.Effect); err != nil {
				t.Fatal(err)
			}
			if err := s.MarkEffectUnknown(ctx, e.Effect, "SES SendEmail timed out after the request was sent"); err != nil {
				t.Fatal(err)
			}
			if err := s.MarkEffectUnknown(ctx, e.Effect, "SES SendEmail timed out after the request was sent"); err != nil {
				t.Fatalf("marking twice: %v", err)
			}
			if err := s.ReleaseEffect(ctx, e.Effect); !errors.Is(err, idempotency.ErrLeaseLost) {
				t.Fatalf("ReleaseEffect of an unknown effect: %v, want ErrLeaseLost", err)
			}
		}
		// Not retried automatically, by this run or the next.
		mustClaimEffect(t, s, job.Lease, "email:a@example.org", idempotency.EffectUnknown)
		if err := s.Release(ctx, job.Lease); err != nil {
			t.Fatal(err)
		}
		next := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		u := mustClaimEffect(t, s, next.Lease, "email:b@example.org", idempotency.EffectUnknown)
		if u.Reason != "SES SendEmail timed out after the request was sent" {
			t.Errorf("reason %q", u.Reason)
		}

		list, err := s.ListUnknownEffects(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 {
			t.Fatalf("listed %+v, want both effects", list)
		}
		for _, u := range list {
			if u.Key != "job-1" || u.Reason == "" || u.MarkedAt.Before(before) || u.Fence != job.Lease.Fence {
				t.Errorf("listed %+v", u)
			}
		}

		// A person checked: a's mail went out, b's did not.
		if err := s.ResolveEffect(ctx, "job-1", "email:a@example.org", true); err != nil {
			t.Fatal(err)
		}
		if err := s.ResolveEffect(ctx, "job-1", "email:b@example.org", false); err != nil {
			t.Fatal(err)
		}
		if err := s.ResolveEffect(ctx, "job-1", "email:b@example.org", false); !errors.Is(err, idempotency.ErrInvalid) {
			t.Errorf("resolving twice: %v, want ErrInvalid", err)
		}
		mustClaimEffect(t, s, next.Lease, "email:a@example.org", idempotency.EffectCompleted)
		mustClaimEffect(t, s, next.Lease, "email:b@example.org", idempotency.EffectAcquired)
		if list, err := s.ListUnknownEffects(ctx); err != nil || len(list) != 0 {
			t.Fatalf("after resolving: %+v, %v; want none", list, err)
		}
	})
}

func TestListUnknownEffectsDropsSettledEntries(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		job := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		e := mustClaimEffect(t, s, job.Lease, "email:a@example.org", idempotency.EffectAcquired)
		if err := s.MarkEffectUnknown(ctx, e.Effect, "timeout"); err != nil {
			t.Fatal(err)
		}
		// The same run learns the outcome after all.
		if err := s.CompleteEffect(ctx, e.Effect, []byte("ses-1")); err != nil {
			t.Fatalf("completing an effect this claim marked unknown: %v", err)
		}
		if list, err := s.ListUnknownEffects(ctx); err != nil || len(list) != 0 {
			t.Fatalf("listed %+v, %v; want none", list, err)
		}
		if n := b.Client.ZCard(ctx, b.Prefix+"idem:unknown-effects").Val(); n != 0 {
			t.Errorf("index still holds %d entries", n)
		}
	})
}
