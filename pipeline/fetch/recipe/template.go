package recipe

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Template is a string with ${name} references to variables: job inputs
// (${key}), values captured by earlier steps (${row.target}). "$${" stands
// for a literal "${"; a "$" not followed by "{" is literal, so ASP.NET names
// such as ctl00$Main$txtApiNo need no escaping.
type Template struct {
	raw   string
	parts []templatePart
}

// templatePart is a literal or, when ref is set, a variable reference.
type templatePart struct {
	lit string
	ref string
}

// ParseTemplate parses s.
func ParseTemplate(s string) (Template, error) {
	t := Template{raw: s}
	var lit strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			lit.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return Template{}, fmt.Errorf("unclosed ${ at offset %d in %q", i, s)
			}
			name := s[i+2 : i+2+end]
			if !validVarName(name) {
				return Template{}, fmt.Errorf("invalid variable name %q in %q: use letters, digits, _ and . (e.g. ${key}, ${row.target})", name, s)
			}
			if lit.Len() > 0 {
				t.parts = append(t.parts, templatePart{lit: lit.String()})
				lit.Reset()
			}
			t.parts = append(t.parts, templatePart{ref: name})
			i += 2 + end + 1
		default:
			lit.WriteByte(s[i])
			i++
		}
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, templatePart{lit: lit.String()})
	}
	return t, nil
}

func validVarName(name string) bool {
	if name == "" || name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, "..") {
		return false
	}
	for _, c := range name {
		ok := c == '_' || c == '.' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		if !ok {
			return false
		}
	}
	return true
}

// String returns the template as written.
func (t Template) String() string { return t.raw }

// IsZero reports whether the template is empty.
func (t Template) IsZero() bool { return t.raw == "" }

// Refs returns the variable names the template references, in order.
func (t Template) Refs() []string {
	var refs []string
	for _, p := range t.parts {
		if p.ref != "" {
			refs = append(refs, p.ref)
		}
	}
	return refs
}

// Expand substitutes variables with lookup. A variable lookup does not know
// is an error naming it.
func (t Template) Expand(lookup func(name string) (string, bool)) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.ref == "" {
			b.WriteString(p.lit)
			continue
		}
		v, ok := lookup(p.ref)
		if !ok {
			return "", fmt.Errorf("variable ${%s} is not set", p.ref)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// UnmarshalYAML decodes a template from a scalar.
func (t *Template) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a string", n.Line)
	}
	v, err := ParseTemplate(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*t = v
	return nil
}
