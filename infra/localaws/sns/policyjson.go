package sns

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Filter policies are read into jvalue rather than map[string]any so that
// keys keep their document order: validation then reports the first problem
// in the policy, as AWS does, and the same policy always gives the same
// error.

// jkind is the JSON type of a jvalue.
type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

// jvalue is a JSON value with object members in document order.
type jvalue struct {
	kind jkind
	b    bool
	num  json.Number
	str  string
	arr  []jvalue
	obj  []jmember
}

// jmember is one object member.
type jmember struct {
	key string
	val jvalue
}

// maxPolicyDepth bounds nesting; real policies are a few levels deep.
const maxPolicyDepth = 64

var errTooDeep = errors.New("nested too deeply")

// parseOrderedJSON reads exactly one JSON value.
func parseOrderedJSON(data string) (jvalue, error) {
	dec := json.NewDecoder(strings.NewReader(data))
	dec.UseNumber()
	v, err := readJValue(dec, 0)
	if err != nil {
		return jvalue{}, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return jvalue{}, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

func readJValue(dec *json.Decoder, depth int) (jvalue, error) {
	if depth > maxPolicyDepth {
		return jvalue{}, errTooDeep
	}
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return jvalue{}, io.ErrUnexpectedEOF
	}
	if err != nil {
		return jvalue{}, err
	}
	switch t := tok.(type) {
	case nil:
		return jvalue{kind: jNull}, nil
	case bool:
		return jvalue{kind: jBool, b: t}, nil
	case json.Number:
		return jvalue{kind: jNumber, num: t}, nil
	case string:
		return jvalue{kind: jString, str: t}, nil
	case json.Delim:
		switch t {
		case '[':
			v := jvalue{kind: jArray, arr: []jvalue{}}
			for dec.More() {
				e, err := readJValue(dec, depth+1)
				if err != nil {
					return jvalue{}, err
				}
				v.arr = append(v.arr, e)
			}
			if _, err := dec.Token(); err != nil {
				return jvalue{}, err
			}
			return v, nil
		case '{':
			v := jvalue{kind: jObject, obj: []jmember{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return jvalue{}, err
				}
				key, ok := kt.(string)
				if !ok {
					return jvalue{}, fmt.Errorf("object key %v is not a string", kt)
				}
				e, err := readJValue(dec, depth+1)
				if err != nil {
					return jvalue{}, err
				}
				v.obj = append(v.obj, jmember{key: key, val: e})
			}
			if _, err := dec.Token(); err != nil {
				return jvalue{}, err
			}
			return v, nil
		}
	}
	return jvalue{}, fmt.Errorf("unexpected token %v", tok)
}

// text renders a scalar as it appeared, for error messages; containers
// render as their opening bracket.
func (v jvalue) text() string {
	switch v.kind {
	case jNull:
		return "null"
	case jBool:
		if v.b {
			return "true"
		}
		return "false"
	case jNumber:
		return v.num.String()
	case jString:
		return v.str
	case jArray:
		return "["
	default:
		return "{"
	}
}
