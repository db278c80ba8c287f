package workers

import (
	"context"

	"github.com/quarry-dev/quarry/messages"
)

// Handler runs one job. It returns the job's result (stored with the
// completed claim and handed back on duplicates) or an error:
// [messages.Permanent] sends the job to the DLQ now, [messages.RetryAfter]
// retries after the given delay, any other error retries with backoff.
//
// The context carries the job's logger (zerolog.Ctx) with job_id, job_type,
// message_id and attempt, and the job's claim (idempotency.LeaseFrom) for
// once-only effects; it is cancelled when the job's lease is lost or the
// worker shuts down, and the handler must return promptly then.
type Handler interface {
	Handle(ctx context.Context, job messages.Job) ([]byte, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, job messages.Job) ([]byte, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, job messages.Job) ([]byte, error) {
	return f(ctx, job)
}
