package sns

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// value is one value a condition is tested against: a string, number,
// boolean or null (jString, jNumber, jBool, jNull). A key with several
// values (a String.Array attribute, an array in the body) matches a
// condition when one of them does, except for anything-but and exists,
// which look at all of them.
type value struct {
	kind jkind
	str  string
	num  float64
	b    bool
}

// condition is one compiled match condition of a policy key. vals holds
// the key's values in the message; it is empty when the key is absent.
type condition interface {
	matches(vals []value) bool
}

// anyValue reports whether one of vals satisfies ok.
func anyValue(vals []value, ok func(value) bool) bool {
	for _, v := range vals {
		if ok(v) {
			return true
		}
	}
	return false
}

type exactString struct{ s string }

func (c exactString) matches(vals []value) bool {
	return anyValue(vals, func(v value) bool { return v.kind == jString && v.str == c.s })
}

type exactNumber struct{ n float64 }

func (c exactNumber) matches(vals []value) bool {
	return anyValue(vals, func(v value) bool { return v.kind == jNumber && v.num == c.n })
}

type exactBool struct{ b bool }

func (c exactBool) matches(vals []value) bool {
	return anyValue(vals, func(v value) bool { return v.kind == jBool && v.b == c.b })
}

type exactNull struct{}

func (exactNull) matches(vals []value) bool {
	return anyValue(vals, func(v value) bool { return v.kind == jNull })
}

type prefixMatch struct{ p string }

func (c prefixMatch) matches(vals []value) bool {
	return anyValue(vals, func(v value) bool { return v.kind == jString && strings.HasPrefix(v.str, c.p) })
}

type suffixMatch struct{ s string }

func (c suffixMatch) matches(vals []value) bool {
	return anyValue(vals, func(v value) bool { return v.kind == jString && strings.HasSuffix(v.str, c.s) })
}

type ignoreCaseMatch struct{ s string }

func (c ignoreCaseMatch) matches(vals []value) bool {
	return anyValue(vals, func(v value) bool { return v.kind == jString && strings.EqualFold(v.str, c.s) })
}

// existsMatch tests presence: the key has at least one value.
type existsMatch struct{ want bool }

func (c existsMatch) matches(vals []value) bool { return (len(vals) > 0) == c.want }

// numericMatch holds numbers within [lower, upper], either end open; "="
// is the closed range [n, n] and a one-sided bound has an infinite other
// end.
type numericMatch struct {
	lower, upper         float64
	lowerOpen, upperOpen bool
}

func (c numericMatch) matches(vals []value) bool {
	return anyValue(vals, func(v value) bool {
		if v.kind != jNumber {
			return false
		}
		above := v.num > c.lower || (!c.lowerOpen && v.num == c.lower)
		below := v.num < c.upper || (!c.upperOpen && v.num == c.upper)
		return above && below
	})
}

// cidrMatch holds IP address strings within a prefix.
type cidrMatch struct{ p netip.Prefix }

func (c cidrMatch) matches(vals []value) bool {
	return anyValue(vals, func(v value) bool {
		if v.kind != jString {
			return false
		}
		ip, err := netip.ParseAddr(v.str)
		return err == nil && c.p.Contains(ip.Unmap())
	})
}

// anythingBut matches a present key none of whose values is excluded (a
// listed string or number, or a string with the prefix), provided one of
// them is of the kind the condition tests: anything-but numbers only passes
// numbers and anything-but prefix only strings.
type anythingBut struct {
	strs   []string
	nums   []float64
	prefix *string
}

func (c anythingBut) excludes(v value) bool {
	switch {
	case c.prefix != nil:
		return v.kind == jString && strings.HasPrefix(v.str, *c.prefix)
	case v.kind == jString:
		for _, s := range c.strs {
			if v.str == s {
				return true
			}
		}
	case v.kind == jNumber:
		for _, n := range c.nums {
			if v.num == n {
				return true
			}
		}
	}
	return false
}

func (c anythingBut) passes(v value) bool {
	switch {
	case c.prefix != nil:
		return v.kind == jString
	case len(c.strs) == 0:
		return v.kind == jNumber
	}
	return true
}

func (c anythingBut) matches(vals []value) bool {
	passed := false
	for _, v := range vals {
		if c.excludes(v) {
			return false
		}
		passed = passed || c.passes(v)
	}
	return passed
}

// filterView is what a policy object is evaluated against: a message's
// attributes, or one JSON object of its body.
type filterView interface {
	// values returns the key's scalar values; none when it is absent.
	values(key string) []value
	// objects returns the JSON objects under the key, for nested policies.
	objects(key string) []filterView
}

// matches reports whether every field and every $or group of n holds.
func (n *policyNode) matches(v filterView) bool {
	for _, f := range n.fields {
		if !f.matches(v) {
			return false
		}
	}
	for _, branches := range n.ors {
		ok := false
		for _, b := range branches {
			if b.matches(v) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (f *fieldRule) matches(v filterView) bool {
	if f.nested != nil {
		objs := v.objects(f.key)
		if len(objs) == 0 {
			// Nothing to descend into: every nested key is absent.
			objs = []filterView{bodyView(nil)}
		}
		for _, o := range objs {
			if f.nested.matches(o) {
				return true
			}
		}
		return false
	}
	vals := v.values(f.key)
	for _, c := range f.conds {
		if c.matches(vals) {
			return true
		}
	}
	return false
}

// attributeView holds the filterable values of message attributes by name.
type attributeView map[string][]value

func (a attributeView) values(key string) []value { return a[key] }

func (attributeView) objects(string) []filterView { return nil }

// newAttributeView reads message attributes as filter policies see them:
// String (and custom String.x) as a string, Number as a number, String.Array
// as its JSON elements; Binary attributes are not filterable and count as
// absent.
func newAttributeView(attrs []messageAttribute) attributeView {
	view := attributeView{}
	for _, a := range attrs {
		base, _, _ := strings.Cut(a.DataType, ".")
		switch {
		case a.DataType == dataTypeStringArray:
			var elems []any
			if decodeJSONNumbers(a.StringValue, &elems) != nil {
				continue
			}
			var vals []value
			for _, e := range elems {
				if v, ok := scalarValue(e); ok {
					vals = append(vals, v)
				}
			}
			view[a.Name] = vals
		case base == "String":
			view[a.Name] = []value{{kind: jString, str: a.StringValue}}
		case base == "Number":
			if f, err := strconv.ParseFloat(strings.TrimSpace(a.StringValue), 64); err == nil {
				view[a.Name] = []value{{kind: jNumber, num: f}}
			}
		}
	}
	return view
}

// bodyView is one JSON object of a message body.
type bodyView map[string]any

// values returns the scalars under key; arrays (and arrays of arrays) are
// flattened, objects skipped.
func (b bodyView) values(key string) []value {
	raw, ok := b[key]
	if !ok {
		return nil
	}
	var out []value
	var walk func(x any)
	walk = func(x any) {
		if arr, ok := x.([]any); ok {
			for _, e := range arr {
				walk(e)
			}
			return
		}
		if v, ok := scalarValue(x); ok {
			out = append(out, v)
		}
	}
	walk(raw)
	return out
}

// objects returns the objects under key, looking into arrays.
func (b bodyView) objects(key string) []filterView {
	raw, ok := b[key]
	if !ok {
		return nil
	}
	var out []filterView
	var walk func(x any)
	walk = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			out = append(out, bodyView(t))
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(raw)
	return out
}

// scalarValue converts a decoded JSON scalar; ok is false for arrays and
// objects.
func scalarValue(x any) (value, bool) {
	switch t := x.(type) {
	case nil:
		return value{kind: jNull}, true
	case bool:
		return value{kind: jBool, b: t}, true
	case string:
		return value{kind: jString, str: t}, true
	case json.Number:
		f, err := strconv.ParseFloat(t.String(), 64)
		if err != nil && !math.IsInf(f, 0) {
			return value{}, false
		}
		return value{kind: jNumber, num: f}, true
	}
	return value{}, false
}

// decodeJSONNumbers decodes s into v keeping numbers as json.Number.
func decodeJSONNumbers(s string, v any) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// filterMessage is one published message as its subscriptions' policies
// see it. The body is parsed on first use, once for all subscriptions.
type filterMessage struct {
	attrs attributeView
	body  string

	parsed  bool
	bodyObj map[string]any
}

func newFilterMessage(body string, attrs []messageAttribute) *filterMessage {
	return &filterMessage{attrs: newAttributeView(attrs), body: body}
}

// matches reports whether a subscription with policy p (nil: none)
// receives the message. In MessageBody scope a body that is not a JSON
// object matches only a policy without conditions.
func (m *filterMessage) matches(p *filterPolicy) bool {
	if p == nil || (len(p.root.fields) == 0 && len(p.root.ors) == 0) {
		return true
	}
	if p.scope == scopeAttributes {
		return p.root.matches(m.attrs)
	}
	if !m.parsed {
		m.parsed = true
		var obj map[string]any
		if decodeJSONNumbers(m.body, &obj) == nil {
			m.bodyObj = obj
		}
	}
	if m.bodyObj == nil {
		return false
	}
	return p.root.matches(bodyView(m.bodyObj))
}
