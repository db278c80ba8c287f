package recipe

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxFieldDepth bounds the walk over deeply nested YAML.
const maxFieldDepth = 32

// unknownFields walks n alongside the Go type t and reports every mapping
// key that names no field, so a misspelt key ("rul:") is an error instead of
// being silently ignored. Types with their own UnmarshalYAML check their own
// keys. skip lists top-level keys handled elsewhere.
func unknownFields(n *yaml.Node, t reflect.Type, path string, skip map[string]bool) []string {
	var out []string
	walkFields(n, t, path, skip, 0, &out)
	return out
}

func walkFields(n *yaml.Node, t reflect.Type, path string, skip map[string]bool, depth int, out *[]string) {
	if depth > maxFieldDepth || n == nil {
		return
	}
	if n.Kind == yaml.AliasNode {
		// An alias points at a node walked where its anchor is defined.
		// Following aliases would let "a: &a [*a, *a]" fan out
		// exponentially.
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]()) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if skip[k] {
				continue
			}
			ft, ok := fields[k]
			if !ok {
				*out = append(*out, fmt.Sprintf("%s: unknown field (line %d); known fields: %s", join(path, k), n.Content[i].Line, strings.Join(sortedKeys(fields), ", ")))
				continue
			}
			walkFields(n.Content[i+1], ft, join(path, k), nil, depth+1, out)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			walkFields(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), nil, depth+1, out)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkFields(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), nil, depth+1, out)
		}
	}
}

// yamlFields maps the YAML keys of struct type t to field types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	fields := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return fields
}

// checkFields reports keys of mapping n not in allowed; for types with their
// own UnmarshalYAML.
func checkFields(n *yaml.Node, allowed map[string]bool) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !allowed[k.Value] {
			return fmt.Errorf("%s: unknown field (line %d); known fields: %s", k.Value, k.Line, strings.Join(sortedKeys(allowed), ", "))
		}
	}
	return nil
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}
