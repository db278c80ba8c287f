package messages

import (
	"crypto/sha256"
	"fmt"
)

// ChildID returns the id of the child job a parent publishes for a stage.
// It is a valid ULID with the parent's timestamp and 80 bits taken from
// SHA-256 over the parent id and the stage, so a parent that is retried
// publishes children with the same ids, and their idempotency keys (which
// default to the id) swallow the copies.
//
// stage names the child among the parent's children: usually the child's job
// type, with a suffix when a parent publishes several children of one type
// ("notify.email#2"). It must not be empty.
func ChildID(parentID, stage string) (string, error) {
	p, err := parseULID(parentID)
	if err != nil {
		return "", &ValidationError{Field: "parent_id", Reason: err.Error()}
	}
	if stage == "" {
		return "", &ValidationError{Field: "stage", Reason: "required"}
	}
	// The NUL separator keeps ("A", "BC") and ("AB", "C") apart; a ULID has
	// no NUL.
	sum := sha256.Sum256([]byte("quarry child id\x00" + parentID + "\x00" + stage))
	var c ulid
	c.setMS(p.ms())
	copy(c[6:], sum[:10])
	return c.String(), nil
}

// mustBeULID returns a ValidationError for field when s is not a ULID.
func mustBeULID(field, s string) error {
	if s == "" {
		return &ValidationError{Field: field, Reason: "required"}
	}
	if _, err := parseULID(s); err != nil {
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%q is %v", clip(s), err)}
	}
	return nil
}
