package idempotency

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// maxBatch is the most jobs one batch script handles; larger batches are
// split, so no single script holds Redis for long.
const maxBatch = 64

// ClaimRequest is one job of a [Store.ClaimBatch].
type ClaimRequest struct {
	// Key is the job's idempotency key.
	Key string
	// PayloadHash is [messages.PayloadHash] of the job.
	PayloadHash string
}

// ClaimResult is the outcome of one request of a [Store.ClaimBatch]: a
// Claim as [Store.Claim] returns it, or Err.
type ClaimResult struct {
	Claim
	Err error
}

// ClaimBatch claims several jobs at once, each exactly as [Store.Claim]
// would, and returns their outcomes in request order. A key given twice is
// acquired by one of its requests and in progress for the other.
//
// On a single Redis server (a *redis.Client, failover clients included)
// the whole batch is one script call: one round trip and one script run
// instead of one per job. It is sent on its own rather than on the
// autopipeline: it already carries many jobs, and waiting behind the
// pipeline's batch in flight would only add latency. On a cluster or
// ring, where the keys of different jobs live in different slots, each job
// is claimed on its own (the calls share the client's autopipeline).
//
// An invalid request gets its own error and does not hold up the others;
// a Redis error is every request's error.
func (s *Store) ClaimBatch(ctx context.Context, reqs []ClaimRequest, leaseTTL time.Duration) []ClaimResult {
	out := make([]ClaimResult, len(reqs))
	if !s.batches() {
		each(len(reqs), func(i int) {
			out[i].Claim, out[i].Err = s.Claim(ctx, reqs[i].Key, reqs[i].PayloadHash, leaseTTL)
		})
		return out
	}
	if err := s.check(); err != nil {
		return fail(out, fmt.Errorf("claim batch: %w", err))
	}
	if leaseTTL <= 0 {
		return fail(out, fmt.Errorf("claim batch: lease TTL %v is not positive: %w", leaseTTL, ErrInvalid))
	}
	// Requests that can be sent, by index into reqs, with their tokens.
	idx := make([]int, 0, len(reqs))
	tokens := make([]string, len(reqs))
	for i, r := range reqs {
		if err := checkKey(r.Key); err != nil {
			out[i].Err = fmt.Errorf("claim: %w", err)
			continue
		}
		tok, err := newToken()
		if err != nil {
			out[i].Err = fmt.Errorf("claim %q: %w", r.Key, err)
			continue
		}
		tokens[i] = tok
		idx = append(idx, i)
	}
	for len(idx) > 0 {
		part := idx[:min(len(idx), maxBatch)]
		idx = idx[len(part):]
		keys := make([]string, 0, len(part))
		args := make([]any, 0, 2+2*len(part))
		args = append(args, ms(leaseTTL), ms(s.retention()))
		for _, i := range part {
			keys = append(keys, s.recordKey(reqs[i].Key))
			args = append(args, reqs[i].PayloadHash, tokens[i])
		}
		replies, err := scripts.claimBatch.Run(ctx, s.Client, keys, args...).Slice()
		if err == nil && len(replies) != len(part) {
			err = fmt.Errorf("%d replies for %d jobs", len(replies), len(part))
		}
		for n, i := range part {
			if err != nil {
				out[i].Err = fmt.Errorf("claim %q: %w", reqs[i].Key, err)
				continue
			}
			res, _ := replies[n].([]any)
			out[i].Claim, out[i].Err = claimReply(reqs[i].Key, tokens[i], res)
		}
	}
	return out
}

// Completion is one job of a [Store.CompleteBatch].
type Completion struct {
	// Lease is the job's lease from its acquired Claim.
	Lease *Lease
	// Result is stored with the record and returned to later claims.
	Result []byte
	// Retention is how long the record is kept; zero means the store's.
	Retention time.Duration
}

// CompleteBatch records several jobs as done, each exactly as
// [Store.Complete] would, and returns their errors in order (nil for
// each one recorded). Like [Store.ClaimBatch] it is one script call on a
// single Redis server and one call per job on a cluster or ring.
func (s *Store) CompleteBatch(ctx context.Context, items []Completion) []error {
	errs := make([]error, len(items))
	if !s.batches() {
		each(len(items), func(i int) {
			errs[i] = s.Complete(ctx, items[i].Lease, items[i].Result, items[i].Retention)
		})
		return errs
	}
	idx := make([]int, 0, len(items))
	for i, c := range items {
		if err := s.checkLease("complete", c.Lease); err != nil {
			errs[i] = err
			continue
		}
		idx = append(idx, i)
	}
	for len(idx) > 0 {
		part := idx[:min(len(idx), maxBatch)]
		idx = idx[len(part):]
		keys := make([]string, 0, len(part))
		args := make([]any, 0, 4*len(part))
		for _, i := range part {
			c := items[i]
			retention := c.Retention
			if retention <= 0 {
				retention = s.retention()
			}
			keys = append(keys, s.recordKey(c.Lease.Key))
			args = append(args, c.Lease.token, c.Lease.Fence, c.Result, ms(retention))
		}
		replies, err := scripts.completeBatch.Run(ctx, s.Client, keys, args...).Slice()
		if err == nil && len(replies) != len(part) {
			err = fmt.Errorf("%d replies for %d jobs", len(replies), len(part))
		}
		for n, i := range part {
			key := items[i].Lease.Key
			switch code := str(replies, n); {
			case err != nil:
				errs[i] = fmt.Errorf("complete %q: %w", key, err)
			case code != "ok":
				errs[i] = refusal("complete", key, code)
			}
		}
	}
	return errs
}

// batches reports whether a batch can run as one script: only on a
// client whose keys all live on one server.
func (s *Store) batches() bool {
	_, ok := s.Client.(*redis.Client)
	return ok
}

// each runs f(0) … f(n-1) concurrently and waits for them.
func each(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}

// fail sets err as every result's error.
func fail(out []ClaimResult, err error) []ClaimResult {
	for i := range out {
		out[i].Err = err
	}
	return out
}
