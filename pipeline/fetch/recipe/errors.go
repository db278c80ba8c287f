package recipe

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError is one problem found in a recipe, naming the step (if any) and
// the field at fault: `step 3 (pick): rule: must match exactly one of column,
// text, index`.
type FieldError struct {
	// Step is the step's label (see [Step.Label]), empty for recipe-level
	// fields.
	Step string
	// Field is the dotted field path inside the step or recipe, e.g. "rule"
	// or "site.base_url"; empty when the problem is the whole step.
	Field string
	// Reason says what is wrong and what is expected.
	Reason string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("recipe: ")
	if e.Step != "" {
		b.WriteString(e.Step)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// problems collects FieldErrors so a recipe author sees every problem at
// once, not one per edit.
type problems []error

func (p *problems) add(step, field, format string, args ...any) {
	*p = append(*p, &FieldError{Step: step, Field: field, Reason: fmt.Sprintf(format, args...)})
}

// err returns the collected problems joined, or nil. Each one can be found
// with errors.As(err, **FieldError).
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.Join(p...)
}
