package notify

import (
	"strings"

	"github.com/quarry-dev/quarry/idempotency"
)

// redactedError is an error whose message has the recipient's address
// replaced by its hash, so that it can be logged and stored with the job
// (DLQ attributes) as the package promises. errors.Is and errors.As still
// see the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact returns err with rc's address (in both its forms) replaced by
// its hash in the message.
func (h *Handler) redact(rc recipient, err error) error {
	if err == nil {
		return nil
	}
	msg := h.redactText(rc, err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// redactText replaces rc's address (in both its forms) in s by its hash.
// SES's error messages and effect names ("email:<address>") carry it.
func (h *Handler) redactText(rc recipient, s string) string {
	hash := "<" + h.addressHash(rc.addr) + ">"
	for _, a := range []string{rc.addr, rc.unicode} {
		if a != "" {
			s = replaceFold(s, a, hash)
		}
	}
	return s
}

// redactName redacts the address in the name of an effect from err.
func (h *Handler) redactName(eff *idempotency.Effect, err error) error {
	addr, ok := strings.CutPrefix(eff.Name, "email:")
	if !ok {
		return err
	}
	return h.redact(recipient{addr: addr}, err)
}

// replaceFold replaces every occurrence of old in s, ignoring ASCII case
// (SES may echo an address in another case than it was given).
func replaceFold(s, old, repl string) string {
	if old == "" {
		return s
	}
	lower, lold := strings.ToLower(s), strings.ToLower(old)
	if len(lower) != len(s) {
		return strings.ReplaceAll(s, old, repl)
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, lold)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s, lower = s[i+len(old):], lower[i+len(old):]
	}
}
