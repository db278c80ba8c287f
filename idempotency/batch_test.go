package idempotency_test

import (
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/internal/redistest"
)

// batchStores returns the backend's store, whose batches run as one
// script, and one on a single-shard ring over the same server, whose
// batches run job by job: both must give the same answers.
func batchStores(t *testing.T, b redistest.Backend) map[string]*idempotency.Store {
	t.Helper()
	opts := b.Client.(*redis.Client).Options()
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"only": opts.Addr}, DB: opts.DB})
	t.Cleanup(func() { _ = ring.Close() })
	return map[string]*idempotency.Store{
		"script":  newStore(b),
		"per-job": {Client: ring, Prefix: b.Prefix + "ring:"},
	}
}

// runOnBatchStores runs fn as a subtest for each backend and each of its
// batchStores.
func runOnBatchStores(t *testing.T, fn func(t *testing.T, b redistest.Backend, s *idempotency.Store)) {
	t.Helper()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		for name, s := range batchStores(t, b) {
			t.Run(name, func(t *testing.T) { fn(t, b, s) })
		}
	})
}

func TestClaimBatchAnswersLikeClaim(t *testing.T) {
	t.Parallel()
	runOnBatchStores(t, func(t *testing.T, b redistest.Backend, s *idempotency.Store) {
		ctx := t.Context()
		done := mustClaim(t, s, "done", hashA, time.Minute, idempotency.StatusAcquired)
		if err := s.Complete(ctx, done.Lease, []byte("stored"), 0); err != nil {
			t.Fatal(err)
		}
		mustClaim(t, s, "busy", hashA, time.Minute, idempotency.StatusAcquired)
		released := mustClaim(t, s, "released", hashA, time.Minute, idempotency.StatusAcquired)
		if err := s.Release(ctx, released.Lease); err != nil {
			t.Fatal(err)
		}

		res := s.ClaimBatch(ctx, []idempotency.ClaimRequest{
			{Key: "new", PayloadHash: hashA},
			{Key: "done", PayloadHash: hashA},
			{Key: "busy", PayloadHash: hashA},
			{Key: "done", PayloadHash: hashB},
			{Key: "bad{key", PayloadHash: hashA},
			{Key: "released", PayloadHash: hashA},
			{Key: "twice", PayloadHash: hashA},
			{Key: "twice", PayloadHash: hashA},
		}, time.Minute)
		if len(res) != 8 {
			t.Fatalf("%d results for 8 requests", len(res))
		}
		want := []idempotency.Status{
			idempotency.StatusAcquired, idempotency.StatusCompleted, idempotency.StatusInProgress,
			idempotency.StatusPayloadConflict, 0, idempotency.StatusAcquired,
		}
		// A key asked for twice: one request gets it, the other finds
		// it in progress.
		if got := []idempotency.Status{res[6].Status, res[7].Status}; !(got[0] == idempotency.StatusAcquired && got[1] == idempotency.StatusInProgress) &&
			!(got[1] == idempotency.StatusAcquired && got[0] == idempotency.StatusInProgress) {
			t.Errorf("a key asked for twice: %v, want one acquired and one in progress", got)
		}
		for i, r := range res[:6] {
			if i == 4 {
				if !errors.Is(r.Err, idempotency.ErrInvalid) {
					t.Errorf("request 4 (bad key): err %v, want ErrInvalid", r.Err)
				}
				continue
			}
			if r.Err != nil || r.Status != want[i] {
				t.Errorf("request %d: %v, %v; want %v", i, r.Status, r.Err, want[i])
			}
		}
		if string(res[1].Result) != "stored" {
			t.Errorf("completed result %q, want the stored one", res[1].Result)
		}
		if res[2].RetryIn <= 0 || res[2].RetryIn > time.Minute {
			t.Errorf("in-progress RetryIn %v", res[2].RetryIn)
		}
		if res[5].Lease.Fence != released.Lease.Fence+1 {
			t.Errorf("re-acquired fence %d, want %d", res[5].Lease.Fence, released.Lease.Fence+1)
		}

		// The leases are real: they complete, and a stale one is refused.
		if err := s.Complete(ctx, res[0].Lease, []byte("new-result"), 0); err != nil {
			t.Fatal(err)
		}
		mustClaim(t, s, "new", hashA, time.Minute, idempotency.StatusCompleted)
		if err := s.Complete(ctx, released.Lease, nil, 0); !errors.Is(err, idempotency.ErrNotOwner) {
			t.Errorf("stale lease after batch takeover: %v, want ErrNotOwner", err)
		}
	})
}

func TestCompleteBatchAnswersLikeComplete(t *testing.T) {
	t.Parallel()
	runOnBatchStores(t, func(t *testing.T, b redistest.Backend, s *idempotency.Store) {
		ctx := t.Context()
		a := mustClaim(t, s, "a", hashA, time.Minute, idempotency.StatusAcquired)
		bb := mustClaim(t, s, "b", hashA, time.Minute, idempotency.StatusAcquired)
		rel := mustClaim(t, s, "rel", hashA, time.Minute, idempotency.StatusAcquired)
		if err := s.Release(ctx, rel.Lease); err != nil {
			t.Fatal(err)
		}
		stale := mustClaim(t, s, "stale", hashA, 50*time.Millisecond, idempotency.StatusAcquired)
		b.Advance(t, 100*time.Millisecond)
		mustClaim(t, s, "stale", hashA, time.Minute, idempotency.StatusAcquired)

		errs := s.CompleteBatch(ctx, []idempotency.Completion{
			{Lease: a.Lease, Result: []byte("ra")},
			{Lease: bb.Lease, Result: []byte("rb"), Retention: time.Hour},
			{Lease: rel.Lease},
			{Lease: stale.Lease},
			{Lease: nil},
		})
		wantErr := []error{nil, nil, idempotency.ErrLeaseLost, idempotency.ErrNotOwner, idempotency.ErrInvalid}
		for i, err := range errs {
			if !errors.Is(err, wantErr[i]) || (wantErr[i] == nil && err != nil) {
				t.Errorf("completion %d: %v, want %v", i, err, wantErr[i])
			}
		}
		// A completion retried after a lost reply is accepted and
		// changes nothing.
		if errs := s.CompleteBatch(ctx, []idempotency.Completion{{Lease: a.Lease, Result: []byte("again")}}); errs[0] != nil {
			t.Errorf("retried completion: %v", errs[0])
		}
		if c := mustClaim(t, s, "a", hashA, time.Minute, idempotency.StatusCompleted); string(c.Result) != "ra" {
			t.Errorf("a's result %q, want the first completion's", c.Result)
		}
		if c := mustClaim(t, s, "b", hashA, time.Minute, idempotency.StatusCompleted); string(c.Result) != "rb" {
			t.Errorf("b's result %q", c.Result)
		}
		if ttl := b.Client.PTTL(ctx, s.Prefix+"idem:{b}").Val(); ttl <= 59*time.Minute || ttl > time.Hour {
			t.Errorf("b's record TTL %v, want the hour asked for", ttl)
		}
		if ttl := b.Client.PTTL(ctx, s.Prefix+"idem:{a}").Val(); ttl < idempotency.DefaultRetention-time.Minute {
			t.Errorf("a's record TTL %v, want the default retention", ttl)
		}
		mustClaim(t, s, "rel", hashA, time.Minute, idempotency.StatusAcquired)
	})
}

func TestBatchOnRedisErrorFailsEveryRequest(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		c := mustClaim(t, s, "held", hashA, time.Minute, idempotency.StatusAcquired)
		closed := redis.NewClient(b.Client.(*redis.Client).Options())
		_ = closed.Close()
		dead := &idempotency.Store{Client: closed, Prefix: b.Prefix}
		for i, r := range dead.ClaimBatch(ctx, []idempotency.ClaimRequest{{Key: "x", PayloadHash: hashA}, {Key: "y", PayloadHash: hashA}}, time.Minute) {
			if r.Err == nil {
				t.Errorf("claim %d on a closed client: no error", i)
			}
		}
		for i, err := range dead.CompleteBatch(ctx, []idempotency.Completion{{Lease: c.Lease}}) {
			if err == nil {
				t.Errorf("complete %d on a closed client: no error", i)
			}
		}
		mustClaim(t, s, "held", hashA, time.Minute, idempotency.StatusInProgress)
	})
}
