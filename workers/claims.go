package workers

import (
	"context"
	"time"

	"github.com/quarry-dev/quarry/idempotency"
)

// Claims is the idempotency store the runner claims jobs in;
// *idempotency.Store satisfies it.
type Claims interface {
	Claim(ctx context.Context, key, payloadHash string, leaseTTL time.Duration) (idempotency.Claim, error)
	Extend(ctx context.Context, lease *idempotency.Lease, ttl time.Duration) error
	Complete(ctx context.Context, lease *idempotency.Lease, result []byte, retention time.Duration) error
	Release(ctx context.Context, lease *idempotency.Lease) error
}

var _ Claims = (*idempotency.Store)(nil)
