package recipe

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxRecipeBytes caps the size of a recipe file.
const MaxRecipeBytes = 1 << 20

// Load reads and parses the recipe file at path.
func Load(path string) (*Recipe, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("recipe: read %s: %w", path, err)
	}
	r, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Parse decodes and validates a recipe. Every problem found is reported at
// once, joined; each is a [*FieldError] naming the step and the field. The
// returned recipe has its defaults filled in.
func Parse(data []byte) (*Recipe, error) {
	if len(data) > MaxRecipeBytes {
		return nil, &FieldError{Reason: fmt.Sprintf("file is %d bytes, larger than the %d allowed", len(data), MaxRecipeBytes)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &FieldError{Reason: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, &FieldError{Reason: "want a mapping with recipe, version, site and steps"}
	}

	var p problems
	for _, msg := range unknownFields(root, reflect.TypeFor[Recipe](), "", map[string]bool{"steps": true}) {
		p.add("", "", "%s", msg)
	}
	var r Recipe
	if err := root.Decode(&r); err != nil {
		addDecodeErrors(&p, "", err)
	}

	var stepsNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "steps" {
			stepsNode = root.Content[i+1]
		}
	}
	switch {
	case stepsNode == nil:
		p.add("", "steps", "missing: list the steps of the flow")
	case stepsNode.Kind != yaml.SequenceNode || len(stepsNode.Content) == 0:
		p.add("", "steps", "must be a list of at least one step (line %d)", stepsNode.Line)
	default:
		for i, n := range stepsNode.Content {
			step, ok := decodeStep(&p, i+1, n)
			if ok {
				r.Steps = append(r.Steps, step)
			}
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// decodeStep decodes step number index from n, reporting problems under the
// step's label.
func decodeStep(p *problems, index int, n *yaml.Node) (Step, bool) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	label := fmt.Sprintf("step %d", index)
	if n.Kind != yaml.MappingNode {
		p.add(label, "", "want a mapping with one of %s (line %d)", listOr(stepKinds()), n.Line)
		return Step{}, false
	}
	var kinds []string
	id := ""
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if slices.Contains(stepKinds(), k) {
			kinds = append(kinds, k)
		}
		if k == "id" {
			id = n.Content[i+1].Value
		}
	}
	if len(kinds) != 1 {
		found := "none"
		if len(kinds) > 1 {
			found = strings.Join(kinds, " and ")
		}
		p.add(label, "", "must have exactly one of %s; found %s (line %d)", listOr(stepKinds()), found, n.Line)
		return Step{}, false
	}
	step := Step{kind: kinds[0], index: index, ID: id}
	label = step.Label()
	before := len(*p)
	for _, msg := range unknownFields(n, reflect.TypeFor[Step](), "", nil) {
		p.add(label, "", "%s", msg)
	}
	if err := n.Decode(&step); err != nil {
		addDecodeErrors(p, label, err)
	}
	step.kind, step.index = kinds[0], index
	step.ensureAction()
	return step, len(*p) == before
}

// ensureAction allocates the step's action when its YAML value was empty
// ("follow:"), so an action with all defaults needs no braces.
func (s *Step) ensureAction() {
	switch s.kind {
	case KindGet:
		s.Get = cmpNew(s.Get)
	case KindSubmit:
		s.Submit = cmpNew(s.Submit)
	case KindPick:
		s.Pick = cmpNew(s.Pick)
	case KindPostback:
		s.Postback = cmpNew(s.Postback)
	case KindFollow:
		s.Follow = cmpNew(s.Follow)
	case KindWait:
		s.Wait = cmpNew(s.Wait)
	case KindDownload:
		s.Download = cmpNew(s.Download)
	case KindValidate:
		s.Validate = cmpNew(s.Validate)
	}
}

func cmpNew[T any](v *T) *T {
	if v == nil {
		return new(T)
	}
	return v
}

// addDecodeErrors turns a yaml decode error into problems, one per line the
// decoder complained about.
func addDecodeErrors(p *problems, label string, err error) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, e := range te.Errors {
			p.add(label, "", "%s", e)
		}
		return
	}
	p.add(label, "", "%s", strings.TrimPrefix(err.Error(), "yaml: "))
}
