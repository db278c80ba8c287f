package recipe

import (
	"cmp"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/andybalholm/cascadia"
)

// maxWait caps a wait step; longer pauses belong in the queue's delay.
const maxWait = 10 * time.Minute

// rowVars are the variables a pick step defines.
func rowVars() []string {
	return []string{"row.text", "row.index", "row.href", "row.target", "row.argument"}
}

// followVars are the variables a follow step defines: the URL of the page
// it ended on (a document reached only through a client-side redirect is
// downloaded from it).
func followVars() []string { return []string{"follow.url"} }

// downloadVars are the variables a download step defines.
func downloadVars() []string {
	return []string{"download.url", "download.filename", "download.content_type"}
}

// Validate checks the recipe, fills defaults in and compiles its patterns.
// [Parse] calls it; call it again after building or changing a Recipe in
// code, before sharing it between goroutines (it writes to the recipe).
func (r *Recipe) Validate() error {
	var p problems
	r.validateHeader(&p)
	r.validateSite(&p)
	r.validatePoliteness(&p)
	r.validateInputs(&p)
	r.validateMarkers(&p, "session.expired_when", &r.Session.ExpiredWhen)
	r.validateMarkers(&p, "classify.not_found", &r.Classify.NotFound)
	r.validateMarkers(&p, "classify.invalid_input", &r.Classify.InvalidInput)
	r.validateMarkers(&p, "classify.blocked", &r.Classify.Blocked)
	r.validateMarkers(&p, "classify.throttled", &r.Classify.Throttled)
	r.validateSteps(&p)
	return p.err()
}

func (r *Recipe) validateHeader(p *problems) {
	if !regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`).MatchString(r.Name) {
		p.add("", "recipe", "must be a name of lower-case letters, digits, '.', '_' or '-' (got %q)", r.Name)
	}
	if r.Version < 1 {
		p.add("", "version", "must be a positive integer (got %d)", r.Version)
	}
	l := &r.Limits
	l.StepTimeout = cmp.Or(l.StepTimeout, Duration(DefaultStepTimeout))
	l.FlowTimeout = cmp.Or(l.FlowTimeout, Duration(DefaultFlowTimeout))
	l.MaxFlowAttempts = cmp.Or(l.MaxFlowAttempts, DefaultMaxFlowAttempts)
	l.MaxRedirects = cmp.Or(l.MaxRedirects, DefaultMaxRedirects)
	l.MaxPageBytes = cmp.Or(l.MaxPageBytes, Size(DefaultMaxPageBytes))
	if l.MaxFlowAttempts < 1 || l.MaxFlowAttempts > 10 {
		p.add("", "limits.max_flow_attempts", "must be between 1 and 10 (got %d)", l.MaxFlowAttempts)
	}
	if l.MaxRedirects < 1 || l.MaxRedirects > 50 {
		p.add("", "limits.max_redirects", "must be between 1 and 50 (got %d)", l.MaxRedirects)
	}
	if l.StepTimeout > l.FlowTimeout {
		p.add("", "limits.step_timeout", "must not exceed limits.flow_timeout (%s > %s)", l.StepTimeout.D(), l.FlowTimeout.D())
	}
}

func (r *Recipe) validateSite(p *problems) {
	u, err := url.Parse(r.Site.BaseURL)
	switch {
	case r.Site.BaseURL == "":
		p.add("", "site.base_url", "missing: the absolute http(s) URL the flow starts from")
		return
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		p.add("", "site.base_url", "must be an absolute http or https URL (got %q)", r.Site.BaseURL)
		return
	case u.User != nil:
		p.add("", "site.base_url", "must not carry credentials")
		return
	}
	r.baseURL = u
	if len(r.Site.AllowedHosts) == 0 {
		p.add("", "site.allowed_hosts", "missing: list the hosts the flow may reach, at least %q", u.Hostname())
		return
	}
	for i, h := range r.Site.AllowedHosts {
		if h == "" || strings.ContainsAny(h, "/?#@ ") {
			p.add("", fmt.Sprintf("site.allowed_hosts[%d]", i), "must be a host name, *.domain or host:port (got %q)", h)
			continue
		}
		if _, port, err := net.SplitHostPort(h); err == nil && port == "" {
			p.add("", fmt.Sprintf("site.allowed_hosts[%d]", i), "empty port in %q", h)
		}
	}
	if !HostAllowed(r.Site.AllowedHosts, u.Host) {
		p.add("", "site.allowed_hosts", "must include the host of site.base_url (%q)", u.Host)
	}
}

// HostAllowed reports whether hostport ("host" or "host:port", as in
// URL.Host) is in the allowed list. An entry "host" allows any port,
// "host:port" only that port, "*.example.gov" any subdomain.
func HostAllowed(allowed []string, hostport string) bool {
	host, port := hostport, ""
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, a := range allowed {
		a = strings.ToLower(a)
		ah, ap := a, ""
		if h, p, err := net.SplitHostPort(a); err == nil {
			ah, ap = h, p
		}
		if ap != "" && ap != port {
			continue
		}
		if suffix, ok := strings.CutPrefix(ah, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
			continue
		}
		if strings.Trim(ah, "[]") == host {
			return true
		}
	}
	return false
}

func (r *Recipe) validatePoliteness(p *problems) {
	pol := &r.Politeness
	pol.MinInterval = cmp.Or(pol.MinInterval, Duration(DefaultMinInterval))
	pol.Burst = cmp.Or(pol.Burst, DefaultBurst)
	pol.MaxSessions = cmp.Or(pol.MaxSessions, DefaultMaxSessions)
	pol.MaxRetryAfter = cmp.Or(pol.MaxRetryAfter, Duration(DefaultMaxRetryAfter))
	pol.SessionLease = cmp.Or(pol.SessionLease, r.Limits.FlowTimeout+Duration(time.Minute))
	if pol.Burst < 1 || pol.Burst > 100 {
		p.add("", "politeness.burst", "must be between 1 and 100 (got %d)", pol.Burst)
	}
	if pol.MaxSessions < 1 || pol.MaxSessions > 1000 {
		p.add("", "politeness.max_sessions", "must be between 1 and 1000 (got %d)", pol.MaxSessions)
	}
	if pol.SessionLease < r.Limits.FlowTimeout {
		p.add("", "politeness.session_lease", "must be at least limits.flow_timeout (%s), so a live flow keeps its slot", r.Limits.FlowTimeout.D())
	}
}

func (r *Recipe) validateInputs(p *problems) {
	for _, name := range sortedKeys(r.Inputs) {
		in := r.Inputs[name]
		field := "inputs." + name
		if !validVarName(name) || strings.Contains(name, ".") {
			p.add("", field, "input names use letters, digits, _ and - only")
		}
		if !validNormalize(in.Normalize) {
			p.add("", field+".normalize", "must be trim, digits_only, upper, lower or none (got %q)", in.Normalize)
		}
		if in.Pattern != "" {
			re, err := regexp.Compile(in.Pattern)
			if err != nil {
				p.add("", field+".pattern", "invalid regular expression: %v", err)
			}
			in.pattern = re
		}
		if in.Default != nil {
			if _, ok := in.Normalized(*in.Default); !ok {
				p.add("", field+".default", "%q does not match the pattern", *in.Default)
			}
		}
		r.Inputs[name] = in
	}
}

func (r *Recipe) validateMarkers(p *problems, field string, m *Markers) {
	m.url = m.url[:0]
	for i, s := range m.URL {
		re, err := regexp.Compile(s)
		if err != nil {
			p.add("", fmt.Sprintf("%s.url[%d]", field, i), "invalid regular expression: %v", err)
			continue
		}
		m.url = append(m.url, re)
	}
	if len(m.url) != len(m.URL) {
		m.url = nil
	}
	for i, s := range m.Status {
		if s < 100 || s > 599 {
			p.add("", fmt.Sprintf("%s.status[%d]", field, i), "not an HTTP status code: %d", s)
		}
	}
}

// stepCheck validates one step; defined holds the variables set so far.
type stepCheck struct {
	p       *problems
	label   string
	defined map[string]bool
}

func (c stepCheck) add(field, format string, args ...any) {
	c.p.add(c.label, field, format, args...)
}

func (c stepCheck) selector(field, sel string, required bool) {
	if sel == "" {
		if required {
			c.add(field, "missing: a CSS selector")
		}
		return
	}
	if _, err := cascadia.Compile(sel); err != nil {
		c.add(field, "invalid CSS selector %q: %v", sel, err)
	}
}

func (c stepCheck) template(field string, t Template, required bool) {
	if t.IsZero() {
		if required {
			c.add(field, "missing")
		}
		return
	}
	for _, ref := range t.Refs() {
		if !c.defined[ref] {
			c.add(field, "unknown variable ${%s}; defined here: %s", ref, strings.Join(sortedKeys(c.defined), ", "))
		}
	}
}

func (c stepCheck) regexp(field, s string) *regexp.Regexp {
	if s == "" {
		return nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		c.add(field, "invalid regular expression: %v", err)
		return nil
	}
	return re
}

func (r *Recipe) validateSteps(p *problems) {
	defined := make(map[string]bool)
	for name := range r.Inputs {
		defined[name] = true
	}
	havePage, haveDownload := false, false
	for i := range r.Steps {
		s := &r.Steps[i]
		s.index = i + 1
		if !s.deriveKind() {
			p.add(fmt.Sprintf("step %d", s.index), "", "must have exactly one of %s", listOr(stepKinds()))
			continue
		}
		c := stepCheck{p: p, label: s.Label(), defined: defined}
		if s.Timeout < 0 {
			c.add("timeout", "must not be negative")
		}
		needsPage := s.kind == KindSubmit || s.kind == KindPick || s.kind == KindPostback || s.kind == KindFollow || (s.kind == KindDownload && s.Download.Link != "")
		if needsPage && !havePage {
			c.add("", "needs a page to work on: put a get step before it")
		}
		switch s.kind {
		case KindGet:
			c.template("url", s.Get.URL, true)
			havePage = true
		case KindSubmit:
			c.selector("form", s.Submit.Form, false)
			for _, name := range sortedKeys(s.Submit.Fields) {
				if name == "" {
					c.add("fields", "a field name is empty")
				}
				c.template("fields."+name, s.Submit.Fields[name], false)
			}
		case KindPick:
			validatePick(c, s.Pick)
			for _, v := range rowVars() {
				defined[v] = true
			}
		case KindPostback:
			c.selector("form", s.Postback.Form, false)
			c.template("target", s.Postback.Target, true)
			c.template("argument", s.Postback.Argument, false)
			for _, name := range sortedKeys(s.Postback.Fields) {
				c.template("fields."+name, s.Postback.Fields[name], false)
			}
		case KindFollow:
			validateFollow(c, s.Follow)
			for _, v := range followVars() {
				defined[v] = true
			}
		case KindWait:
			w := s.Wait
			if w.Max < w.Min {
				c.add("max", "must not be less than min (%s < %s)", w.Max.D(), w.Min.D())
			}
			if w.Max.D() > maxWait {
				c.add("max", "must be at most %s; longer pauses belong in the queue", maxWait)
			}
			if w.Max > r.Limits.FlowTimeout {
				c.add("max", "must be shorter than limits.flow_timeout (%s)", r.Limits.FlowTimeout.D())
			}
		case KindDownload:
			validateDownload(c, s.Download)
			haveDownload, havePage = true, true
			for _, v := range downloadVars() {
				defined[v] = true
			}
		case KindValidate:
			if !haveDownload {
				c.add("", "needs a document: put a download step before it")
			}
			v := s.Validate
			if len(v.ContentTypes) == 0 {
				v.ContentTypes = []string{"application/pdf"}
			}
			if v.MinBytes < 0 {
				c.add("min_bytes", "must not be negative")
			}
		}
		if s.Expect != nil {
			validateExpect(c, s.Expect)
		}
	}
}

// deriveKind sets the step kind from its one non-nil action.
func (s *Step) deriveKind() bool {
	actions := []struct {
		kind string
		set  bool
	}{
		{KindGet, s.Get != nil}, {KindSubmit, s.Submit != nil}, {KindPick, s.Pick != nil},
		{KindPostback, s.Postback != nil}, {KindFollow, s.Follow != nil}, {KindWait, s.Wait != nil},
		{KindDownload, s.Download != nil}, {KindValidate, s.Validate != nil},
	}
	n := 0
	for _, a := range actions {
		if a.set {
			s.kind = a.kind
			n++
		}
	}
	return n == 1
}

func validatePick(c stepCheck, pk *Pick) {
	pk.Rows = cmp.Or(pk.Rows, "tr:has(td)")
	pk.Link = cmp.Or(pk.Link, "a")
	c.selector("table", pk.Table, true)
	c.selector("rows", pk.Rows, true)
	c.selector("link", pk.Link, true)
	ru := &pk.Rule
	set := 0
	for _, b := range []bool{ru.Column != "", ru.Text != nil, ru.Index != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		c.add("rule", "must match exactly one of column, text, index")
		return
	}
	if !validNormalize(ru.Normalize) {
		c.add("rule.normalize", "must be trim, digits_only, upper, lower or none (got %q)", ru.Normalize)
	}
	switch {
	case ru.Column != "":
		if (ru.Equals != nil) == (ru.Matches != "") {
			c.add("rule", "a column rule needs exactly one of equals, matches")
			return
		}
		if ru.Equals != nil {
			c.template("rule.equals", *ru.Equals, true)
		}
		ru.matches = c.regexp("rule.matches", ru.Matches)
	case ru.Text != nil:
		c.template("rule.text", *ru.Text, true)
	case ru.Index != nil && *ru.Index < 0:
		c.add("rule.index", "must not be negative")
	}
	if ru.Column == "" && (ru.Equals != nil || ru.Matches != "") {
		c.add("rule", "equals and matches need a column")
	}
}

func validateFollow(c stepCheck, f *Follow) {
	f.MaxHops = cmp.Or(f.MaxHops, DefaultMaxHops)
	if f.MaxHops < 1 || f.MaxHops > 20 {
		c.add("max_hops", "must be between 1 and 20 (got %d)", f.MaxHops)
	}
	f.patterns = f.patterns[:0]
	for i, s := range f.Patterns {
		re := c.regexp(fmt.Sprintf("patterns[%d]", i), s)
		if re == nil {
			continue
		}
		if re.NumSubexp() < 1 {
			c.add(fmt.Sprintf("patterns[%d]", i), "needs a capture group around the URL")
			continue
		}
		f.patterns = append(f.patterns, re)
	}
	if !f.FollowJS() && !f.FollowMetaRefresh() && len(f.Patterns) == 0 {
		c.add("", "follows nothing: enable js or meta_refresh, or give patterns")
	}
}

func validateDownload(c stepCheck, d *Download) {
	if (d.URL != nil) == (d.Link != "") {
		c.add("", "needs exactly one of url, link")
	}
	if d.URL != nil {
		c.template("url", *d.URL, true)
	}
	c.selector("link", d.Link, false)
	d.MaxBytes = cmp.Or(d.MaxBytes, Size(DefaultMaxBytes))
	if d.MaxBytes < 1 {
		c.add("max_bytes", "must be positive")
	}
	if len(d.Accept) == 0 {
		d.Accept = []string{"application/pdf"}
	}
}

func validateExpect(c stepCheck, e *Expect) {
	c.selector("expect.selector", e.Selector, false)
	e.url = c.regexp("expect.url_matches", e.URLMatches)
	for _, s := range e.Status {
		if s < 100 || s > 599 {
			c.add("expect.status", "not an HTTP status code: %d", s)
		}
	}
	if slices.Contains(e.Text, "") || slices.Contains(e.NotText, "") {
		c.add("expect", "text and not_text entries must not be empty")
	}
}
