package ses

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// emailTemplate is a stored template: subject, text and HTML parts with
// {{var}} placeholders.
type emailTemplate struct {
	Name      string          `json:"name"`
	Content   templateContent `json:"content"`
	Tags      []tag           `json:"tags,omitempty"`
	CreatedAt time.Time       `json:"createdAt"`
}

// templateContent is SES's EmailTemplateContent.
type templateContent struct {
	Subject string `json:"Subject,omitempty"`
	Text    string `json:"Text,omitempty"`
	HTML    string `json:"Html,omitempty"`
}

func (s *Service) createEmailTemplate(rq *request) (any, *awsproto.Error) {
	var in struct {
		TemplateName    string           `json:"TemplateName"`
		TemplateContent *templateContent `json:"TemplateContent"`
		Tags            []tag            `json:"Tags"`
	}
	if e := rq.decode(&in); e != nil {
		return nil, e
	}
	if !validName(in.TemplateName) {
		return nil, errBadRequest("Invalid TemplateName %q: use 1 to 64 letters, digits, '_' or '-'.", in.TemplateName)
	}
	if in.TemplateContent == nil {
		return nil, errBadRequest("TemplateContent is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.templates[in.TemplateName] != nil {
		return nil, errAlreadyExists("Template %s already exists.", in.TemplateName)
	}
	s.templates[in.TemplateName] = &emailTemplate{Name: in.TemplateName, Content: *in.TemplateContent, Tags: in.Tags, CreatedAt: s.now().UTC()}
	s.dirty = true
	return nil, nil
}

// templateLocked returns the named template or NotFoundException. Callers
// hold s.mu.
func (s *Service) templateLocked(name string) (*emailTemplate, *awsproto.Error) {
	t := s.templates[name]
	if t == nil {
		return nil, errNotFound("Template %s does not exist.", name)
	}
	return t, nil
}

func (s *Service) getEmailTemplate(rq *request) (any, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.templateLocked(rq.labels[0])
	if e != nil {
		return nil, e
	}
	return map[string]any{"TemplateName": t.Name, "TemplateContent": t.Content, "Tags": nonNilTags(t.Tags)}, nil
}

func (s *Service) updateEmailTemplate(rq *request) (any, *awsproto.Error) {
	var in struct {
		TemplateContent *templateContent `json:"TemplateContent"`
	}
	if e := rq.decode(&in); e != nil {
		return nil, e
	}
	if in.TemplateContent == nil {
		return nil, errBadRequest("TemplateContent is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.templateLocked(rq.labels[0])
	if e != nil {
		return nil, e
	}
	t.Content = *in.TemplateContent
	s.dirty = true
	return nil, nil
}

func (s *Service) deleteEmailTemplate(rq *request) (any, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, e := s.templateLocked(rq.labels[0]); e != nil {
		return nil, e
	}
	delete(s.templates, rq.labels[0])
	s.dirty = true
	return nil, nil
}

func (s *Service) listEmailTemplates(rq *request) (any, *awsproto.Error) {
	size, e := rq.queryPageSize()
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.templates))
	for k := range s.templates {
		keys = append(keys, k)
	}
	page, next, e := paginate(keys, rq.query.Get("NextToken"), size)
	if e != nil {
		return nil, e
	}
	list := make([]map[string]any, 0, len(page))
	for _, k := range page {
		list = append(list, map[string]any{"TemplateName": k, "CreatedTimestamp": epochSeconds(s.templates[k].CreatedAt)})
	}
	out := map[string]any{"TemplatesMetadata": list}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// testRenderEmailTemplate renders a stored template with TemplateData and
// returns the MIME message SES would send. Unlike SendEmail, a rendering
// error is reported at once.
func (s *Service) testRenderEmailTemplate(rq *request) (any, *awsproto.Error) {
	var in struct {
		TemplateData string `json:"TemplateData"`
	}
	if e := rq.decode(&in); e != nil {
		return nil, e
	}
	data, e := parseTemplateData(in.TemplateData)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	t, e := s.templateLocked(rq.labels[0])
	var content templateContent
	if t != nil {
		content = t.Content
	}
	s.mu.Unlock()
	if e != nil {
		return nil, e
	}
	r, err := renderContent(content, data)
	if err != nil {
		return nil, errBadRequest("%v", err)
	}
	msg, err := composeMIME([]header{{Name: "Subject", Value: encodeHeaderText(r.Subject)}, {Name: "MIME-Version", Value: "1.0"}}, r.body(nil))
	if err != nil {
		return nil, errBadRequest("%v", err)
	}
	return map[string]string{"RenderedTemplate": string(msg)}, nil
}

// parseTemplateData reads TemplateData, a JSON object; empty means none.
func parseTemplateData(s string) (map[string]any, *awsproto.Error) {
	if strings.TrimSpace(s) == "" {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var data map[string]any
	if err := dec.Decode(&data); err != nil || data == nil {
		return nil, errBadRequest("Invalid TemplateData: it must be a JSON object (%v).", err)
	}
	return data, nil
}

// renderedContent is a template after substitution.
type renderedContent struct {
	Subject string
	Text    string
	HTML    string
}

// body turns the rendered parts into a message body.
func (r renderedContent) body(attachments []attachment) messageBody {
	b := messageBody{Attachments: attachments}
	if r.Text != "" {
		b.Text = &r.Text
	}
	if r.HTML != "" {
		b.HTML = &r.HTML
	}
	return b
}

// renderContent renders the subject, text and HTML of a template.
func renderContent(c templateContent, data map[string]any) (renderedContent, error) {
	var r renderedContent
	var err error
	if r.Subject, err = renderTemplate(c.Subject, data, false); err != nil {
		return r, err
	}
	if r.Text, err = renderTemplate(c.Text, data, false); err != nil {
		return r, err
	}
	if r.HTML, err = renderTemplate(c.HTML, data, true); err != nil {
		return r, err
	}
	return r, nil
}

// renderTemplate substitutes {{name}} and {{a.b}} placeholders with values
// from data. In HTML, {{x}} is HTML-escaped and {{{x}}} is not; in subject
// and text both insert the value as is. {{! comments}} are dropped. A
// missing attribute is an error, as SES reports it in a Rendering Failure
// event. Handlebars block helpers ({{#if}}, {{#each}} ...) are not
// supported and are reported as errors rather than rendered wrongly.
func renderTemplate(tpl string, data map[string]any, escapeHTML bool) (string, error) {
	if !strings.Contains(tpl, "{{") {
		return tpl, nil
	}
	var out bytes.Buffer
	rest := tpl
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			out.WriteString(rest)
			return out.String(), nil
		}
		out.WriteString(rest[:i])
		rest = rest[i+2:]
		raw := false
		closer := "}}"
		if strings.HasPrefix(rest, "{") {
			raw, closer, rest = true, "}}}", rest[1:]
		}
		j := strings.Index(rest, closer)
		if j < 0 {
			return "", fmt.Errorf("unclosed placeholder %q in template", "{{"+truncate(rest, 40))
		}
		expr := strings.TrimSpace(rest[:j])
		rest = rest[j+len(closer):]
		switch {
		case strings.HasPrefix(expr, "!"):
			continue
		case expr == "" || strings.ContainsAny(expr[:1], "#/^>&") || expr == "else" || strings.ContainsAny(expr, " \t\r\n"):
			return "", fmt.Errorf("unsupported template expression {{%s}}: only {{name}} and {{a.b}} placeholders are rendered", expr)
		}
		v, ok := lookupPath(data, expr)
		if !ok {
			//nolint:staticcheck // SES's own wording, as clients see it
			return "", fmt.Errorf("Attribute '%s' is not present in the rendering data.", expr)
		}
		text := formatValue(v)
		if escapeHTML && !raw {
			text = html.EscapeString(text)
		}
		out.WriteString(text)
	}
}

// lookupPath walks a dotted path (a.b.c) through nested objects; "this"
// names the data itself.
func lookupPath(data map[string]any, path string) (any, bool) {
	var cur any = data
	for _, part := range strings.Split(strings.TrimPrefix(path, "this."), ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return ""
		}
		return string(b)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
