package idempotency_test

import (
	"bufio"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/internal/redistest"
)

// BenchmarkClaimAndComplete measures one job's claim and completion, as a
// runner makes them for a receive of 10 jobs: one call per job (on the
// autopipeline, the 10 calls in flight together) or one batch call of 10.
// It uses the real Redis at QUARRY_TEST_REDIS_URL, else miniredis. On a
// real server it also reports the server's CPU time per job
// (redis-cpu-µs/job), which the scripts' work decides.
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
		cpu0 := serverCPU(ctx, s.Client)
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
		if cpu0 >= 0 {
			b.ReportMetric(float64((serverCPU(ctx, s.Client)-cpu0).Microseconds())/float64(b.N*batch), "redis-cpu-µs/job")
		}
	})
}

// serverCPU is the Redis server's CPU time so far (user + system, from
// INFO cpu), or -1 when the server does not report it (miniredis).
func serverCPU(ctx context.Context, c redis.UniversalClient) time.Duration {
	info, err := c.Info(ctx, "cpu").Result()
	if err != nil {
		return -1
	}
	var total float64
	found := false
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		name, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if !ok || (name != "used_cpu_user" && name != "used_cpu_sys") {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return -1
		}
		total += f
		found = true
	}
	if !found {
		return -1
	}
	return time.Duration(total * float64(time.Second))
}
