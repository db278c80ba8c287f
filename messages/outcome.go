package messages

import (
	"errors"
	"fmt"
	"time"
)

// A handler tells the worker runtime what to do with a job through the error
// it returns:
//
//	nil                 the job is done: record the result, delete the message
//	Permanent(err)      never retry: move the message to the DLQ now, with err as the reason
//	RetryAfter(d, err)  retry after d: set the message's visibility to d
//	any other error     retry with exponential backoff and jitter
//
// The outcome types are matched with errors.As, so a handler may wrap them
// ("render: %w") without changing the decision. When several are nested, the
// outermost decides. A [*ValidationError] anywhere in the chain counts as
// permanent: a malformed message stays malformed however often it is retried.

// outcome is what an error asks the runtime to do.
type outcome struct {
	permanent bool
	retry     bool
	delay     time.Duration
}

// outcomer is implemented by every error type that carries an outcome.
type outcomer interface {
	error
	outcome() outcome
}

// PermanentError marks a failure that retrying cannot fix. Create it with
// [Permanent].
type PermanentError struct {
	Err error
}

// Permanent marks err as permanent: the job goes to the DLQ now, with err's
// message as the reason. Permanent(nil) still returns a non-nil error.
func Permanent(err error) error {
	return &PermanentError{Err: err}
}

// Error returns the reason.
func (e *PermanentError) Error() string {
	if e.Err == nil {
		return "permanent failure"
	}
	return e.Err.Error()
}

// Unwrap returns the wrapped error.
func (e *PermanentError) Unwrap() error { return e.Err }

func (e *PermanentError) outcome() outcome { return outcome{permanent: true} }

// RetryAfterError asks for a retry after Delay, for example when a remote
// service says when to come back (HTTP 429 with Retry-After, SES throttling).
// Create it with [RetryAfter]. SQS still counts the receive toward the
// queue's maxReceiveCount.
type RetryAfterError struct {
	Delay time.Duration
	Err   error
}

// RetryAfter asks for the job to be retried after d (negative d counts as
// zero). RetryAfter(d, nil) still returns a non-nil error.
func RetryAfter(d time.Duration, err error) error {
	return &RetryAfterError{Delay: max(d, 0), Err: err}
}

// Error returns the wrapped error's message and the delay.
func (e *RetryAfterError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("retry in %s", e.Delay)
	}
	return fmt.Sprintf("%v (retry in %s)", e.Err, e.Delay)
}

// Unwrap returns the wrapped error.
func (e *RetryAfterError) Unwrap() error { return e.Err }

func (e *RetryAfterError) outcome() outcome { return outcome{retry: true, delay: e.Delay} }

// outcomeOf returns the decision of the outermost outcome error in err's
// chain; the zero outcome means "retry with backoff".
func outcomeOf(err error) outcome {
	var o outcomer
	if errors.As(err, &o) {
		return o.outcome()
	}
	return outcome{}
}

// IsPermanent reports whether err asks for no retry: its chain holds a
// [*PermanentError] or a [*ValidationError] that no [*RetryAfterError]
// wraps. IsPermanent(nil) is false.
func IsPermanent(err error) bool {
	return err != nil && outcomeOf(err).permanent
}

// RetryDelay returns the delay a [*RetryAfterError] in err's chain asks for,
// and whether there is one (and it is not wrapped by a permanent outcome).
func RetryDelay(err error) (time.Duration, bool) {
	if err == nil {
		return 0, false
	}
	o := outcomeOf(err)
	return o.delay, o.retry
}
