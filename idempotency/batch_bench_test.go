package idempotency_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/internal/redistest"
)

// BenchmarkClaimAndComplete measures one job's claim and completion, as a
// runner makes them for a receive of 10 jobs: one call per job (on the
// autopipeline, the 10 calls in flight together) or one batch call of 10.
// It uses the real Redis at QUARRY_TEST_REDIS_URL, else miniredis.
//
//	go test -run '^$' -bench ClaimAndComplete ./idempotency/
func BenchmarkClaimAndComplete(b *testing.B) {
	s := &idempotency.Store{Client: redistest.Client(b), Prefix: redistest.Prefix(b)}
	ctx := b.Context()
	const batch = 10
	n := 0
	keys := func() []idempotency.ClaimRequest {
		reqs := make([]idempotency.ClaimRequest, batch)
		for i := range reqs {
			n++
			reqs[i] = idempotency.ClaimRequest{Key: "job-" + strconv.Itoa(n), PayloadHash: hashA}
		}
		return reqs
	}
	b.Run("per-job", func(b *testing.B) {
		for b.Loop() {
			reqs := keys()
			errs := make(chan error, batch)
			for _, r := range reqs {
				go func() {
					c, err := s.Claim(ctx, r.Key, r.PayloadHash, time.Minute)
					if err == nil {
						err = s.Complete(ctx, c.Lease, nil, time.Hour)
					}
					errs <- err
				}()
			}
			for range batch {
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/job")
	})
	b.Run("batch", func(b *testing.B) {
		for b.Loop() {
			res := s.ClaimBatch(ctx, keys(), time.Minute)
			items := make([]idempotency.Completion, batch)
			for i, r := range res {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
				items[i] = idempotency.Completion{Lease: r.Lease, Retention: time.Hour}
			}
			for _, err := range s.CompleteBatch(ctx, items) {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/job")
	})
}
