package fetch

import (
	"github.com/quarry-dev/quarry/messages"

	"fmt"
	"net/http"
	"time"
)

// Class names a failure class. Retryable classes come back as
// [messages.RetryAfter], the others as [messages.Permanent]; both wrap a [*Failure].
type Class string

// Failure classes.
const (
	// ClassNetwork: connection errors and timeouts. Retryable.
	ClassNetwork Class = "network"
	// ClassServer: 5xx without a known marker. Retryable.
	ClassServer Class = "server_5xx"
	// ClassThrottled: 429, 503 with Retry-After, or a "please wait" page.
	// Retryable after the delay the site asked for.
	ClassThrottled Class = "throttled"
	// ClassSessionExpired: the site lost the session or refused the view
	// state. Retryable with a fresh session.
	ClassSessionExpired Class = "session_expired"
	// ClassTruncated: fewer bytes than Content-Length, or no %%EOF.
	// Retryable.
	ClassTruncated Class = "truncated"
	// ClassNotFound: no such record. Permanent.
	ClassNotFound Class = "not_found"
	// ClassAmbiguous: several rows match the pick rule. Permanent.
	ClassAmbiguous Class = "ambiguous"
	// ClassInvalidInput: the job's input fails the recipe's pattern or the
	// site rejects it. Permanent.
	ClassInvalidInput Class = "invalid_input"
	// ClassEventValidation: "Invalid postback or callback argument" even on
	// a fresh session: the recipe no longer fits the site. Permanent.
	ClassEventValidation Class = "event_validation"
	// ClassRecipeBroken: an invalid recipe, or an expected form, selector,
	// column or page missing. Permanent.
	ClassRecipeBroken Class = "recipe_broken"
	// ClassRedirectLoop: too many HTTP or client-side redirects. Permanent.
	ClassRedirectLoop Class = "redirect_loop"
	// ClassNotPDF: the document is HTML or something else. Permanent.
	ClassNotPDF Class = "not_pdf"
	// ClassTooLarge: the body is over the step's max_bytes. Permanent.
	ClassTooLarge Class = "too_large"
	// ClassValidation: another validate check failed (min_bytes).
	// Permanent.
	ClassValidation Class = "validation"
	// ClassBlocked: 401/403, a CAPTCHA or firewall page. Permanent: a human
	// must look.
	ClassBlocked Class = "blocked"
	// ClassPolicy: an undeclared host, or a private address without
	// permission. Permanent.
	ClassPolicy Class = "policy"
)

// Retryable reports whether a failure of class c may succeed on a later
// attempt.
func (c Class) Retryable() bool {
	switch c {
	case ClassNetwork, ClassServer, ClassThrottled, ClassSessionExpired, ClassTruncated:
		return true
	}
	return false
}

// freshSession reports whether a failure of class c is worth a new flow with
// a new session within the same job attempt.
func (c Class) freshSession() bool {
	return c == ClassSessionExpired || c == ClassTruncated || c == ClassEventValidation
}

// Failure is a classified fetch failure: what class, at which step, why, and
// what the last response looked like.
type Failure struct {
	// Class is the failure class.
	Class Class
	// Step is the label of the step that failed, e.g. `step 3 (pick "row")`;
	// empty for failures before the first step.
	Step string
	// Reason says what happened, in words an operator can act on.
	Reason string
	// RetryAfter is the delay the site asked for (Retry-After), if any.
	RetryAfter time.Duration
	// Status and URL describe the last response, when there was one.
	Status int
	URL    string
	// Snippet is the start of the last response body, for diagnosis.
	Snippet string
	// Err is the underlying error, if any.
	Err error
}

func (f *Failure) Error() string {
	s := f.Reason
	if f.Step != "" {
		s = f.Step + ": " + s
	}
	return fmt.Sprintf("fetch: %s [%s]", s, f.Class)
}

// Unwrap returns the underlying error.
func (f *Failure) Unwrap() error { return f.Err }

// outcome wraps f as the job outcome its class calls for: RetryAfter with
// the site's delay (or fallback) for retryable classes, Permanent otherwise.
func (f *Failure) outcome(fallback, maxDelay time.Duration) error {
	if !f.Class.Retryable() {
		return messages.Permanent(f)
	}
	d := fallback
	if f.RetryAfter > 0 {
		d = min(f.RetryAfter, maxDelay)
	}
	return messages.RetryAfter(d, f)
}

// failf builds a Failure at a step.
func failf(class Class, step string, format string, args ...any) *Failure {
	return &Failure{Class: class, Step: step, Reason: fmt.Sprintf(format, args...)}
}

// withPage attaches the response p to f for diagnosis.
func (f *Failure) withPage(p *page) *Failure {
	if p == nil {
		return f
	}
	f.Status = p.status
	f.URL = p.url.String()
	f.Snippet = snippet(p.body, 512)
	return f
}

// statusText renders "429 Too Many Requests".
func statusText(code int) string {
	return fmt.Sprintf("%d %s", code, http.StatusText(code))
}
