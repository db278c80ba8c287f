package recipe

import (
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Defaults applied by [Parse] to fields left out of a recipe.
const (
	DefaultMinInterval     = time.Second
	DefaultBurst           = 1
	DefaultMaxSessions     = 2
	DefaultMaxRetryAfter   = 15 * time.Minute
	DefaultStepTimeout     = 60 * time.Second
	DefaultFlowTimeout     = 5 * time.Minute
	DefaultMaxFlowAttempts = 2
	DefaultMaxRedirects    = 10
	DefaultMaxPageBytes    = 4 << 20
	DefaultMaxBytes        = 64 << 20
	DefaultMaxHops         = 5
)

// Recipe describes how to fetch one document from one site. Fields are
// documented with their YAML keys; [Parse] fills defaults in.
type Recipe struct {
	// Name (recipe) identifies the recipe; stored with every document.
	Name string `yaml:"recipe"`
	// Version (version) is a positive integer stored with every document.
	Version int `yaml:"version"`
	// Description (description) is free text.
	Description string `yaml:"description"`
	// Site (site) says where the flow starts and which hosts it may touch.
	Site Site `yaml:"site"`
	// Politeness (politeness) bounds the load the fleet puts on the site.
	Politeness Politeness `yaml:"politeness"`
	// Limits (limits) bounds time, attempts and sizes of one flow.
	Limits Limits `yaml:"limits"`
	// Inputs (inputs) declares the job inputs the steps may reference.
	Inputs map[string]Input `yaml:"inputs"`
	// Session (session) says how the site shows that a session is gone.
	Session Session `yaml:"session"`
	// Classify (classify) lists site-specific markers of failure classes.
	Classify Classify `yaml:"classify"`
	// Steps (steps) run in order.
	Steps []Step `yaml:"-"`

	baseURL *url.URL
}

// BaseURL returns a copy of the parsed site.base_url, or nil when the
// recipe has not been validated.
func (r *Recipe) BaseURL() *url.URL {
	if r.baseURL == nil {
		return nil
	}
	u := *r.baseURL
	return &u
}

// Site is the site section of a recipe.
type Site struct {
	// BaseURL (base_url) is the absolute http(s) URL relative step URLs
	// resolve against.
	BaseURL string `yaml:"base_url"`
	// AllowedHosts (allowed_hosts) are the host names the flow may reach,
	// redirects included; "host:port" pins a port. The base URL's host must
	// be one of them.
	AllowedHosts []string `yaml:"allowed_hosts"`
	// AllowPrivateNetworks (allow_private_networks) lets the flow reach
	// loopback, private and link-local addresses. Off by default: such
	// addresses are refused at dial time.
	AllowPrivateNetworks bool `yaml:"allow_private_networks"`
}

// Politeness is the politeness section of a recipe. Its limits hold for the
// whole fleet, per host.
type Politeness struct {
	// MinInterval (min_interval) is the gap between requests to a host.
	// Defaults to 1s.
	MinInterval Duration `yaml:"min_interval"`
	// Burst (burst) is how many requests may go out back to back after an
	// idle period. Defaults to 1.
	Burst int `yaml:"burst"`
	// MaxSessions (max_sessions) caps concurrent flows on a host. Defaults
	// to 2.
	MaxSessions int `yaml:"max_sessions"`
	// SessionLease (session_lease) is how long a session slot is held if
	// its worker dies. Defaults to flow_timeout plus one minute.
	SessionLease Duration `yaml:"session_lease"`
	// MaxRetryAfter (max_retry_after) caps a Retry-After the site asks for.
	// Defaults to 15m.
	MaxRetryAfter Duration `yaml:"max_retry_after"`
}

// Limits is the limits section of a recipe.
type Limits struct {
	// StepTimeout (step_timeout) bounds one request, body included.
	// Defaults to 60s.
	StepTimeout Duration `yaml:"step_timeout"`
	// FlowTimeout (flow_timeout) bounds one run of all steps. Defaults to
	// 5m.
	FlowTimeout Duration `yaml:"flow_timeout"`
	// MaxFlowAttempts (max_flow_attempts) is how often a flow starts over
	// with a new session after a session-expired or truncated failure.
	// Defaults to 2.
	MaxFlowAttempts int `yaml:"max_flow_attempts"`
	// MaxRedirects (max_redirects) caps HTTP redirects per request; more is
	// a redirect loop. Defaults to 10.
	MaxRedirects int `yaml:"max_redirects"`
	// MaxPageBytes (max_page_bytes) caps an HTML page. Defaults to 4MiB.
	MaxPageBytes Size `yaml:"max_page_bytes"`
}

// Input declares one job input.
type Input struct {
	// Pattern (pattern) is a regular expression the normalized value must
	// match.
	Pattern string `yaml:"pattern"`
	// Normalize (normalize) is applied before matching: trim (default),
	// digits_only, upper, lower or none.
	Normalize string `yaml:"normalize"`
	// Default (default) is used when the job leaves the input out. Without
	// it the input is required.
	Default *string `yaml:"default"`

	pattern *regexp.Regexp
}

// Normalized returns v after the input's normalization, and whether it
// matches the input's pattern.
func (in Input) Normalized(v string) (string, bool) {
	v = normalize(in.Normalize, v)
	if in.pattern != nil && !in.pattern.MatchString(v) {
		return v, false
	}
	return v, true
}

// Session is the session section of a recipe.
type Session struct {
	// ExpiredWhen (expired_when) marks responses that mean "session gone":
	// the flow starts over with a new session.
	ExpiredWhen Markers `yaml:"expired_when"`
}

// Classify is the classify section: site-specific markers of failure
// classes, checked on every response.
type Classify struct {
	// NotFound (not_found): the site says there is no such record.
	NotFound Markers `yaml:"not_found"`
	// InvalidInput (invalid_input): the site rejects the input.
	InvalidInput Markers `yaml:"invalid_input"`
	// Blocked (blocked): a firewall, CAPTCHA or refusal page.
	Blocked Markers `yaml:"blocked"`
	// Throttled (throttled): the site asks to slow down or wait.
	Throttled Markers `yaml:"throttled"`
}

// Markers recognise a response by final URL, body text or status.
type Markers struct {
	// URL (url) are regular expressions matched against the final URL.
	URL []string `yaml:"url"`
	// Text (text) are substrings of the body.
	Text []string `yaml:"text"`
	// Status (status) are HTTP status codes.
	Status []int `yaml:"status"`

	url []*regexp.Regexp
}

// Match reports which marker matches a response, or "" when none does.
func (m Markers) Match(finalURL string, status int, body []byte) string {
	for i, re := range m.url {
		if re.MatchString(finalURL) {
			return "URL matches " + m.URL[i]
		}
	}
	for _, t := range m.Text {
		if t != "" && strings.Contains(string(body), t) {
			return "page says " + quote(t)
		}
	}
	for _, s := range m.Status {
		if s == status {
			return "status " + itoa(s)
		}
	}
	return ""
}

// normalize applies a named normalization to v.
func normalize(how, v string) string {
	switch how {
	case "none":
		return v
	case "digits_only":
		var b strings.Builder
		for _, c := range v {
			if c >= '0' && c <= '9' {
				b.WriteRune(c)
			}
		}
		return b.String()
	case "upper":
		return strings.ToUpper(strings.TrimSpace(v))
	case "lower":
		return strings.ToLower(strings.TrimSpace(v))
	default: // "" and "trim"
		return strings.TrimSpace(v)
	}
}

// Normalize applies a named normalization (trim, digits_only, upper, lower,
// none; "" means trim) to v.
func Normalize(how, v string) string { return normalize(how, v) }

// validNormalize reports whether how names a normalization.
func validNormalize(how string) bool {
	switch how {
	case "", "trim", "none", "digits_only", "upper", "lower":
		return true
	}
	return false
}
