package idempotency_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/messages"
)

// Every test runs once per backend of redistest.Open: miniredis always, and
// the real Redis at QUARRY_TEST_REDIS_URL when it is set. Expiry is driven
// by Backend.Advance (miniredis's clock, or real time on a real server), so
// lease TTLs are kept short.

const (
	hashA = "sha256:aaaa"
	hashB = "sha256:bbbb"
)

func newStore(b redistest.Backend) *idempotency.Store {
	return &idempotency.Store{Client: b.Client, Prefix: b.Prefix}
}

func mustClaim(t *testing.T, s *idempotency.Store, key, hash string, ttl time.Duration, want idempotency.Status) idempotency.Claim {
	t.Helper()
	c, err := s.Claim(t.Context(), key, hash, ttl)
	if err != nil {
		t.Fatalf("Claim(%q): %v", key, err)
	}
	if c.Status != want {
		t.Fatalf("Claim(%q) = %v, want %v", key, c.Status, want)
	}
	return c
}

func TestClaimAcquires(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		c := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		if c.Lease == nil || c.Lease.Key != "job-1" || c.Lease.Fence != 1 {
			t.Fatalf("lease %+v, want key job-1 fence 1", c.Lease)
		}
		// The record outlives the lease: a claim never completed still binds
		// the key to its payload for the retention period.
		ttl := b.Client.PTTL(t.Context(), b.Prefix+"idem:{job-1}").Val()
		if ttl < idempotency.DefaultRetention-time.Minute || ttl > idempotency.DefaultRetention {
			t.Errorf("record TTL %v, want about %v", ttl, idempotency.DefaultRetention)
		}
	})
}

func TestDuplicateAfterCompleteReturnsStoredResult(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		c := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		if err := s.Complete(ctx, c.Lease, []byte(`{"blob":"jobs/1/doc.pdf"}`), 48*time.Hour); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			dup := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusCompleted)
			if string(dup.Result) != `{"blob":"jobs/1/doc.pdf"}` {
				t.Fatalf("result %q", dup.Result)
			}
		}
		ttl := b.Client.PTTL(ctx, b.Prefix+"idem:{job-1}").Val()
		if ttl < 47*time.Hour || ttl > 48*time.Hour {
			t.Errorf("completed record TTL %v, want the 48h asked for", ttl)
		}

		// Zero retention means the default, longer than SQS's 14 days.
		d := mustClaim(t, s, "job-2", hashA, time.Minute, idempotency.StatusAcquired)
		if err := s.Complete(ctx, d.Lease, nil, 0); err != nil {
			t.Fatal(err)
		}
		if ttl := b.Client.PTTL(ctx, b.Prefix+"idem:{job-2}").Val(); ttl <= 14*24*time.Hour {
			t.Errorf("default retention %v is not longer than SQS's 14 days", ttl)
		}
		if dup := mustClaim(t, s, "job-2", hashA, time.Minute, idempotency.StatusCompleted); dup.Result != nil {
			t.Errorf("nil result came back as %q", dup.Result)
		}
	})
}

func TestInProgressElsewhere(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		mustClaim(t, s, "job-1", hashA, 30*time.Second, idempotency.StatusAcquired)
		other := mustClaim(t, s, "job-1", hashA, 30*time.Second, idempotency.StatusInProgress)
		if other.Lease != nil || other.RetryIn <= 0 || other.RetryIn > 30*time.Second {
			t.Fatalf("in-progress claim %+v, want no lease and 0 < RetryIn <= 30s", other)
		}
	})
}

func TestPayloadConflict(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		c := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		mustClaim(t, s, "job-1", hashB, time.Minute, idempotency.StatusPayloadConflict) // while in progress
		if err := s.Complete(ctx, c.Lease, []byte("r"), 0); err != nil {
			t.Fatal(err)
		}
		mustClaim(t, s, "job-1", hashB, time.Minute, idempotency.StatusPayloadConflict) // after completion
		mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusCompleted)

		// After a release the key stays bound to its first payload.
		r := mustClaim(t, s, "job-2", hashA, time.Minute, idempotency.StatusAcquired)
		if err := s.Release(ctx, r.Lease); err != nil {
			t.Fatal(err)
		}
		mustClaim(t, s, "job-2", hashB, time.Minute, idempotency.StatusPayloadConflict)
	})
}

func TestClaimJobUsesTheJobsKeyAndPayloadHash(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		job, err := messages.NewJob(messages.TypeNotifyEmail, messages.NotifyEmail{Recipients: []string{"jane@example.org"}, Template: "t"},
			messages.WithIdempotencyKey("import/row-17"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.ClaimJob(ctx, job, time.Minute)
		if err != nil || c.Status != idempotency.StatusAcquired || c.Lease.Key != "import/row-17" {
			t.Fatalf("ClaimJob: %+v, %v", c, err)
		}
		// A second publish of the same request under the same key, with
		// other work in it, is a conflict, not a duplicate.
		other, err := messages.NewJob(messages.TypeNotifyEmail, messages.NotifyEmail{Recipients: []string{"joe@example.org"}, Template: "t"},
			messages.WithIdempotencyKey("import/row-17"))
		if err != nil {
			t.Fatal(err)
		}
		if c, err := s.ClaimJob(ctx, other, time.Minute); err != nil || c.Status != idempotency.StatusPayloadConflict {
			t.Fatalf("ClaimJob of a different payload: %+v, %v", c, err)
		}
	})
}

func TestExtendKeepsTheLease(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		const ttl = time.Second
		c := mustClaim(t, s, "job-1", hashA, ttl, idempotency.StatusAcquired)
		b.Advance(t, 700*time.Millisecond)
		if err := s.Extend(t.Context(), c.Lease, ttl); err != nil {
			t.Fatal(err)
		}
		b.Advance(t, 700*time.Millisecond) // past the first TTL, within the renewed one
		mustClaim(t, s, "job-1", hashA, ttl, idempotency.StatusInProgress)
		if err := s.Complete(t.Context(), c.Lease, []byte("done"), 0); err != nil {
			t.Fatalf("Complete after Extend: %v", err)
		}
	})
}

func TestExpiryThenTakeoverWithHigherFence(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		old := mustClaim(t, s, "job-1", hashA, 100*time.Millisecond, idempotency.StatusAcquired)
		b.Advance(t, 150*time.Millisecond) // the owner died: no heartbeat
		taken := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		if taken.Lease.Fence <= old.Lease.Fence {
			t.Fatalf("takeover fence %d, want above %d", taken.Lease.Fence, old.Lease.Fence)
		}

		// The stale owner is refused everything, and changes nothing.
		for name, op := range map[string]func() error{
			"Complete": func() error { return s.Complete(ctx, old.Lease, []byte("stale"), 0) },
			"Extend":   func() error { return s.Extend(ctx, old.Lease, time.Minute) },
			"Release":  func() error { return s.Release(ctx, old.Lease) },
		} {
			if err := op(); !errors.Is(err, idempotency.ErrNotOwner) {
				t.Errorf("stale %s: got %v, want ErrNotOwner", name, err)
			}
		}
		mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusInProgress)
		if err := s.Complete(ctx, taken.Lease, []byte("fresh"), 0); err != nil {
			t.Fatal(err)
		}
		if dup := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusCompleted); string(dup.Result) != "fresh" {
			t.Fatalf("result %q, want the new owner's", dup.Result)
		}
		if err := s.Complete(ctx, old.Lease, []byte("stale"), 0); !errors.Is(err, idempotency.ErrNotOwner) {
			t.Errorf("stale Complete after the new owner's: got %v, want ErrNotOwner", err)
		}
	})
}

func TestLapsedLeaseWithoutTakeoverIsStillCurrent(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		c := mustClaim(t, s, "job-1", hashA, 100*time.Millisecond, idempotency.StatusAcquired)
		b.Advance(t, 150*time.Millisecond)
		// Nobody claimed in between, so the fence proves nobody else ran
		// the job: the heartbeat restores the lease.
		if err := s.Extend(ctx, c.Lease, time.Minute); err != nil {
			t.Fatalf("Extend of a lapsed lease: %v", err)
		}
		mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusInProgress)

		d := mustClaim(t, s, "job-2", hashA, 100*time.Millisecond, idempotency.StatusAcquired)
		b.Advance(t, 150*time.Millisecond)
		if err := s.Complete(ctx, d.Lease, []byte("late but alone"), 0); err != nil {
			t.Fatalf("Complete of a lapsed lease: %v", err)
		}
		mustClaim(t, s, "job-2", hashA, time.Minute, idempotency.StatusCompleted)
	})
}

func TestReleaseThenReclaim(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		first := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		if err := s.Release(ctx, first.Lease); err != nil {
			t.Fatal(err)
		}
		if err := s.Release(ctx, first.Lease); err != nil {
			t.Fatalf("second Release: %v, want a no-op", err)
		}
		if err := s.Complete(ctx, first.Lease, nil, 0); !errors.Is(err, idempotency.ErrLeaseLost) {
			t.Fatalf("Complete after Release: %v, want ErrLeaseLost", err)
		}
		if err := s.Extend(ctx, first.Lease, time.Minute); !errors.Is(err, idempotency.ErrLeaseLost) {
			t.Fatalf("Extend after Release: %v, want ErrLeaseLost", err)
		}
		// Released keys are claimable at once, without waiting for the TTL.
		second := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		if second.Lease.Fence != first.Lease.Fence+1 {
			t.Fatalf("fence %d after release, want %d", second.Lease.Fence, first.Lease.Fence+1)
		}
		if err := s.Release(ctx, first.Lease); !errors.Is(err, idempotency.ErrNotOwner) {
			t.Fatalf("old Release after re-claim: %v, want ErrNotOwner", err)
		}
	})
}

func TestCompleteIsIdempotentAndFinal(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		c := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		if err := s.Complete(ctx, c.Lease, []byte("first"), 0); err != nil {
			t.Fatal(err)
		}
		if err := s.Complete(ctx, c.Lease, []byte("second"), 0); err != nil {
			t.Fatalf("Complete retried: %v, want a no-op", err)
		}
		if dup := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusCompleted); string(dup.Result) != "first" {
			t.Fatalf("result %q, want the first", dup.Result)
		}
		if err := s.Release(ctx, c.Lease); !errors.Is(err, idempotency.ErrLeaseLost) {
			t.Errorf("Release after Complete: %v, want ErrLeaseLost", err)
		}
		if err := s.Extend(ctx, c.Lease, time.Minute); !errors.Is(err, idempotency.ErrLeaseLost) {
			t.Errorf("Extend after Complete: %v, want ErrLeaseLost", err)
		}
	})
}

func TestConcurrentClaimsExactlyOneAcquires(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		race := func(t *testing.T, key string, ttl time.Duration) (*idempotency.Lease, map[idempotency.Status]int) {
			t.Helper()
			const n = 32
			var (
				wg     sync.WaitGroup
				start  = make(chan struct{})
				mu     sync.Mutex
				counts = map[idempotency.Status]int{}
				winner *idempotency.Lease
			)
			for range n {
				wg.Go(func() {
					<-start
					c, err := s.Claim(context.Background(), key, hashA, ttl)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						t.Error(err)
						return
					}
					counts[c.Status]++
					if c.Status == idempotency.StatusAcquired {
						winner = c.Lease
					}
				})
			}
			close(start)
			wg.Wait()
			return winner, counts
		}
		// The lease must outlast the whole crowd's claims on a busy machine
		// (32 goroutines under the race detector), or a late claimer finds
		// it expired and rightly takes it over.
		const lease = time.Second
		first, counts := race(t, "job-1", lease)
		if counts[idempotency.StatusAcquired] != 1 || counts[idempotency.StatusInProgress] != 31 {
			t.Fatalf("outcomes %v, want exactly one acquired and 31 in progress", counts)
		}
		// Once the winner's lease expires, exactly one of a new crowd takes
		// it over.
		b.Advance(t, lease+50*time.Millisecond)
		second, counts := race(t, "job-1", time.Minute)
		if counts[idempotency.StatusAcquired] != 1 || counts[idempotency.StatusInProgress] != 31 {
			t.Fatalf("takeover outcomes %v, want exactly one acquired", counts)
		}
		if second.Fence != first.Fence+1 {
			t.Fatalf("takeover fence %d, want %d", second.Fence, first.Fence+1)
		}
	})
}

func TestEndedContextSendsNothing(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		c := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.Claim(ctx, "job-2", hashA, time.Minute); !errors.Is(err, context.Canceled) {
			t.Fatalf("Claim with an ended context: %v, want context.Canceled", err)
		}
		if n := b.Client.Exists(t.Context(), b.Prefix+"idem:{job-2}").Val(); n != 0 {
			t.Fatal("Claim with an ended context wrote the record")
		}
		if err := s.Complete(ctx, c.Lease, nil, 0); !errors.Is(err, context.Canceled) {
			t.Fatalf("Complete with an ended context: %v, want context.Canceled", err)
		}
		// Still in progress, so still completable.
		if err := s.Complete(t.Context(), c.Lease, nil, 0); err != nil {
			t.Fatal(err)
		}
	})
}

func TestInvalidArguments(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		for name, key := range map[string]string{"empty": "", "brace": "a{b}", "newline": "a\nb", "long": string(make([]byte, 1025))} {
			if _, err := s.Claim(ctx, key, hashA, time.Minute); !errors.Is(err, idempotency.ErrInvalid) {
				t.Errorf("Claim with %s key: %v, want ErrInvalid", name, err)
			}
		}
		if _, err := s.Claim(ctx, "k", hashA, 0); !errors.Is(err, idempotency.ErrInvalid) {
			t.Errorf("Claim with zero TTL: %v, want ErrInvalid", err)
		}
		if err := s.Complete(ctx, nil, nil, 0); !errors.Is(err, idempotency.ErrInvalid) {
			t.Errorf("Complete(nil): %v, want ErrInvalid", err)
		}
		if err := s.Extend(ctx, &idempotency.Lease{Key: "k", Fence: 1}, time.Minute); !errors.Is(err, idempotency.ErrInvalid) {
			t.Errorf("Extend of a hand-made lease: %v, want ErrInvalid", err)
		}
		if _, err := (&idempotency.Store{}).Claim(ctx, "k", hashA, time.Minute); !errors.Is(err, idempotency.ErrInvalid) {
			t.Errorf("Claim on a store without a client: %v, want ErrInvalid", err)
		}
	})
}
