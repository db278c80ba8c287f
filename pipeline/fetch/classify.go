package fetch

import (
	"fmt"
	"net/http"
	"strings"
)

// builtinBlocked are markers of CAPTCHA and web application firewall pages,
// matched case-insensitively on every HTML response.
func builtinBlocked() []string {
	return []string{
		"g-recaptcha", "h-captcha", "hcaptcha.com", "captcha-delivery.com",
		"cf-chl-", "challenge-platform", "incapsula incident",
		"the requested url was rejected. please consult with your administrator",
		"<title>access denied</title>",
	}
}

// builtinSessionExpired are ASP.NET's and Mono's (System.Web) own messages
// for view state or event validation data that does not verify: a stale
// page, a lost session or another server of a farm. Retrying with a fresh
// session is the cure.
func builtinSessionExpired() []string {
	return []string{
		"Validation of viewstate MAC failed",
		"The state information is invalid for this page and might be corrupted",
		"Unable to validate data", // Mono: a MAC that does not verify
		"Invalid viewstate",       // ASP.NET 1.x/2.0, Mono
		"Viewstate validation failed",
	}
}

// builtinSessionExpiredOnError are messages of the same failures that are
// too general to trust on a page that did not fail: they count only on a
// 5xx answer (the decryption of tampered or truncated state).
func builtinSessionExpiredOnError() []string {
	return []string{
		"Padding is invalid and cannot be removed",
		"Invalid length for a Base-64 char array",
		"Invalid character in a Base-64 string",
	}
}

// builtinEventValidation is ASP.NET's message for a postback event or value
// the page did not render.
const builtinEventValidation = "Invalid postback or callback argument"

// classify inspects a response before the step looks at it, and returns
// the failure it shows, if any. The order matters: a throttling status beats
// everything, a firewall page beats a session message, and site markers
// beat the generic status classes.
func (fl *flow) classify(p *page) *Failure {
	step := fl.label()
	if p.status == http.StatusTooManyRequests || (p.status == http.StatusServiceUnavailable && p.header.Get("Retry-After") != "") {
		d, _ := retryAfter(p.header, fl.now())
		f := failf(ClassThrottled, step, "HTTP %s", statusText(p.status))
		if d > 0 {
			f.Reason += fmt.Sprintf(", retry after %s", d)
		}
		f.RetryAfter = d
		return f.withPage(p)
	}
	// Markers are looked for in pages, not in documents: a PDF's bytes can
	// contain any text.
	text := ""
	if !p.isPDF() {
		text = string(p.body)
	}
	lower := strings.ToLower(text)
	final := p.url.String()
	r := fl.r

	if p.status == http.StatusUnauthorized || p.status == http.StatusForbidden {
		return failf(ClassBlocked, step, "HTTP %s: the site refuses access; a human must check", statusText(p.status)).withPage(p)
	}
	for _, m := range builtinBlocked() {
		if strings.Contains(lower, m) {
			return failf(ClassBlocked, step, "CAPTCHA or firewall page (%q): stop and have a human check", m).withPage(p)
		}
	}
	if m := r.Classify.Blocked.Match(final, p.status, []byte(text)); m != "" {
		return failf(ClassBlocked, step, "blocked: %s; a human must check", m).withPage(p)
	}
	if m := r.Session.ExpiredWhen.Match(final, p.status, []byte(text)); m != "" {
		return failf(ClassSessionExpired, step, "session expired: %s", m).withPage(p)
	}
	for _, m := range builtinSessionExpired() {
		if strings.Contains(text, m) {
			return failf(ClassSessionExpired, step, "server rejected the view state (%q): stale page or lost session", m).withPage(p)
		}
	}
	if p.status >= 500 {
		for _, m := range builtinSessionExpiredOnError() {
			if strings.Contains(text, m) {
				return failf(ClassSessionExpired, step, "server could not read the view state (%q): stale page or lost session", m).withPage(p)
			}
		}
	}
	if strings.Contains(text, builtinEventValidation) {
		return failf(ClassEventValidation, step, "server rejected the postback (%q): the event or a value was not on the page", builtinEventValidation).withPage(p)
	}
	if m := r.Classify.Throttled.Match(final, p.status, []byte(text)); m != "" {
		return failf(ClassThrottled, step, "site asks to wait: %s", m).withPage(p)
	}
	if m := r.Classify.NotFound.Match(final, p.status, []byte(text)); m != "" {
		return failf(ClassNotFound, step, "no such record: %s", m).withPage(p)
	}
	if m := r.Classify.InvalidInput.Match(final, p.status, []byte(text)); m != "" {
		return failf(ClassInvalidInput, step, "site rejected the input: %s", m).withPage(p)
	}
	switch {
	case p.status >= 500:
		return failf(ClassServer, step, "HTTP %s%s", statusText(p.status), titleSuffix(p)).withPage(p)
	case p.status == http.StatusNotFound || p.status == http.StatusGone:
		return failf(ClassRecipeBroken, step, "HTTP %s for %s: the recipe's URL no longer exists", statusText(p.status), final).withPage(p)
	case p.status >= 400:
		return failf(ClassRecipeBroken, step, "HTTP %s%s", statusText(p.status), titleSuffix(p)).withPage(p)
	}
	return nil
}

func titleSuffix(p *page) string {
	if t := p.title(); t != "" {
		return fmt.Sprintf(" (page title %q)", t)
	}
	return ""
}
