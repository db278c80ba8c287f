package sns

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// A filter policy (reference §3.6) decides which published messages a
// subscription receives. It is parsed and validated once, when it is set,
// into a tree of policyNodes whose leaves are conditions; filtermatch.go
// evaluates the tree against a message's attributes or body.
//
// Top-level keys are ANDed, the conditions listed under a key are ORed, and
// "$or" ORs whole sub-policies. In MessageBody scope an object under a key
// is a nested policy applied to the body's object at that key.

// filterScope says what a policy is evaluated on.
type filterScope uint8

const (
	scopeAttributes filterScope = iota // MessageAttributes (the default)
	scopeBody                          // MessageBody
)

// Subscription attribute values of FilterPolicyScope.
const (
	scopeNameAttributes = "MessageAttributes"
	scopeNameBody       = "MessageBody"
)

// Filter policy limits.
const (
	maxFilterKeys         = 5
	maxFilterCombinations = 150
	maxFilterPolicyBytes  = 256 * 1024
	maxFilterNumber       = 1e9 // numeric values lie in [-1e9, 1e9]
)

// filterPolicy is a parsed, valid filter policy.
type filterPolicy struct {
	scope filterScope
	root  *policyNode
}

// policyNode is one policy object: every field and every $or group must
// match.
type policyNode struct {
	fields []fieldRule
	ors    [][]*policyNode // each "$or": one of its branches must match
}

// fieldRule is one key of a policy object: either a list of conditions, one
// of which must hold for the key's values, or (body scope) a nested policy.
type fieldRule struct {
	key    string
	nested *policyNode
	conds  []condition
	raw    []jvalue // the listed conditions until they are compiled
}

// policyError is a filter policy that is not valid. reason is worded as
// AWS words it after the operation's prefix ("Invalid parameter: " or
// "Invalid parameter: Attributes Reason: ").
type policyError struct{ reason string }

func (e *policyError) Error() string { return e.reason }

// policyErrorf reports a problem in the policy's content.
func policyErrorf(format string, args ...any) error {
	return &policyError{reason: "FilterPolicy: " + fmt.Sprintf(format, args...)}
}

// errNestedAttributes is AWS's wording for a nested policy in
// MessageAttributes scope; unlike the others it carries no "FilterPolicy:".
var errNestedAttributes = &policyError{reason: "Filter policy scope MessageAttributes does not support nested filter policy"}

// parseFilterScope reads a FilterPolicyScope value.
func parseFilterScope(v string) (filterScope, bool) {
	switch v {
	case scopeNameAttributes:
		return scopeAttributes, true
	case scopeNameBody:
		return scopeBody, true
	}
	return scopeAttributes, false
}

// parseFilterPolicy parses and validates a policy for scope. The error is a
// *policyError. Checks run in AWS's order: key count, structure, complexity,
// then each condition.
func parseFilterPolicy(raw string, scope filterScope) (*filterPolicy, error) {
	if len(raw) > maxFilterPolicyBytes {
		return nil, policyErrorf("Filter policy can not be longer than %d bytes", maxFilterPolicyBytes)
	}
	doc, err := parseOrderedJSON(raw)
	if err != nil {
		if errors.Is(err, errTooDeep) {
			return nil, policyErrorf("Filter policy is nested too deeply")
		}
		return nil, policyErrorf("failed to parse JSON. %v", err)
	}
	if doc.kind != jObject {
		return nil, policyErrorf("Filter policy must be a JSON object")
	}
	if keyCount(doc) > maxFilterKeys {
		return nil, policyErrorf("Filter policy can not have more than %d keys", maxFilterKeys)
	}
	root, err := buildNode(doc, scope, 1)
	if err != nil {
		return nil, err
	}
	if combinations(root, 1) > maxFilterCombinations {
		return nil, policyErrorf("Filter policy is too complex")
	}
	if err := compileNode(root); err != nil {
		return nil, err
	}
	return &filterPolicy{scope: scope, root: root}, nil
}

// keyCount counts the keys a message is filtered on: the keys of the
// top-level object (a nested policy counts once, by its parent key) plus
// the largest count among the branches of each $or.
func keyCount(obj jvalue) int {
	n := 0
	for _, m := range obj.obj {
		if m.key != "$or" {
			n++
			continue
		}
		most := 0
		for _, b := range m.val.arr {
			if b.kind == jObject {
				most = max(most, keyCount(b))
			}
		}
		n += most
	}
	return n
}

// buildNode checks the shape of a policy object (every key holds an array
// of conditions or, in body scope, a nested object; "$or" holds objects)
// and builds its node; conditions are compiled later.
func buildNode(obj jvalue, scope filterScope, depth int) (*policyNode, error) {
	n := &policyNode{}
	for _, m := range obj.obj {
		switch {
		case m.key == "$or":
			if m.val.kind != jArray {
				return nil, policyErrorf(`"$or" must be an array of objects`)
			}
			if len(m.val.arr) < 2 {
				return nil, policyErrorf("There must have at least 2 Objects in $or relationship.")
			}
			var branches []*policyNode
			for _, b := range m.val.arr {
				if b.kind != jObject {
					return nil, policyErrorf(`"$or" must be an array of objects`)
				}
				bn, err := buildNode(b, scope, depth)
				if err != nil {
					return nil, err
				}
				branches = append(branches, bn)
			}
			n.ors = append(n.ors, branches)
		case m.val.kind == jArray:
			if len(m.val.arr) == 0 {
				return nil, policyErrorf("Empty arrays are not allowed")
			}
			n.fields = append(n.fields, fieldRule{key: m.key, raw: m.val.arr})
		case m.val.kind == jObject:
			if scope == scopeAttributes {
				return nil, errNestedAttributes
			}
			nested, err := buildNode(m.val, scope, depth+1)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, fieldRule{key: m.key, nested: nested})
		default:
			return nil, policyErrorf("%q must be an object or an array", m.key)
		}
	}
	return n, nil
}

// combinations is AWS's complexity measure: the product of the lengths of
// the condition lists, each weighted by how deep its key is nested, where
// the branches of an $or add up.
func combinations(n *policyNode, depth int) int {
	const ceiling = math.MaxInt32
	total := 1
	mul := func(k int) { total = min(total*max(k, 1), ceiling) }
	for _, f := range n.fields {
		if f.nested != nil {
			mul(combinations(f.nested, depth+1))
		} else {
			mul(min(len(f.raw)*depth, ceiling))
		}
	}
	for _, branches := range n.ors {
		sum := 0
		for _, b := range branches {
			sum = min(sum+combinations(b, depth), ceiling)
		}
		mul(sum)
	}
	return total
}

// compileNode turns every field's listed conditions into conditions.
func compileNode(n *policyNode) error {
	for i := range n.fields {
		f := &n.fields[i]
		if f.nested != nil {
			if err := compileNode(f.nested); err != nil {
				return err
			}
			continue
		}
		for _, r := range f.raw {
			c, err := compileCondition(r)
			if err != nil {
				return err
			}
			f.conds = append(f.conds, c)
		}
		f.raw = nil
	}
	for _, branches := range n.ors {
		for _, b := range branches {
			if err := compileNode(b); err != nil {
				return err
			}
		}
	}
	return nil
}

// compileCondition compiles one listed condition: a literal or a
// one-key match expression.
func compileCondition(v jvalue) (condition, error) {
	switch v.kind {
	case jString:
		return exactString{v.str}, nil
	case jNumber:
		n, err := policyNumber(v)
		if err != nil {
			return nil, err
		}
		return exactNumber{n}, nil
	case jBool:
		return exactBool{v.b}, nil
	case jNull:
		return exactNull{}, nil
	case jArray:
		return nil, policyErrorf("Match value must be String, number, true, false, or null")
	}
	if len(v.obj) == 0 {
		return nil, policyErrorf("Empty objects are not allowed")
	}
	if len(v.obj) > 1 {
		return nil, policyErrorf("Only one key allowed in match expression")
	}
	op, arg := v.obj[0].key, v.obj[0].val
	switch op {
	case "prefix":
		s, err := stringArg(op, arg)
		return prefixMatch{s}, err
	case "suffix":
		s, err := stringArg(op, arg)
		return suffixMatch{s}, err
	case "equals-ignore-case":
		s, err := stringArg(op, arg)
		return ignoreCaseMatch{s}, err
	case "exists":
		if arg.kind != jBool {
			return nil, policyErrorf("exists match pattern must be either true or false.")
		}
		return existsMatch{arg.b}, nil
	case "anything-but":
		return compileAnythingBut(arg)
	case "numeric":
		return compileNumeric(arg)
	case "cidr":
		return compileCIDR(arg)
	}
	return nil, policyErrorf("Unrecognized match type %s", op)
}

func stringArg(op string, arg jvalue) (string, error) {
	if arg.kind != jString {
		return "", policyErrorf("%s match pattern must be a string", op)
	}
	return arg.str, nil
}

// policyNumber reads a number of a policy, which must lie in [-1e9, 1e9].
func policyNumber(v jvalue) (float64, error) {
	f, err := strconv.ParseFloat(v.num.String(), 64)
	if err != nil || math.IsNaN(f) || f < -maxFilterNumber || f > maxFilterNumber {
		return 0, policyErrorf("Value must be between -1.0E9 and 1.0E9, inclusive")
	}
	return f, nil
}

// compileAnythingBut reads {"anything-but": X} where X is a string, a
// number, a non-empty list of those, or {"prefix": "..."}.
func compileAnythingBut(arg jvalue) (condition, error) {
	var c anythingBut
	add := func(v jvalue) error {
		switch v.kind {
		case jString:
			c.strs = append(c.strs, v.str)
		case jNumber:
			n, err := policyNumber(v)
			if err != nil {
				return err
			}
			c.nums = append(c.nums, n)
		default:
			return policyErrorf("Inside anything but list, start|null|boolean is not supported.")
		}
		return nil
	}
	switch arg.kind {
	case jString, jNumber:
		if err := add(arg); err != nil {
			return nil, err
		}
	case jArray:
		if len(arg.arr) == 0 {
			return nil, policyErrorf("Empty arrays are not allowed")
		}
		for _, e := range arg.arr {
			if err := add(e); err != nil {
				return nil, err
			}
		}
	case jObject:
		if len(arg.obj) != 1 {
			return nil, policyErrorf("Only one key allowed in match expression")
		}
		op, val := arg.obj[0].key, arg.obj[0].val
		if op != "prefix" {
			return nil, policyErrorf("Unsupported anything-but pattern: %s", op)
		}
		s, err := stringArg(op, val)
		if err != nil {
			return nil, err
		}
		c.prefix = &s
	default:
		return nil, policyErrorf("Value of anything-but must be an array or single string/number value.")
	}
	return c, nil
}

// compileNumeric reads {"numeric": [...]}: either ["=", n], or one bound
// (">", ">=", "<", "<="), or a lower bound (">"/">=") followed by an upper
// bound ("<"/"<="), bottom below top.
func compileNumeric(arg jvalue) (condition, error) {
	if arg.kind != jArray {
		return nil, policyErrorf("Value of numeric must be an array.")
	}
	a := arg.arr
	if len(a) == 0 || a[0].kind != jString {
		text := "]"
		if len(a) > 0 {
			text = a[0].text()
		}
		return nil, policyErrorf("Invalid member in numeric match: %s", text)
	}
	value := func(i int, op string) (float64, error) {
		if i >= len(a) || a[i].kind != jNumber {
			return 0, policyErrorf("Value of %s must be numeric", op)
		}
		return policyNumber(a[i])
	}
	op := a[0].str
	switch op {
	case "=":
		n, err := value(1, "equals")
		if err != nil {
			return nil, err
		}
		if len(a) > 2 {
			return nil, policyErrorf("Too many elements in numeric expression")
		}
		return numericMatch{lower: n, upper: n}, nil
	case "<", "<=":
		n, err := value(1, op)
		if err != nil {
			return nil, err
		}
		if len(a) > 2 {
			return nil, policyErrorf("Too many elements in numeric expression")
		}
		return numericMatch{lower: math.Inf(-1), upper: n, upperOpen: op == "<"}, nil
	case ">", ">=":
		bottom, err := value(1, op)
		if err != nil {
			return nil, err
		}
		m := numericMatch{lower: bottom, lowerOpen: op == ">", upper: math.Inf(1)}
		if len(a) == 2 {
			return m, nil
		}
		if a[2].kind != jString {
			return nil, policyErrorf("Bad value in numeric range: %s", a[2].text())
		}
		topOp := a[2].str
		if topOp != "<" && topOp != "<=" {
			return nil, policyErrorf("Bad numeric range operator: %s", topOp)
		}
		top, err := value(3, topOp)
		if err != nil {
			return nil, err
		}
		if len(a) > 4 {
			return nil, policyErrorf("Too many terms in numeric range expression")
		}
		if bottom >= top {
			return nil, policyErrorf("Bottom must be less than top")
		}
		m.upper, m.upperOpen = top, topOp == "<"
		return m, nil
	}
	return nil, policyErrorf("Unrecognized numeric range operator: %s", op)
}

// compileCIDR reads {"cidr": "10.0.0.0/24"} (IPv4 or IPv6).
func compileCIDR(arg jvalue) (condition, error) {
	s, err := stringArg("cidr", arg)
	if err != nil {
		return nil, err
	}
	addr, bits, ok := strings.Cut(s, "/")
	if !ok || strings.Contains(bits, "/") {
		return nil, policyErrorf("Malformed CIDR, one '/' required")
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Zone() != "" {
		return nil, policyErrorf("Nonstandard IP address: %s", addr)
	}
	n, err := strconv.Atoi(bits)
	if err != nil || n < 0 || n > ip.BitLen() {
		return nil, policyErrorf("Malformed CIDR, mask bits must be an integer between 0 and %d", ip.BitLen())
	}
	p, err := ip.Prefix(n)
	if err != nil {
		return nil, policyErrorf("Malformed CIDR %s: %v", s, err)
	}
	return cidrMatch{p}, nil
}
