package fetch

import (
	"context"
	"sync"
	"time"

	"github.com/quarry-dev/quarry/internal/delay"
)

// Gate enforces politeness towards each host for the whole fleet.
// politeness.Limiter implements it on Redis; [NewLocalGate] in one process.
type Gate interface {
	// Wait blocks until a request to host may be sent: after any
	// fleet-wide cooldown set by Defer, and at most one request per
	// interval (with up to burst back to back after an idle period). It
	// returns ctx's error if ctx ends first.
	Wait(ctx context.Context, host string, interval time.Duration, burst int) error
	// Defer makes every worker hold requests to host until the given time,
	// as a Retry-After asks.
	Defer(ctx context.Context, host string, until time.Time) error
	// AcquireSession takes one of limit concurrent session slots on host,
	// held for at most lease if the caller dies. It waits while all slots
	// are taken, until ctx ends. release frees the slot.
	AcquireSession(ctx context.Context, host string, limit int, lease time.Duration) (release func(context.Context) error, err error)
}

// LocalGate is a [Gate] for one process, for `quarry fetch` and tests
// without Redis. It is safe for concurrent use.
type LocalGate struct {
	mu        sync.Mutex // guards the fields below
	next      map[string]time.Time
	notBefore map[string]time.Time
	sessions  map[string]int
	freed     chan struct{}
}

// NewLocalGate returns an empty LocalGate.
func NewLocalGate() *LocalGate {
	return &LocalGate{
		next:      make(map[string]time.Time),
		notBefore: make(map[string]time.Time),
		sessions:  make(map[string]int),
		freed:     make(chan struct{}),
	}
}

// Wait implements [Gate]. Requests are spaced interval apart; burst is
// ignored, which is stricter.
func (g *LocalGate) Wait(ctx context.Context, host string, interval time.Duration, _ int) error {
	g.mu.Lock()
	now := time.Now()
	at := now
	for _, t := range []time.Time{g.next[host], g.notBefore[host]} {
		if t.After(at) {
			at = t
		}
	}
	g.next[host] = at.Add(interval)
	g.mu.Unlock()
	return delay.Sleep(ctx, at.Sub(now))
}

// Defer implements [Gate].
func (g *LocalGate) Defer(_ context.Context, host string, until time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if until.After(g.notBefore[host]) {
		g.notBefore[host] = until
	}
	return nil
}

// AcquireSession implements [Gate]; lease is not needed within one process.
func (g *LocalGate) AcquireSession(ctx context.Context, host string, limit int, _ time.Duration) (func(context.Context) error, error) {
	for {
		g.mu.Lock()
		if g.sessions[host] < limit {
			g.sessions[host]++
			g.mu.Unlock()
			var once sync.Once
			return func(context.Context) error {
				once.Do(func() {
					g.mu.Lock()
					g.sessions[host]--
					close(g.freed)
					g.freed = make(chan struct{})
					g.mu.Unlock()
				})
				return nil
			}, nil
		}
		freed := g.freed
		g.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-freed:
		}
	}
}

var _ Gate = (*LocalGate)(nil)
