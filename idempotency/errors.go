package idempotency

import (
	"errors"
	"fmt"
	"strings"
)

// Errors callers branch on. Both mean "this lease no longer owns the key":
// stop working on the job and let the current owner finish it.
var (
	// ErrLeaseLost is returned by [Store.Extend], [Store.Complete],
	// [Store.Release] and the effect methods when the lease's claim has
	// ended: it was released or completed already, or its record expired.
	ErrLeaseLost = errors.New("idempotency: lease lost")
	// ErrNotOwner is returned by the same methods when another claim has
	// taken the key since this lease was acquired (the record's fencing
	// number moved on), or when an effect is held by another claim.
	ErrNotOwner = errors.New("idempotency: not the owner")
	// ErrInvalid is returned for arguments the protocol cannot store: an
	// empty key, a key with braces or control characters, a nil lease, a
	// non-positive TTL.
	ErrInvalid = errors.New("idempotency: invalid argument")
)

// refusal turns a script's refusal code into an error for op on key.
func refusal(op, key, code string) error {
	switch {
	case code == "not_owner":
		return fmt.Errorf("%s %q: another claim holds it now: %w", op, key, ErrNotOwner)
	case code == "lease_lost":
		return fmt.Errorf("%s %q: no claim record (expired or never claimed): %w", op, key, ErrLeaseLost)
	case code == "effect_lost":
		return fmt.Errorf("%s %q: the effect claim no longer exists: %w", op, key, ErrLeaseLost)
	case strings.HasPrefix(code, "ended:"):
		return fmt.Errorf("%s %q: already %s: %w", op, key, strings.TrimPrefix(code, "ended:"), ErrLeaseLost)
	default:
		return fmt.Errorf("%s %q: unexpected script reply %q", op, key, code)
	}
}
