// Package delay waits for a while in a way a context can cut short: the
// one sleep every stage uses (send-rate waits, politeness gaps, cooldowns).
package delay

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx ends, and then returns nil, or ctx's cause
// (context.Cause) if ctx ended first. With d zero or less it returns at
// once: nil, or ctx's cause if ctx has ended already.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
