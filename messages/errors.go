package messages

import (
	"errors"
	"unicode/utf8"
)

// ValidationError reports a message that is malformed or invalid: a body
// that is not JSON, an SNS envelope without a Message, a job with an unknown
// type, a payload field out of range. Field names the place as a JSON path
// ("job.type", "job.payload.recipients[1]", "sns.Message", "body"); Reason
// says what is wrong. Err, when set, is the underlying error (a JSON syntax
// error, say).
//
// A ValidationError is permanent: [IsPermanent] reports true for it, because
// a message that is wrong now will be wrong on every retry.
type ValidationError struct {
	Field  string
	Reason string
	Err    error
}

// Error returns "field: reason".
func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// Unwrap returns the underlying error, if any.
func (e *ValidationError) Unwrap() error { return e.Err }

func (e *ValidationError) outcome() outcome { return outcome{permanent: true} }

// within prefixes the field of a ValidationError with a parent path, so a
// payload's "payload.template" becomes the job's "job.payload.template".
// Other errors are returned unchanged; a wrapped ValidationError is
// returned re-pathed without its wrapper.
func within(parent string, err error) error {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	c := *ve
	switch {
	case c.Field == "":
		c.Field = parent
	case c.Field[0] == '[':
		c.Field = parent + c.Field
	default:
		c.Field = parent + "." + c.Field
	}
	return &c
}

// clip shortens s for an error message so a huge bad value does not become a
// huge DLQ attribute, and keeps the result valid UTF-8.
func clip(s string) string {
	const maxLen = 64
	if len(s) <= maxLen {
		return s
	}
	cut := maxLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
