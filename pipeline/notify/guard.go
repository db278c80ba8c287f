package notify

import (
	"context"
	"fmt"

	"github.com/quarry-dev/quarry/messages"
)

// Guard says whether effects may be performed at all. The worker's epoch
// guard satisfies it: once Redis is found to have lost its data, the
// records of which sends happened may be gone, so no mail may go out until
// a person has looked.
type Guard interface {
	// Err is nil while sends may go out, and says why not otherwise.
	Err() error
	// Trip closes the guard for err (an idempotency.ErrEpochChanged found
	// by a send).
	Trip(err error)
}

func (h *Handler) guardErr() error {
	if h.cfg.Guard == nil {
		return nil
	}
	return h.cfg.Guard.Err()
}

func (h *Handler) tripGuard(err error) {
	if h.cfg.Guard != nil {
		h.cfg.Guard.Trip(err)
	}
}

// guardedError is the error of a job that met a closed guard: it goes back
// to the queue, and the gate holds the queue's receives.
func (h *Handler) guardedError(err error) error {
	return messages.RetryAfter(h.cfg.PausePoll, fmt.Errorf("notify: not sending: %w", err))
}

// waitGuard blocks while the guard is closed, until ctx ends: a closed
// guard does not open by itself (the worker must be restarted after a
// person has settled what Redis lost).
func (h *Handler) waitGuard(ctx context.Context) error {
	if h.guardErr() == nil {
		return nil
	}
	<-ctx.Done()
	return context.Cause(ctx)
}
