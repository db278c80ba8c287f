package messages

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"
)

// mustBeObject checks that data holds a JSON object (by its first byte; the
// decoder checks the rest), so `null`, arrays and scalars are refused with a
// clear reason instead of decoding to a zero value.
func mustBeObject(field string, data []byte) error {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return &ValidationError{Field: field, Reason: "empty, want a JSON object"}
	}
	if trimmed[0] == '{' {
		return nil
	}
	if !json.Valid(trimmed) {
		var v any
		err := json.Unmarshal(trimmed, &v)
		return jsonError(field, err)
	}
	return &ValidationError{Field: field, Reason: fmt.Sprintf("got JSON %s, want an object", jsonKind(trimmed[0]))}
}

func jsonKind(first byte) string {
	switch first {
	case '[':
		return "array"
	case '"':
		return "string"
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	default:
		return "number"
	}
}

// jsonError turns an encoding/json error into a [*ValidationError] whose
// field is a JSON path under prefix and whose reason speaks JSON rather than
// Go types.
func jsonError(prefix string, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &ValidationError{Field: prefix, Reason: fmt.Sprintf("not valid JSON: %s (at byte %d)", syn.Error(), syn.Offset), Err: err}
	case errors.As(err, &typ):
		field := prefix
		if typ.Field != "" {
			field = prefix + "." + typ.Field
		}
		return &ValidationError{Field: field, Reason: fmt.Sprintf("got JSON %s, want %s", typ.Value, goKindInJSON(typ.Type)), Err: err}
	default:
		return &ValidationError{Field: prefix, Reason: err.Error(), Err: err}
	}
}

// goKindInJSON names the JSON shape a Go type decodes from.
func goKindInJSON(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	if t == reflect.TypeFor[time.Time]() {
		return "an RFC 3339 time string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return goKindInJSON(t.Elem())
	default:
		return "another type"
	}
}

// parseTime parses an RFC 3339 timestamp (as SNS, SES and jobs write them)
// into UTC; an empty string is the zero time. Years outside 1970 to 9999 are
// refused: no real message has them, and encoding/json cannot write years
// below 0 back out.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &ValidationError{Field: field, Reason: fmt.Sprintf("%q is not an RFC 3339 time", clip(s)), Err: err}
	}
	t = t.UTC()
	if y := t.Year(); y < 1970 || y > 9999 {
		return time.Time{}, &ValidationError{Field: field, Reason: fmt.Sprintf("%q is outside the years 1970 to 9999", clip(s))}
	}
	return t, nil
}
