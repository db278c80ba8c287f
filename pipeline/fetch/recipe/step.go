package recipe

import (
	"fmt"
	"regexp"

	"go.yaml.in/yaml/v3"
)

// Step kinds, the YAML key that selects a step's action.
const (
	KindGet      = "get"
	KindSubmit   = "submit"
	KindPick     = "pick"
	KindPostback = "postback"
	KindFollow   = "follow"
	KindWait     = "wait"
	KindDownload = "download"
	KindValidate = "validate"
)

// stepKinds lists the step kinds in documentation order.
func stepKinds() []string {
	return []string{KindGet, KindSubmit, KindPick, KindPostback, KindFollow, KindWait, KindDownload, KindValidate}
}

// Step is one step of a recipe: exactly one action, plus an optional id,
// timeout and expectations.
type Step struct {
	// ID (id) names the step in logs and errors.
	ID string `yaml:"id"`
	// Timeout (timeout) overrides limits.step_timeout for this step.
	Timeout Duration `yaml:"timeout"`
	// Expect (expect) checks the response the step ends with.
	Expect *Expect `yaml:"expect"`

	Get      *Get      `yaml:"get"`
	Submit   *Submit   `yaml:"submit"`
	Pick     *Pick     `yaml:"pick"`
	Postback *Postback `yaml:"postback"`
	Follow   *Follow   `yaml:"follow"`
	Wait     *Wait     `yaml:"wait"`
	Download *Download `yaml:"download"`
	Validate *Validate `yaml:"validate"`

	kind  string
	index int
}

// Kind returns the step's action key ("get", "submit", ...).
func (s *Step) Kind() string { return s.kind }

// Index returns the step's 1-based position in the recipe.
func (s *Step) Index() int { return s.index }

// Label names the step for errors and logs: `step 3 (pick)` or, with an id,
// `step 3 (pick "row")`.
func (s *Step) Label() string {
	if s.ID != "" {
		return fmt.Sprintf("step %d (%s %q)", s.index, s.kind, s.ID)
	}
	return fmt.Sprintf("step %d (%s)", s.index, s.kind)
}

// Get fetches a URL with GET, following HTTP redirects.
type Get struct {
	// URL (url) is resolved against the current page, or site.base_url
	// before the first request.
	URL Template `yaml:"url"`
}

// Submit posts a form of the current page as a browser does: every
// successful control, overridden by Fields, plus the clicked button.
type Submit struct {
	// Form (form) is a CSS selector of the form. Defaults to the first form.
	Form string `yaml:"form"`
	// Fields (fields) set control values by name (templates).
	Fields map[string]Template `yaml:"fields"`
	// Clear (clear) are control names not to post.
	Clear []string `yaml:"clear"`
	// Click (click) is the name of the submit control clicked: an input of
	// type submit or image, or a button. Empty posts no button, as
	// form.submit() does.
	Click string `yaml:"click"`
}

// Pick chooses one row of a results table by a rule that must match exactly
// one row, and captures it as variables: ${row.text}, ${row.index},
// ${row.href}, and ${row.target}, ${row.argument} when the row's link is a
// __doPostBack or WebForm_DoPostBackWithOptions call.
type Pick struct {
	// Table (table) is a CSS selector of the table.
	Table string `yaml:"table"`
	// Rows (rows) selects data rows inside the table. Defaults to rows with
	// td cells ("tr:has(td)").
	Rows string `yaml:"rows"`
	// Link (link) selects the row's link inside the row. Defaults to "a".
	Link string `yaml:"link"`
	// Rule (rule) chooses the row.
	Rule Rule `yaml:"rule"`
}

// Rule chooses rows: exactly one of Column (with Equals or Matches), Text or
// Index is set.
type Rule struct {
	// Column (column) is the header text of the column compared.
	Column string `yaml:"column"`
	// Equals (equals) must equal the cell after normalization (template).
	Equals *Template `yaml:"equals"`
	// Matches (matches) is a regular expression the cell must match.
	Matches string `yaml:"matches"`
	// Normalize (normalize) applies to both cell and Equals: trim (default),
	// digits_only, upper, lower or none.
	Normalize string `yaml:"normalize"`
	// Text (text) must be contained in the row's text (template).
	Text *Template `yaml:"text"`
	// Index (index) picks the data row at this 0-based position.
	Index *int `yaml:"index"`

	matches *regexp.Regexp
}

// MatchesCell reports whether a cell matches the rule's regular expression.
func (r Rule) MatchesCell(cell string) bool {
	return r.matches != nil && r.matches.MatchString(cell)
}

// Postback raises a server event: it posts the current form with
// __EVENTTARGET and __EVENTARGUMENT set and no button clicked.
type Postback struct {
	// Form (form) is a CSS selector of the form. Defaults to the first form.
	Form string `yaml:"form"`
	// Target (target) is the event target UniqueID (template).
	Target Template `yaml:"target"`
	// Argument (argument) is the event argument (template).
	Argument Template `yaml:"argument"`
	// Fields (fields) set other control values by name (templates).
	Fields map[string]Template `yaml:"fields"`
}

// Follow follows a client-side redirect of the current page: a meta refresh
// or a JavaScript location assignment, repeatedly up to MaxHops.
type Follow struct {
	// JS (js) follows window.location / location.href / location.replace
	// assignments in scripts. Defaults to true.
	JS *bool `yaml:"js"`
	// MetaRefresh (meta_refresh) follows <meta http-equiv="refresh">.
	// Defaults to true.
	MetaRefresh *bool `yaml:"meta_refresh"`
	// Patterns (patterns) are extra regular expressions with one group, the
	// URL, searched in scripts.
	Patterns []string `yaml:"patterns"`
	// MaxHops (max_hops) caps the redirects followed; one more is a loop.
	// Defaults to 5.
	MaxHops int `yaml:"max_hops"`
	// Required (required) makes a page without a redirect an error.
	Required bool `yaml:"required"`

	patterns []*regexp.Regexp
}

// FollowJS reports whether JavaScript redirects are followed.
func (f *Follow) FollowJS() bool { return f.JS == nil || *f.JS }

// FollowMetaRefresh reports whether meta refresh redirects are followed.
func (f *Follow) FollowMetaRefresh() bool { return f.MetaRefresh == nil || *f.MetaRefresh }

// CompiledPatterns returns the compiled extra patterns.
func (f *Follow) CompiledPatterns() []*regexp.Regexp { return f.patterns }

// Wait pauses for a duration between Min and Max, chosen at random; written
// as "wait: 300ms" or "wait: {min: 1s, max: 2s}".
type Wait struct {
	Min Duration `yaml:"min"`
	Max Duration `yaml:"max"`
}

// UnmarshalYAML accepts a duration or a {min, max} mapping.
func (w *Wait) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var d Duration
		if err := d.UnmarshalYAML(n); err != nil {
			return err
		}
		*w = Wait{Min: d, Max: d}
		return nil
	}
	if err := checkFields(n, waitFields()); err != nil {
		return err
	}
	type plain Wait
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*w = Wait(p)
	return nil
}

func waitFields() map[string]bool { return map[string]bool{"min": true, "max": true} }

// Download fetches the document with GET into memory, up to MaxBytes.
type Download struct {
	// URL (url) is the document URL (template). Exactly one of URL and Link.
	URL *Template `yaml:"url"`
	// Link (link) is a CSS selector of a link on the current page whose
	// href is the document URL.
	Link string `yaml:"link"`
	// Accept (accept) are the content types asked for in the Accept header.
	// Defaults to application/pdf.
	Accept []string `yaml:"accept"`
	// MaxBytes (max_bytes) caps the body; more is a too_large failure.
	// Defaults to 64MiB.
	MaxBytes Size `yaml:"max_bytes"`
}

// Validate checks the downloaded document.
type Validate struct {
	// ContentTypes (content_types) are the accepted media types. Defaults to
	// application/pdf.
	ContentTypes []string `yaml:"content_types"`
	// PDFHeader (pdf_header) requires %PDF- within the first 1024 bytes.
	// Defaults to true.
	PDFHeader *bool `yaml:"pdf_header"`
	// EOFTrailer (eof_trailer) requires %%EOF within the last 2048 bytes.
	// Defaults to true.
	EOFTrailer *bool `yaml:"eof_trailer"`
	// LengthMatches (length_matches) requires the body length to equal the
	// Content-Length header when there is one. Defaults to true.
	LengthMatches *bool `yaml:"length_matches"`
	// MinBytes (min_bytes) is the least acceptable size. Defaults to 0.
	MinBytes Size `yaml:"min_bytes"`
}

// CheckPDFHeader reports whether the %PDF- header is required.
func (v *Validate) CheckPDFHeader() bool { return v.PDFHeader == nil || *v.PDFHeader }

// CheckEOFTrailer reports whether the %%EOF trailer is required.
func (v *Validate) CheckEOFTrailer() bool { return v.EOFTrailer == nil || *v.EOFTrailer }

// CheckLength reports whether Content-Length must match the body.
func (v *Validate) CheckLength() bool { return v.LengthMatches == nil || *v.LengthMatches }

// Expect lists checks on the response a step ends with. A failed check is a
// recipe_broken failure naming the step.
type Expect struct {
	// Status (status) are the accepted status codes.
	Status []int `yaml:"status"`
	// Selector (selector) must match at least one element.
	Selector string `yaml:"selector"`
	// Text (text) must each appear in the body.
	Text []string `yaml:"text"`
	// NotText (not_text) must not appear in the body.
	NotText []string `yaml:"not_text"`
	// URLMatches (url_matches) is a regular expression the final URL must
	// match.
	URLMatches string `yaml:"url_matches"`
	// ContentType (content_type) is the media type the response must have.
	ContentType string `yaml:"content_type"`

	url *regexp.Regexp
}

// MatchURL reports whether u satisfies URLMatches (true when unset).
func (e *Expect) MatchURL(u string) bool { return e.url == nil || e.url.MatchString(u) }
