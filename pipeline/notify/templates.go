package notify

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"maps"
	"math"
	"os"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	texttemplate "text/template"

	"github.com/quarry-dev/quarry/messages"
)

// embedded holds the default templates.
//
//go:embed templates/*.tmpl
var embedded embed.FS

// The files of one template NAME.
const (
	suffixSubject = ".subject.tmpl"
	suffixText    = ".txt.tmpl"
	suffixHTML    = ".html.tmpl"
)

// mailTemplate is one template: subject and text body, and an optional
// HTML body.
type mailTemplate struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template // nil when the template has no HTML body
}

// rendered is a template rendered with a job's data.
type rendered struct {
	subject, text, html string
}

// templates are the templates jobs may name, by name.
type templates map[string]*mailTemplate

// loadTemplates parses the embedded templates and, when dir is set, the
// templates in dir, which replace embedded ones of the same name whole
// (all of NAME's files come from dir) and add the others.
func loadTemplates(dir string) (templates, error) {
	sub, err := fs.Sub(embedded, "templates")
	if err != nil {
		return nil, fmt.Errorf("notify: embedded templates: %w", err)
	}
	ts, err := parseTemplates(sub, "embedded templates")
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return ts, nil
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("notify: template directory: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("notify: template directory %q is not a directory", dir)
	}
	over, err := parseTemplates(os.DirFS(dir), dir)
	if err != nil {
		return nil, err
	}
	maps.Copy(ts, over)
	return ts, nil
}

// parseTemplates parses every *.tmpl file of fsys's top directory; where
// names fsys in errors.
func parseTemplates(fsys fs.FS, where string) (templates, error) {
	files, err := fs.Glob(fsys, "*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("notify: listing %s: %w", where, err)
	}
	byName := map[string]map[string]string{} // name → suffix → file
	for _, f := range files {
		name, suffix, ok := splitTemplateFile(f)
		if !ok {
			return nil, fmt.Errorf("notify: %s: %s is not named NAME%s, NAME%s or NAME%s", where, f, suffixSubject, suffixText, suffixHTML)
		}
		if !validTemplateName(name) {
			return nil, fmt.Errorf("notify: %s: %s: a template name is 1 to 64 letters, digits, '_' or '-' (as payload.template)", where, f)
		}
		if byName[name] == nil {
			byName[name] = map[string]string{}
		}
		byName[name][suffix] = f
	}
	ts := make(templates, len(byName))
	for name, fileOf := range byName {
		if fileOf[suffixSubject] == "" || fileOf[suffixText] == "" {
			return nil, fmt.Errorf("notify: %s: template %q needs %s and %s (%s is optional)", where, name, name+suffixSubject, name+suffixText, name+suffixHTML)
		}
		t := &mailTemplate{}
		if t.subject, err = parseText(fsys, fileOf[suffixSubject]); err == nil {
			t.text, err = parseText(fsys, fileOf[suffixText])
		}
		if err == nil && fileOf[suffixHTML] != "" {
			t.html, err = parseHTML(fsys, fileOf[suffixHTML])
		}
		if err != nil {
			return nil, fmt.Errorf("notify: %s: %w", where, err)
		}
		ts[name] = t
	}
	return ts, nil
}

func splitTemplateFile(file string) (name, suffix string, ok bool) {
	for _, s := range []string{suffixSubject, suffixText, suffixHTML} {
		if n, found := strings.CutSuffix(file, s); found && n != "" {
			return n, s, true
		}
	}
	return "", "", false
}

// validTemplateName reports whether jobs can name the template: its name
// is what messages.NotifyEmail accepts as payload.template.
func validTemplateName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func parseText(fsys fs.FS, file string) (*texttemplate.Template, error) {
	b, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	return texttemplate.New(file).Option("missingkey=error").Funcs(templateFuncs).Parse(string(b))
}

func parseHTML(fsys fs.FS, file string) (*htmltemplate.Template, error) {
	b, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	return htmltemplate.New(file).Option("missingkey=error").Funcs(templateFuncs).Parse(string(b))
}

// render renders the template name with data. An unknown template and
// data that does not fit the template (a missing key, a value of the wrong
// type) are permanent errors naming the template and the problem.
func (ts templates) render(name string, data map[string]any) (rendered, error) {
	t, ok := ts[name]
	if !ok {
		return rendered{}, messages.Permanent(fmt.Errorf("notify: template %q not found (known: %s)", name, strings.Join(slices.Sorted(maps.Keys(ts)), ", ")))
	}
	if data == nil {
		data = map[string]any{}
	}
	fail := func(part string, err error) error {
		return messages.Permanent(fmt.Errorf("notify: template %q: rendering the %s with the job's template_data: %w", name, part, err))
	}
	var r rendered
	var buf bytes.Buffer
	if err := t.subject.Execute(&buf, data); err != nil {
		return rendered{}, fail("subject", err)
	}
	// A subject is one line: the template's line breaks become spaces.
	r.subject = strings.Join(strings.Fields(buf.String()), " ")
	buf.Reset()
	if err := t.text.Execute(&buf, data); err != nil {
		return rendered{}, fail("text body", err)
	}
	r.text = buf.String()
	if t.html != nil {
		buf.Reset()
		if err := t.html.Execute(&buf, data); err != nil {
			return rendered{}, fail("HTML body", err)
		}
		r.html = buf.String()
	}
	return r, nil
}

// templateFuncs are the functions templates may call besides the
// built-in ones.
var templateFuncs = map[string]any{
	"base":   path.Base,
	"join":   joinList,
	"plural": plural,
}

// joinList joins the elements of a list (JSON arrays arrive as []any)
// with sep, each printed as text/template prints a value.
func joinList(list any, sep string) (string, error) {
	v := reflect.ValueOf(list)
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return "", fmt.Errorf("join: want a list, got %T", list)
	}
	parts := make([]string, v.Len())
	for i := range parts {
		parts[i] = fmt.Sprint(v.Index(i).Interface())
	}
	return strings.Join(parts, sep), nil
}

// plural returns "1 table" or "3 tables": n with the word that fits it.
// JSON numbers arrive as float64; a number that is not whole is an error.
func plural(n any, one, many string) (string, error) {
	var i int64
	switch v := reflect.ValueOf(n); v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i = v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i = int64(v.Uint())
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return "", fmt.Errorf("plural: want a whole number, got %v", f)
		}
		i = int64(f)
	default:
		return "", fmt.Errorf("plural: want a number, got %T", n)
	}
	if i == 1 {
		return "1 " + one, nil
	}
	return strconv.FormatInt(i, 10) + " " + many, nil
}
