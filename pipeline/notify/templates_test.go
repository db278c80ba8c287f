package notify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-dev/quarry/messages"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestTablesReadyRendersExtractData(t *testing.T) {
	t.Parallel()
	ts, err := loadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	// As the extract stage publishes it, after a JSON round trip.
	r, err := ts.render("tables-ready", map[string]any{
		"pdf_key": "jobs/01J/doc.pdf", "tables": float64(1), "pages": float64(4),
		"failed_pages": []any{float64(2), float64(3)},
		"outputs":      []any{"jobs/01J/doc.tables/t1.csv", "jobs/01J/doc.tables/tables.json"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.subject != "1 table extracted from doc.pdf" {
		t.Errorf("subject %q", r.subject)
	}
	for _, want := range []string{"1 table from jobs/01J/doc.pdf (4 pages)", "could not be read: 2, 3.", "  - jobs/01J/doc.tables/t1.csv\n"} {
		if !strings.Contains(r.text, want) {
			t.Errorf("text body lacks %q:\n%s", want, r.text)
		}
	}
	if !strings.Contains(r.html, "<li><code>jobs/01J/doc.tables/tables.json</code></li>") {
		t.Errorf("HTML body:\n%s", r.html)
	}
}

func TestHTMLBodyEscapesData(t *testing.T) {
	t.Parallel()
	ts, err := loadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	d := tablesData()
	d["pdf_key"] = "jobs/<script>alert(1)</script>.pdf"
	r, err := ts.render("tables-ready", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.html, "<script>") {
		t.Errorf("HTML body carries the data's markup:\n%s", r.html)
	}
}

func TestTemplateDirOverridesAndExtends(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{
		"tables-ready.subject.tmpl": "Your tables: {{.tables}}\n",
		"tables-ready.txt.tmpl":     "plain only",
		"welcome.subject.tmpl":      "Hello {{.name}}",
		"welcome.txt.tmpl":          "Hi {{.name}}",
		"welcome.html.tmpl":         "<p>Hi {{.name}}</p>",
		"README.md":                 "not a template",
	})
	ts, err := loadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ts.render("tables-ready", tablesData())
	if err != nil {
		t.Fatal(err)
	}
	// The directory's template replaces the embedded one whole: no HTML.
	if r.subject != "Your tables: 2" || r.text != "plain only" || r.html != "" {
		t.Errorf("overridden tables-ready: %+v", r)
	}
	r, err = ts.render("welcome", map[string]any{"name": "<Jane>"})
	if err != nil {
		t.Fatal(err)
	}
	if r.subject != "Hello <Jane>" || r.html != "<p>Hi &lt;Jane&gt;</p>" {
		t.Errorf("added welcome: %+v", r)
	}
}

func TestBrokenTemplateDirFailsAtStart(t *testing.T) {
	t.Parallel()
	for name, files := range map[string]map[string]string{
		"no text body":  {"x.subject.tmpl": "s"},
		"no subject":    {"x.txt.tmpl": "t"},
		"bad syntax":    {"x.subject.tmpl": "{{", "x.txt.tmpl": "t"},
		"unknown kind":  {"x.tmpl": "t"},
		"bad name":      {"a.b.subject.tmpl": "s", "a.b.txt.tmpl": "t"},
		"unknown func":  {"x.subject.tmpl": "{{nope}}", "x.txt.tmpl": "t"},
		"html is wrong": {"x.subject.tmpl": "s", "x.txt.tmpl": "t", "x.html.tmpl": "{{end}}"},
	} {
		if _, err := loadTemplates(writeFiles(t, files)); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	if _, err := loadTemplates(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing directory loaded")
	}
}

func TestRenderErrorsNameTheTemplate(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"x.subject.tmpl": "{{plural .n \"a\" \"b\"}}", "x.txt.tmpl": "{{join .list \", \"}}"})
	ts, err := loadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		data map[string]any
		want string
	}{
		{map[string]any{"list": []any{}}, `map has no entry for key "n"`},
		{map[string]any{"n": "three", "list": []any{}}, "plural: want a number, got string"},
		{map[string]any{"n": 2.5, "list": []any{}}, "plural: want a whole number"},
		{map[string]any{"n": 2, "list": "abc"}, "join: want a list, got string"},
	} {
		_, err := ts.render("x", tc.data)
		if !messages.IsPermanent(err) || !strings.Contains(err.Error(), `template "x"`) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("render %v: %v, want a permanent error naming the template and saying %q", tc.data, err, tc.want)
		}
	}
}

func TestPlural(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    any
		want string
	}{{0, "0 tables"}, {1, "1 table"}, {float64(1), "1 table"}, {float64(12), "12 tables"}, {int64(2), "2 tables"}, {uint8(1), "1 table"}} {
		if got, err := plural(tc.n, "table", "tables"); err != nil || got != tc.want {
			t.Errorf("plural(%v) = %q, %v; want %q", tc.n, got, err, tc.want)
		}
	}
}
