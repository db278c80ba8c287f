package idempotency

import "context"

type leaseKey struct{}

// WithLease returns ctx carrying lease. The worker runtime puts the job's
// lease in the context it hands to the job's handler, so a handler can
// claim effects ([Store.ClaimEffect]) under it.
func WithLease(ctx context.Context, lease *Lease) context.Context {
	return context.WithValue(ctx, leaseKey{}, lease)
}

// LeaseFrom returns the lease WithLease put in ctx, or nil.
func LeaseFrom(ctx context.Context) *Lease {
	l, _ := ctx.Value(leaseKey{}).(*Lease)
	return l
}
