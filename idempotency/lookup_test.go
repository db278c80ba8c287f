package idempotency_test

import (
	"errors"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/internal/redistest"
)

// TestLookupFollowsAClaimThroughItsStates reads one key's record after each
// step of the protocol: acquired, lapsed, taken over, released, completed.
func TestLookupFollowsAClaimThroughItsStates(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		if _, err := s.Lookup(ctx, "job-1"); !errors.Is(err, idempotency.ErrNoRecord) {
			t.Fatalf("Lookup of an unclaimed key: %v, want ErrNoRecord", err)
		}
		if _, err := s.Lookup(ctx, "bad{key}"); !errors.Is(err, idempotency.ErrInvalid) {
			t.Fatalf("Lookup of a key with braces: %v, want ErrInvalid", err)
		}

		before := time.Now().Add(-time.Second)
		first := mustClaim(t, s, "job-1", hashA, 200*time.Millisecond, idempotency.StatusAcquired)
		r := mustLookup(t, s, "job-1")
		if r.State != idempotency.StateInProgress || r.Fence != 1 || !r.LeaseLive() || r.ClaimedAt.Before(before) ||
			!r.LeaseUntil.After(r.ClaimedAt) || r.Result != nil {
			t.Fatalf("record after the first claim: %+v (live %v)", r, r.LeaseLive())
		}

		// The lease lapses with nobody claiming: still in progress, no
		// longer live.
		b.Advance(t, 250*time.Millisecond)
		if r := mustLookup(t, s, "job-1"); r.State != idempotency.StateInProgress || r.LeaseLive() {
			t.Fatalf("record after the lease lapsed: %+v (live %v)", r, r.LeaseLive())
		}

		// Taken over, then released: the fence counts acquisitions.
		second := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		if err := s.Release(ctx, second.Lease); err != nil {
			t.Fatal(err)
		}
		r = mustLookup(t, s, "job-1")
		if r.State != idempotency.StateReleased || r.Fence != 2 || r.LeaseLive() || r.ReleasedAt.IsZero() {
			t.Fatalf("record after release: %+v", r)
		}
		if err := s.Release(ctx, first.Lease); !errors.Is(err, idempotency.ErrNotOwner) {
			t.Fatalf("the first lease still works after the takeover: %v", err)
		}

		third := mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusAcquired)
		if err := s.Complete(ctx, third.Lease, []byte(`{"pdf_key":"jobs/1/doc.pdf"}`), 0); err != nil {
			t.Fatal(err)
		}
		r = mustLookup(t, s, "job-1")
		if r.State != idempotency.StateCompleted || r.Fence != 3 || string(r.Result) != `{"pdf_key":"jobs/1/doc.pdf"}` ||
			r.CompletedAt.Before(r.ClaimedAt) || r.ReleasedAt.IsZero() || r.LeaseLive() {
			t.Fatalf("record after completion: %+v", r)
		}
		// A lookup changes nothing: the next claim still sees the job done.
		mustClaim(t, s, "job-1", hashA, time.Minute, idempotency.StatusCompleted)
	})
}

func TestLookupEffectReadsEachEffectState(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		job := mustClaim(t, s, "job-2", hashA, time.Minute, idempotency.StatusAcquired)
		if _, err := s.LookupEffect(ctx, "job-2", "email:a@example.org"); !errors.Is(err, idempotency.ErrNoRecord) {
			t.Fatalf("LookupEffect of an unclaimed effect: %v, want ErrNoRecord", err)
		}
		sent := mustClaimEffect(t, s, job.Lease, "email:a@example.org", idempotency.EffectAcquired)
		pending := mustClaimEffect(t, s, job.Lease, "email:b@example.org", idempotency.EffectAcquired)
		lost := mustClaimEffect(t, s, job.Lease, "email:c@example.org", idempotency.EffectAcquired)
		if e, err := s.LookupEffect(ctx, "job-2", "email:a@example.org"); err != nil || e.State != "claimed" || e.Fence != 1 || e.ClaimedAt.IsZero() {
			t.Fatalf("claimed effect: %+v, %v", e, err)
		}
		if err := s.CompleteEffect(ctx, sent.Effect, []byte("ses-1")); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkEffectUnknown(ctx, lost.Effect, "SendEmail timed out"); err != nil {
			t.Fatal(err)
		}
		if e, err := s.LookupEffect(ctx, "job-2", "email:a@example.org"); err != nil || e.State != "completed" || e.Result != "ses-1" {
			t.Fatalf("completed effect: %+v, %v", e, err)
		}
		if e, err := s.LookupEffect(ctx, "job-2", "email:c@example.org"); err != nil || e.State != "unknown" || e.Reason != "SendEmail timed out" || e.MarkedAt.IsZero() {
			t.Fatalf("unknown effect: %+v, %v", e, err)
		}
		if err := s.ReleaseEffect(ctx, pending.Effect); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LookupEffect(ctx, "job-2", "email:b@example.org"); !errors.Is(err, idempotency.ErrNoRecord) {
			t.Fatalf("LookupEffect of a released effect: %v, want ErrNoRecord", err)
		}
	})
}

func mustLookup(t *testing.T, s *idempotency.Store, key string) idempotency.Record {
	t.Helper()
	r, err := s.Lookup(t.Context(), key)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", key, err)
	}
	if r.Key != key || r.ReadAt.IsZero() {
		t.Fatalf("Lookup(%q) = %+v", key, r)
	}
	return r
}
