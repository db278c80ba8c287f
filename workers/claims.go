package workers

import (
	"context"
	"time"

	"github.com/quarry-dev/quarry/idempotency"
)

// Claims is the idempotency store the runner claims jobs in;
// *idempotency.Store satisfies it. The runner claims the jobs of each
// receive in one ClaimBatch and records finished jobs with CompleteBatch,
// so a busy runner makes a couple of store calls per receive, not two per
// job.
type Claims interface {
	ClaimBatch(ctx context.Context, reqs []idempotency.ClaimRequest, leaseTTL time.Duration) []idempotency.ClaimResult
	Extend(ctx context.Context, lease *idempotency.Lease, ttl time.Duration) error
	CompleteBatch(ctx context.Context, items []idempotency.Completion) []error
	Release(ctx context.Context, lease *idempotency.Lease) error
}

var _ Claims = (*idempotency.Store)(nil)
