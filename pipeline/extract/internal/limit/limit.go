// Package limit defines the error every part of the extraction engine
// returns when a document exceeds one of the limits that protect the
// worker against hostile files.
package limit

import "fmt"

// Error reports that the limit Name, set to Max, was exceeded while
// reading What.
type Error struct {
	// Name is the limit's field name in extract.Limits, e.g. "MaxStreamBytes".
	Name string
	// Max is the limit's value.
	Max int64
	// What says what exceeded it.
	What string
}

// Error returns a message naming the limit.
func (e *Error) Error() string {
	return fmt.Sprintf("limit %s (%d) exceeded: %s", e.Name, e.Max, e.What)
}

// Is makes errors.Is match any *Error when the target has an empty Name,
// and an *Error of the same Name otherwise.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Name == "" || t.Name == e.Name
}
