package recipe

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func readSample(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile("../recipes/sample.yaml")
	if err != nil {
		tb.Fatalf("read sample recipe: %v", err)
	}
	return b
}

func TestParseSample(t *testing.T) {
	t.Parallel()
	r, err := Parse(readSample(t))
	if err != nil {
		t.Fatalf("Parse(sample.yaml): %v", err)
	}
	if r.Name != "sample-records" || r.Version != 1 {
		t.Errorf("got recipe %q version %d, want sample-records version 1", r.Name, r.Version)
	}
	kinds := make([]string, len(r.Steps))
	for i := range r.Steps {
		kinds[i] = r.Steps[i].Kind()
	}
	want := "get submit pick postback follow wait download validate"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("step kinds: got %q, want %q", got, want)
	}
	if got := r.Steps[2].Label(); got != `step 3 (pick "row")` {
		t.Errorf("label: got %q", got)
	}
	if got := r.Politeness.MinInterval.D(); got != 100*time.Millisecond {
		t.Errorf("min_interval: got %s, want 100ms", got)
	}
	if got := r.Steps[6].Download.MaxBytes; got != 32<<20 {
		t.Errorf("max_bytes: got %d, want 32MiB", got)
	}
	if got := r.Steps[5].Wait; got.Min.D() != 400*time.Millisecond || got.Max.D() != 600*time.Millisecond {
		t.Errorf("wait: got %+v", got)
	}
	if r.Politeness.SessionLease.D() != 3*time.Minute {
		t.Errorf("session_lease default: got %s, want flow_timeout+1m = 3m", r.Politeness.SessionLease.D())
	}
	if v, ok := r.Inputs["key"].Normalized(" 42-501-20130 "); !ok || v != "42-501-20130" {
		t.Errorf("input key normalized: got %q %v", v, ok)
	}
	if _, ok := r.Inputs["key"].Normalized("4250120130"); ok {
		t.Error("input key: 4250120130 should not match the pattern")
	}
}

// minimal is a valid recipe that the error cases below break one field at a
// time.
const minimal = `
recipe: t
version: 1
site: {base_url: 'https://records.example.gov/', allowed_hosts: [records.example.gov]}
inputs: {key: {}}
steps:
  - get: {url: 'Search.aspx'}
`

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"pick rule with two choices", minimal + `
  - submit: {}
  - pick: {table: 'table', rule: {column: 'API', equals: '${key}', index: 1}}
`, "step 3 (pick): rule: must match exactly one of column, text, index"},
		{"pick rule with none", minimal + `
  - pick: {table: 'table', rule: {}}
`, "step 2 (pick): rule: must match exactly one of column, text, index"},
		{"column rule without comparison", minimal + `
  - pick: {table: 'table', rule: {column: API}}
`, "step 2 (pick): rule: a column rule needs exactly one of equals, matches"},
		{"unknown field in step", minimal + `
  - pick: {table: 'table', rul: {index: 0}}
`, `step 2 (pick): pick.rul: unknown field (line 9)`},
		{"unknown top-level field", minimal + "\nsiet: {}\n", "siet: unknown field"},
		{"two actions", minimal + `
  - get: {url: a}
    wait: 1s
`, "step 2: must have exactly one of get, submit, pick, postback, follow, wait, download or validate; found get and wait"},
		{"no action", minimal + `
  - id: x
`, "step 2: must have exactly one of"},
		{"unknown variable", minimal + `
  - postback: {target: '${row.target}'}
`, "step 2 (postback): target: unknown variable ${row.target}"},
		{"variable from a later step", minimal + `
  - postback: {target: '${row.target}'}
  - pick: {table: t, rule: {index: 0}}
`, "step 2 (postback): target: unknown variable ${row.target}"},
		{"bad duration", minimal + `
  - wait: soon
`, `step 2 (wait): line 9: invalid duration "soon"`},
		{"wait max below min", minimal + `
  - wait: {min: 2s, max: 1s}
`, "step 2 (wait): max: must not be less than min"},
		{"bad selector", minimal + `
  - submit: {form: 'form[[['}
`, "step 2 (submit): form: invalid CSS selector"},
		{"bad regexp", minimal + `
  - follow: {patterns: ['(']}
`, "step 2 (follow): patterns[0]: invalid regular expression"},
		{"pattern without group", minimal + `
  - follow: {patterns: ['location']}
`, "step 2 (follow): patterns[0]: needs a capture group"},
		{"download with url and link", minimal + `
  - download: {url: a.pdf, link: a}
`, "step 2 (download): needs exactly one of url, link"},
		{"validate before download", minimal + `
  - validate: {}
`, "step 2 (validate): needs a document"},
		{"submit before a page", `
recipe: t
version: 1
site: {base_url: 'https://records.example.gov/', allowed_hosts: [records.example.gov]}
steps:
  - submit: {}
`, "step 1 (submit): needs a page to work on"},
		{"base host not allowed", `
recipe: t
version: 1
site: {base_url: 'https://records.example.gov/', allowed_hosts: [other.example.gov]}
steps: [{get: {url: a}}]
`, "site.allowed_hosts: must include the host of site.base_url"},
		{"no allowed hosts", `
recipe: t
version: 1
site: {base_url: 'https://records.example.gov/'}
steps: [{get: {url: a}}]
`, "site.allowed_hosts: missing"},
		{"bad base url", `
recipe: t
version: 1
site: {base_url: 'ftp://x/', allowed_hosts: [x]}
steps: [{get: {url: a}}]
`, "site.base_url: must be an absolute http or https URL"},
		{"bad name and version", `
recipe: 'Bad Name'
version: 0
site: {base_url: 'https://x/', allowed_hosts: [x]}
steps: [{get: {url: a}}]
`, "version: must be a positive integer"},
		{"no steps", `
recipe: t
version: 1
site: {base_url: 'https://x/', allowed_hosts: [x]}
`, "steps: missing"},
		{"unclosed variable", minimal + `
  - get: {url: '${key'}
`, "unclosed ${"},
		{"bad input pattern", `
recipe: t
version: 1
site: {base_url: 'https://x/', allowed_hosts: [x]}
inputs: {key: {pattern: '['}}
steps: [{get: {url: a}}]
`, "inputs.key.pattern: invalid regular expression"},
		{"bad size", minimal + `
  - download: {url: a, max_bytes: 12 parsecs}
`, `invalid size "12 parsecs"`},
		{"not yaml", "recipe: [", "invalid YAML"},
		{"not a mapping", "- 1\n- 2\n", "want a mapping"},
		{"type error", minimal + "\nversion: many\n", "mapping key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse: got no error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error:\n%v\nwant it to contain %q", err, tt.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error %T is not a *FieldError", err)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(minimal + `
  - wait: {min: 2s, max: 1s}
  - pick: {table: 'table', rule: {}}
`))
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"step 2 (wait)", "step 3 (pick)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestHostAllowed(t *testing.T) {
	t.Parallel()
	allowed := []string{"records.example.gov", "*.cdn.example.gov", "127.0.0.1:8484", "[::1]"}
	tests := []struct {
		host string
		want bool
	}{
		{"records.example.gov", true},
		{"RECORDS.example.gov:443", true},
		{"records.example.gov.", true},
		{"evil.example.gov", false},
		{"a.cdn.example.gov", true},
		{"cdn.example.gov", false},
		{"127.0.0.1:8484", true},
		{"127.0.0.1:8485", false},
		{"127.0.0.1", false},
		{"[::1]:80", true},
		{"records.example.gov.evil.com", false},
	}
	for _, tt := range tests {
		if got := HostAllowed(allowed, tt.host); got != tt.want {
			t.Errorf("HostAllowed(%q): got %v, want %v", tt.host, got, tt.want)
		}
	}
}
