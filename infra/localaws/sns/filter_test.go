package sns

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestFilterPolicyValidation(t *testing.T) {
	t.Parallel()
	many := func(n int) string {
		vals := make([]string, n)
		for i := range vals {
			vals[i] = fmt.Sprint(i)
		}
		return strings.Join(vals, ",")
	}
	tests := []struct {
		name   string
		policy string
		scope  filterScope
		want   string // the error reason; "" when valid
	}{
		// Valid policies of every operator.
		{"empty policy", `{}`, scopeAttributes, ""},
		{"exact strings", `{"type":["a","b"]}`, scopeAttributes, ""},
		{"exact number", `{"n":[100, -1.5]}`, scopeAttributes, ""},
		{"literals", `{"k":[true,false,null]}`, scopeBody, ""},
		{"prefix", `{"k":[{"prefix":"pdf-"}]}`, scopeAttributes, ""},
		{"empty prefix", `{"k":[{"prefix":""}]}`, scopeAttributes, ""},
		{"suffix", `{"k":[{"suffix":".pdf"}]}`, scopeAttributes, ""},
		{"equals-ignore-case", `{"k":[{"equals-ignore-case":"PDF"}]}`, scopeAttributes, ""},
		{"anything-but list", `{"k":[{"anything-but":["a","b"]}]}`, scopeAttributes, ""},
		{"anything-but mixed list", `{"k":[{"anything-but":["a",1]}]}`, scopeAttributes, ""},
		{"anything-but single", `{"k":[{"anything-but":"a"}]}`, scopeAttributes, ""},
		{"anything-but number", `{"k":[{"anything-but":100}]}`, scopeAttributes, ""},
		{"anything-but prefix", `{"k":[{"anything-but":{"prefix":"tmp"}}]}`, scopeAttributes, ""},
		{"numeric equals", `{"k":[{"numeric":["=",100]}]}`, scopeAttributes, ""},
		{"numeric lower", `{"k":[{"numeric":[">",0]}]}`, scopeAttributes, ""},
		{"numeric upper", `{"k":[{"numeric":["<=",5]}]}`, scopeAttributes, ""},
		{"numeric range", `{"k":[{"numeric":[">=",0,"<",5]}]}`, scopeAttributes, ""},
		{"numeric limits", `{"k":[{"numeric":[">=",-1e9,"<=",1e9]}]}`, scopeAttributes, ""},
		{"exists true", `{"k":[{"exists":true}]}`, scopeAttributes, ""},
		{"exists false", `{"k":[{"exists":false}]}`, scopeAttributes, ""},
		{"cidr v4", `{"k":[{"cidr":"10.0.0.0/24"}]}`, scopeAttributes, ""},
		{"cidr v6", `{"k":[{"cidr":"2001:db8::/32"}]}`, scopeAttributes, ""},
		{"cidr host bits set", `{"k":[{"cidr":"10.0.0.7/24"}]}`, scopeAttributes, ""},
		{"or", `{"a":["x"],"$or":[{"b":["y"]},{"c":["z"]}]}`, scopeAttributes, ""},
		{"nested body", `{"a":{"b":{"c":["x"]}}}`, scopeBody, ""},
		{"nested or", `{"a":{"$or":[{"b":["x"]},{"c":["y"]}]}}`, scopeBody, ""},
		{"five keys", `{"a":[1],"b":[1],"c":[1],"d":[1],"e":[1]}`, scopeAttributes, ""},
		{"150 combinations", `{"a":[` + many(10) + `],"b":[` + many(15) + `]}`, scopeAttributes, ""},
		{"nested keys count once", `{"a":{"b":[1],"c":[1],"d":[1]},"e":[1],"f":[1],"g":[1],"h":[1]}`, scopeBody, ""},
		{"AWS nested example is 72", `{"a":{"b":{"c":[1,2,3,4]}},"d":{"e":[1,2,3]}}`, scopeBody, ""},

		// Document-level problems.
		{"not JSON", `{"a":`, scopeAttributes, "FilterPolicy: failed to parse JSON. unexpected EOF"},
		{"trailing data", `{} {}`, scopeAttributes, "FilterPolicy: failed to parse JSON. unexpected data after the JSON value"},
		{"not an object", `["a"]`, scopeAttributes, "FilterPolicy: Filter policy must be a JSON object"},
		{"string value", `{"a":"x"}`, scopeAttributes, `FilterPolicy: "a" must be an object or an array`},
		{"number value", `{"a":1}`, scopeBody, `FilterPolicy: "a" must be an object or an array`},
		{"empty array", `{"a":[]}`, scopeAttributes, "FilterPolicy: Empty arrays are not allowed"},
		{"nested in attribute scope", `{"a":{"b":["x"]}}`, scopeAttributes, "Filter policy scope MessageAttributes does not support nested filter policy"},
		{"six keys", `{"a":[1],"b":[1],"c":[1],"d":[1],"e":[1],"f":[1]}`, scopeAttributes, "FilterPolicy: Filter policy can not have more than 5 keys"},
		{"six keys through or", `{"a":[1],"b":[1],"c":[1],"d":[1],"$or":[{"e":[1]},{"f":[1],"g":[1]}]}`, scopeAttributes, "FilterPolicy: Filter policy can not have more than 5 keys"},
		{"too complex", `{"a":[` + many(11) + `],"b":[` + many(14) + `]}`, scopeAttributes, "FilterPolicy: Filter policy is too complex"},
		{"too complex through nesting", `{"a":{"b":{"c":[` + many(13) + `]}},"d":{"e":[1,2,3]}}`, scopeBody, "FilterPolicy: Filter policy is too complex"},
		{"too complex through or", `{"a":[` + many(10) + `],"$or":[{"b":[` + many(8) + `]},{"c":[` + many(8) + `]}]}`, scopeAttributes, "FilterPolicy: Filter policy is too complex"},
		{"too deep", strings.Repeat(`{"a":`, 70) + `[1]` + strings.Repeat(`}`, 70), scopeBody, "FilterPolicy: Filter policy is nested too deeply"},
		{"too long", `{"a":["` + strings.Repeat("x", maxFilterPolicyBytes) + `"]}`, scopeAttributes, "FilterPolicy: Filter policy can not be longer than 262144 bytes"},

		// $or.
		{"or with one branch", `{"$or":[{"a":["x"]}]}`, scopeAttributes, "FilterPolicy: There must have at least 2 Objects in $or relationship."},
		{"or not an array", `{"$or":{"a":["x"]}}`, scopeBody, `FilterPolicy: "$or" must be an array of objects`},
		{"or of scalars", `{"$or":[{"a":["x"]},1]}`, scopeAttributes, `FilterPolicy: "$or" must be an array of objects`},
		{"bad branch", `{"$or":[{"a":["x"]},{"b":[]}]}`, scopeAttributes, "FilterPolicy: Empty arrays are not allowed"},

		// Match expressions.
		{"unknown operator", `{"a":[{"wrong-operator":"x"}]}`, scopeAttributes, "FilterPolicy: Unrecognized match type wrong-operator"},
		{"two keys", `{"a":[{"prefix":"x","suffix":"y"}]}`, scopeAttributes, "FilterPolicy: Only one key allowed in match expression"},
		{"empty match object", `{"a":[{}]}`, scopeAttributes, "FilterPolicy: Empty objects are not allowed"},
		{"nested array", `{"a":[["x"]]}`, scopeAttributes, "FilterPolicy: Match value must be String, number, true, false, or null"},
		{"number out of range", `{"a":[1e10]}`, scopeAttributes, "FilterPolicy: Value must be between -1.0E9 and 1.0E9, inclusive"},
		{"prefix not a string", `{"a":[{"prefix":1}]}`, scopeAttributes, "FilterPolicy: prefix match pattern must be a string"},
		{"suffix not a string", `{"a":[{"suffix":["x"]}]}`, scopeAttributes, "FilterPolicy: suffix match pattern must be a string"},
		{"ignore-case not a string", `{"a":[{"equals-ignore-case":null}]}`, scopeAttributes, "FilterPolicy: equals-ignore-case match pattern must be a string"},
		{"exists not a boolean", `{"a":[{"exists":"yes"}]}`, scopeAttributes, "FilterPolicy: exists match pattern must be either true or false."},

		// anything-but.
		{"anything-but boolean", `{"a":[{"anything-but":true}]}`, scopeAttributes, "FilterPolicy: Value of anything-but must be an array or single string/number value."},
		{"anything-but null", `{"a":[{"anything-but":null}]}`, scopeAttributes, "FilterPolicy: Value of anything-but must be an array or single string/number value."},
		{"anything-but list of booleans", `{"a":[{"anything-but":[true]}]}`, scopeAttributes, "FilterPolicy: Inside anything but list, start|null|boolean is not supported."},
		{"anything-but empty list", `{"a":[{"anything-but":[]}]}`, scopeAttributes, "FilterPolicy: Empty arrays are not allowed"},
		{"anything-but suffix", `{"a":[{"anything-but":{"suffix":"x"}}]}`, scopeAttributes, "FilterPolicy: Unsupported anything-but pattern: suffix"},
		{"anything-but exists", `{"a":[{"anything-but":{"exists":true}}]}`, scopeAttributes, "FilterPolicy: Unsupported anything-but pattern: exists"},
		{"anything-but prefix number", `{"a":[{"anything-but":{"prefix":1}}]}`, scopeAttributes, "FilterPolicy: prefix match pattern must be a string"},
		{"anything-but two keys", `{"a":[{"anything-but":{"prefix":"a","suffix":"b"}}]}`, scopeAttributes, "FilterPolicy: Only one key allowed in match expression"},
		{"anything-but number out of range", `{"a":[{"anything-but":[2e9]}]}`, scopeAttributes, "FilterPolicy: Value must be between -1.0E9 and 1.0E9, inclusive"},

		// numeric.
		{"numeric not an array", `{"a":[{"numeric":">"}]}`, scopeAttributes, "FilterPolicy: Value of numeric must be an array."},
		{"numeric empty", `{"a":[{"numeric":[]}]}`, scopeAttributes, "FilterPolicy: Invalid member in numeric match: ]"},
		{"numeric no operator", `{"a":[{"numeric":[1]}]}`, scopeAttributes, "FilterPolicy: Invalid member in numeric match: 1"},
		{"numeric unknown operator", `{"a":[{"numeric":["!",1]}]}`, scopeAttributes, "FilterPolicy: Unrecognized numeric range operator: !"},
		{"numeric missing value", `{"a":[{"numeric":[">"]}]}`, scopeAttributes, "FilterPolicy: Value of > must be numeric"},
		{"numeric string value", `{"a":[{"numeric":[">","x"]}]}`, scopeAttributes, "FilterPolicy: Value of > must be numeric"},
		{"numeric equals string", `{"a":[{"numeric":["=","1"]}]}`, scopeAttributes, "FilterPolicy: Value of equals must be numeric"},
		{"numeric equals then more", `{"a":[{"numeric":["=",1,"<",5]}]}`, scopeAttributes, "FilterPolicy: Too many elements in numeric expression"},
		{"numeric upper first", `{"a":[{"numeric":["<",5,">",0]}]}`, scopeAttributes, "FilterPolicy: Too many elements in numeric expression"},
		{"numeric two lower bounds", `{"a":[{"numeric":[">",0,">",5]}]}`, scopeAttributes, "FilterPolicy: Bad numeric range operator: >"},
		{"numeric equals as upper", `{"a":[{"numeric":[">",0,"=",5]}]}`, scopeAttributes, "FilterPolicy: Bad numeric range operator: ="},
		{"numeric bound not operator", `{"a":[{"numeric":[">",0,5]}]}`, scopeAttributes, "FilterPolicy: Bad value in numeric range: 5"},
		{"numeric upper not numeric", `{"a":[{"numeric":[">",0,"<","x"]}]}`, scopeAttributes, "FilterPolicy: Value of < must be numeric"},
		{"numeric too many terms", `{"a":[{"numeric":[">",0,"<",5,6]}]}`, scopeAttributes, "FilterPolicy: Too many terms in numeric range expression"},
		{"numeric bottom above top", `{"a":[{"numeric":[">",5,"<",0]}]}`, scopeAttributes, "FilterPolicy: Bottom must be less than top"},
		{"numeric bottom equals top", `{"a":[{"numeric":[">=",5,"<=",5]}]}`, scopeAttributes, "FilterPolicy: Bottom must be less than top"},
		{"numeric out of range", `{"a":[{"numeric":["<",1e10]}]}`, scopeAttributes, "FilterPolicy: Value must be between -1.0E9 and 1.0E9, inclusive"},

		// cidr.
		{"cidr no slash", `{"a":[{"cidr":"10.0.0.0"}]}`, scopeAttributes, "FilterPolicy: Malformed CIDR, one '/' required"},
		{"cidr two slashes", `{"a":[{"cidr":"10.0.0.0/8/8"}]}`, scopeAttributes, "FilterPolicy: Malformed CIDR, one '/' required"},
		{"cidr bad address", `{"a":[{"cidr":"10.0.0.300/24"}]}`, scopeAttributes, "FilterPolicy: Nonstandard IP address: 10.0.0.300"},
		{"cidr bad v4 mask", `{"a":[{"cidr":"10.0.0.0/33"}]}`, scopeAttributes, "FilterPolicy: Malformed CIDR, mask bits must be an integer between 0 and 32"},
		{"cidr bad v6 mask", `{"a":[{"cidr":"::/129"}]}`, scopeAttributes, "FilterPolicy: Malformed CIDR, mask bits must be an integer between 0 and 128"},
		{"cidr not a string", `{"a":[{"cidr":10}]}`, scopeAttributes, "FilterPolicy: cidr match pattern must be a string"},

		// Checks run in AWS's order: key count before structure, structure
		// before complexity, complexity before conditions.
		{"keys before structure", `{"a":[],"b":[1],"c":[1],"d":[1],"e":[1],"f":[1]}`, scopeAttributes, "FilterPolicy: Filter policy can not have more than 5 keys"},
		{"structure before conditions", `{"a":[{"bad":1}],"b":[]}`, scopeAttributes, "FilterPolicy: Empty arrays are not allowed"},
		{"complexity before conditions", `{"a":[{"bad":1},` + many(10) + `],"b":[` + many(14) + `]}`, scopeAttributes, "FilterPolicy: Filter policy is too complex"},
		{"first bad condition in document order", `{"z":[{"bad":1}],"a":[{"worse":1}]}`, scopeAttributes, "FilterPolicy: Unrecognized match type bad"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parseFilterPolicy(tc.policy, tc.scope)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("parseFilterPolicy(%s) = %v, want valid", tc.policy, err)
				}
				if p == nil || p.root == nil {
					t.Fatal("valid policy without a tree")
				}
				return
			}
			var pe *policyError
			if !errors.As(err, &pe) {
				t.Fatalf("parseFilterPolicy(%s) = %v, want policy error %q", tc.policy, err, tc.want)
			}
			if pe.reason != tc.want {
				t.Fatalf("reason = %q\nwant     %q", pe.reason, tc.want)
			}
		})
	}
}

func TestFilterCombinations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy string
		want   int
	}{
		{`{"a":["1","2","3"],"b":["1"],"c":["1","2"]}`, 6},                  // AWS: 3 x 1 x 2
		{`{"a":{"b":{"c":[1,2,3,4]}},"d":{"e":[1,2,3]}}`, 72},               // AWS: 3 x 4 x 2 x 3
		{`{"s":["x"],"$or":[{"m":["a","b"]},{"n":["c","d"]}]}`, 4},          // 1 x (2 + 2)
		{`{"s":["x","y"],"$or":[{"m":["a","b"]},{"n":["c","d","e"]}]}`, 10}, // 2 x (2 + 3)
		{`{}`, 1},
	}
	for _, tc := range tests {
		doc, err := parseOrderedJSON(tc.policy)
		if err != nil {
			t.Fatal(err)
		}
		root, err := buildNode(doc, scopeBody, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := combinations(root, 1); got != tc.want {
			t.Errorf("combinations(%s) = %d, want %d", tc.policy, got, tc.want)
		}
	}
}

// attrs builds message attributes: name, type, value triples; Binary
// values are taken as bytes.
func attrs(triples ...string) []messageAttribute {
	var out []messageAttribute
	for i := 0; i+2 < len(triples); i += 3 {
		a := messageAttribute{Name: triples[i], DataType: triples[i+1]}
		if strings.HasPrefix(a.DataType, "Binary") {
			a.BinaryValue, a.hasBinary = []byte(triples[i+2]), true
		} else {
			a.StringValue, a.hasString = triples[i+2], true
		}
		out = append(out, a)
	}
	return out
}

func TestFilterMatchAttributes(t *testing.T) {
	t.Parallel()
	msg := attrs(
		"type", "String", "pdf-extract",
		"size", "Number", "150",
		"ratio", "Number.float", "0.25",
		"tags", "String.Array", `["a","b",3,true,null]`,
		"blob", "Binary", "\x00\x01",
		"ip", "String", "10.0.0.7",
		"ip6", "String", "2001:db8::1",
		"mapped", "String", "::ffff:10.0.0.9",
		"Case", "String", "PDF",
		"strnum", "String", "150",
		"custom", "String.job", "fetch",
	)
	tests := []struct {
		policy string
		want   bool
	}{
		{`{}`, true},

		// Exact strings: case-sensitive, ORed within a key, ANDed across.
		{`{"type":["pdf-extract"]}`, true},
		{`{"type":["pdf"]}`, false},
		{`{"type":["PDF-EXTRACT"]}`, false},
		{`{"type":["x","pdf-extract"]}`, true},
		{`{"type":["pdf-extract"],"size":[150]}`, true},
		{`{"type":["pdf-extract"],"size":[151]}`, false},
		{`{"missing":["x"]}`, false},
		{`{"custom":["fetch"]}`, true},
		{`{"strnum":["150"]}`, true},

		// Exact numbers match Number attributes only, numerically.
		{`{"size":[150]}`, true},
		{`{"size":[150.0]}`, true},
		{`{"size":[1.5e2]}`, true},
		{`{"size":["150"]}`, false},
		{`{"strnum":[150]}`, false},
		{`{"ratio":[0.25]}`, true},

		// String.Array: any element.
		{`{"tags":["b"]}`, true},
		{`{"tags":["c"]}`, false},
		{`{"tags":[3]}`, true},
		{`{"tags":[true]}`, true},
		{`{"tags":[null]}`, true},
		{`{"tags":[{"prefix":"a"}]}`, true},

		// Binary attributes are not filterable.
		{`{"blob":["AAE="]}`, false},
		{`{"blob":[{"exists":true}]}`, false},
		{`{"blob":[{"exists":false}]}`, true},

		// prefix, suffix, equals-ignore-case: strings only.
		{`{"type":[{"prefix":"pdf-"}]}`, true},
		{`{"type":[{"prefix":"doc"}]}`, false},
		{`{"size":[{"prefix":"1"}]}`, false},
		{`{"type":[{"suffix":"extract"}]}`, true},
		{`{"type":[{"suffix":"fetch"}]}`, false},
		{`{"Case":[{"equals-ignore-case":"pdf"}]}`, true},
		{`{"Case":[{"equals-ignore-case":"pdfx"}]}`, false},
		{`{"Case":["pdf"]}`, false},

		// anything-but: the key must be present and no value listed.
		{`{"type":[{"anything-but":["fetch","notify"]}]}`, true},
		{`{"type":[{"anything-but":["pdf-extract"]}]}`, false},
		{`{"type":[{"anything-but":"pdf-extract"}]}`, false},
		{`{"type":[{"anything-but":"fetch"}]}`, true},
		{`{"missing":[{"anything-but":"x"}]}`, false},
		{`{"size":[{"anything-but":100}]}`, true},
		{`{"size":[{"anything-but":[150]}]}`, false},
		{`{"size":[{"anything-but":[150.0,7]}]}`, false},
		{`{"type":[{"anything-but":[1]}]}`, false},
		{`{"size":[{"anything-but":["x"]}]}`, true},
		{`{"type":[{"anything-but":{"prefix":"pdf"}}]}`, false},
		{`{"type":[{"anything-but":{"prefix":"doc"}}]}`, true},
		{`{"size":[{"anything-but":{"prefix":"doc"}}]}`, false},
		{`{"tags":[{"anything-but":["a"]}]}`, false},
		{`{"tags":[{"anything-but":["z"]}]}`, true},

		// numeric: Number attributes only.
		{`{"size":[{"numeric":[">",100]}]}`, true},
		{`{"size":[{"numeric":[">",150]}]}`, false},
		{`{"size":[{"numeric":[">=",150]}]}`, true},
		{`{"size":[{"numeric":["<",150]}]}`, false},
		{`{"size":[{"numeric":["<=",150]}]}`, true},
		{`{"size":[{"numeric":["=",150]}]}`, true},
		{`{"size":[{"numeric":["=",151]}]}`, false},
		{`{"size":[{"numeric":[">",100,"<",200]}]}`, true},
		{`{"size":[{"numeric":[">",100,"<",150]}]}`, false},
		{`{"size":[{"numeric":[">",100,"<=",150]}]}`, true},
		{`{"size":[{"numeric":[">",150,"<=",200]}]}`, false},
		{`{"size":[{"numeric":[">=",150,"<=",200]}]}`, true},
		{`{"ratio":[{"numeric":[">",0,"<",1]}]}`, true},
		{`{"strnum":[{"numeric":[">",0]}]}`, false},
		{`{"tags":[{"numeric":["=",3]}]}`, true},
		{`{"missing":[{"numeric":[">",0]}]}`, false},

		// exists.
		{`{"type":[{"exists":true}]}`, true},
		{`{"type":[{"exists":false}]}`, false},
		{`{"missing":[{"exists":true}]}`, false},
		{`{"missing":[{"exists":false}]}`, true},
		{`{"missing":["x",{"exists":false}]}`, true},

		// cidr.
		{`{"ip":[{"cidr":"10.0.0.0/24"}]}`, true},
		{`{"ip":[{"cidr":"10.0.1.0/24"}]}`, false},
		{`{"ip":[{"cidr":"0.0.0.0/0"}]}`, true},
		{`{"ip6":[{"cidr":"2001:db8::/32"}]}`, true},
		{`{"ip6":[{"cidr":"10.0.0.0/8"}]}`, false},
		{`{"ip":[{"cidr":"2001:db8::/32"}]}`, false},
		{`{"mapped":[{"cidr":"10.0.0.0/24"}]}`, true},
		{`{"type":[{"cidr":"10.0.0.0/8"}]}`, false},

		// $or.
		{`{"$or":[{"type":["x"]},{"size":[150]}]}`, true},
		{`{"$or":[{"type":["x"]},{"size":[1]}]}`, false},
		{`{"type":["pdf-extract"],"$or":[{"size":[1]},{"tags":["a"]}]}`, true},
		{`{"type":["nope"],"$or":[{"size":[150]},{"tags":["a"]}]}`, false},
		{`{"$or":[{"type":["x"]},{"$or":[{"size":[1]},{"ip":[{"prefix":"10."}]}]}]}`, true},
	}
	fm := newFilterMessage("not json", msg)
	for _, tc := range tests {
		p, err := parseFilterPolicy(tc.policy, scopeAttributes)
		if err != nil {
			t.Fatalf("parseFilterPolicy(%s): %v", tc.policy, err)
		}
		if got := fm.matches(p); got != tc.want {
			t.Errorf("%s matched = %v, want %v", tc.policy, got, tc.want)
		}
	}
	if !fm.matches(nil) {
		t.Error("a subscription without a policy must receive every message")
	}
}

func TestFilterMatchBody(t *testing.T) {
	t.Parallel()
	body := `{
		"type": "pdf-extract", "size": 150, "flag": true, "nothing": null,
		"tags": ["a", "b", 3, ["nested", 7]],
		"doc": {"pages": 12, "kind": "invoice", "meta": {"lang": "en"}},
		"items": [{"sku": "x1", "qty": 2}, {"sku": "y2", "qty": 5}],
		"ip": "192.168.1.20", "numstr": "150", "empty": [], "Case": "PDF",
		"big": 1e400
	}`
	tests := []struct {
		policy string
		want   bool
	}{
		{`{}`, true},
		{`{"type":["pdf-extract"]}`, true},
		{`{"type":["pdf"]}`, false},
		{`{"type":["pdf-extract"],"size":[150]}`, true},

		// Nested keys.
		{`{"doc":{"kind":["invoice"]}}`, true},
		{`{"doc":{"kind":["receipt"]}}`, false},
		{`{"doc":{"meta":{"lang":["en"]}}}`, true},
		{`{"doc":{"meta":{"lang":["de"]}}}`, false},
		{`{"doc":{"kind":["invoice"],"pages":[12]}}`, true},
		{`{"type":{"x":["y"]}}`, false},
		{`{"doc":["invoice"]}`, false},
		{`{"doc":[{"exists":true}]}`, false},

		// Numbers, strings, booleans and null keep their JSON types.
		{`{"size":[150]}`, true},
		{`{"size":["150"]}`, false},
		{`{"numstr":[150]}`, false},
		{`{"numstr":["150"]}`, true},
		{`{"flag":[true]}`, true},
		{`{"flag":[false]}`, false},
		{`{"flag":["true"]}`, false},
		{`{"nothing":[null]}`, true},
		{`{"type":[null]}`, false},
		{`{"missing":[null]}`, false},

		// Arrays match when an element does; nested arrays are flattened.
		{`{"tags":["b"]}`, true},
		{`{"tags":[3]}`, true},
		{`{"tags":["z"]}`, false},
		{`{"tags":["nested"]}`, true},
		{`{"tags":[{"numeric":[">",5]}]}`, true},

		// Arrays of objects: a nested policy must hold within one element.
		{`{"items":{"sku":["y2"]}}`, true},
		{`{"items":{"sku":["y2"],"qty":[5]}}`, true},
		{`{"items":{"sku":["y2"],"qty":[2]}}`, false},
		{`{"items":{"qty":[{"numeric":[">",4]}]}}`, true},
		{`{"items":{"qty":[{"numeric":[">",5]}]}}`, false},

		// exists.
		{`{"doc":{"pages":[{"exists":true}]}}`, true},
		{`{"doc":{"missing":[{"exists":false}]}}`, true},
		{`{"doc":{"pages":[{"exists":false}]}}`, false},
		{`{"absent":{"x":[{"exists":false}]}}`, true},
		{`{"absent":{"x":[{"exists":true}]}}`, false},
		{`{"empty":[{"exists":false}]}`, true},
		{`{"nothing":[{"exists":true}]}`, true},

		// String operators.
		{`{"type":[{"prefix":"pdf"}]}`, true},
		{`{"type":[{"suffix":"extract"}]}`, true},
		{`{"size":[{"prefix":"1"}]}`, false},
		{`{"Case":[{"equals-ignore-case":"pdf"}]}`, true},
		{`{"ip":[{"cidr":"192.168.0.0/16"}]}`, true},
		{`{"ip":[{"cidr":"192.168.2.0/24"}]}`, false},

		// anything-but.
		{`{"type":[{"anything-but":["fetch"]}]}`, true},
		{`{"type":[{"anything-but":"pdf-extract"}]}`, false},
		{`{"size":[{"anything-but":[100,200]}]}`, true},
		{`{"size":[{"anything-but":150}]}`, false},
		{`{"tags":[{"anything-but":["a"]}]}`, false},
		{`{"tags":[{"anything-but":["z"]}]}`, true},
		{`{"type":[{"anything-but":{"prefix":"pdf"}}]}`, false},
		{`{"flag":[{"anything-but":"x"}]}`, true},
		{`{"missing":[{"anything-but":"x"}]}`, false},
		{`{"empty":[{"anything-but":"x"}]}`, false},

		// numeric.
		{`{"doc":{"pages":[{"numeric":[">",10,"<=",12]}]}}`, true},
		{`{"doc":{"pages":[{"numeric":["<",12]}]}}`, false},
		{`{"numstr":[{"numeric":[">",0]}]}`, false},
		{`{"big":[{"numeric":[">",0]}]}`, true},

		// $or, at the top and inside a nested policy.
		{`{"$or":[{"doc":{"kind":["receipt"]}},{"size":[{"numeric":[">",100]}]}]}`, true},
		{`{"$or":[{"doc":{"kind":["receipt"]}},{"size":[{"numeric":[">",200]}]}]}`, false},
		{`{"doc":{"$or":[{"kind":["x"]},{"pages":[12]}]}}`, true},
		{`{"doc":{"$or":[{"kind":["x"]},{"pages":[13]}]}}`, false},
	}
	fm := newFilterMessage(body, nil)
	for _, tc := range tests {
		p, err := parseFilterPolicy(tc.policy, scopeBody)
		if err != nil {
			t.Fatalf("parseFilterPolicy(%s): %v", tc.policy, err)
		}
		if got := fm.matches(p); got != tc.want {
			t.Errorf("%s matched = %v, want %v", tc.policy, got, tc.want)
		}
	}
}

func TestFilterBodyThatIsNotAnObject(t *testing.T) {
	t.Parallel()
	p, err := parseFilterPolicy(`{"a":[{"exists":false}]}`, scopeBody)
	if err != nil {
		t.Fatal(err)
	}
	empty, _ := parseFilterPolicy(`{}`, scopeBody)
	for _, body := range []string{"plain text", `[{"a":1}]`, `"str"`, `null`, `{"a":1} trailing`, ``} {
		fm := newFilterMessage(body, nil)
		if fm.matches(p) {
			t.Errorf("body %q matched a body policy", body)
		}
		if !fm.matches(empty) {
			t.Errorf("body %q did not match the empty policy", body)
		}
	}
}

func TestFilterAttributeScopeIgnoresBody(t *testing.T) {
	t.Parallel()
	p, _ := parseFilterPolicy(`{"type":["x"]}`, scopeAttributes)
	if newFilterMessage(`{"type":"x"}`, nil).matches(p) {
		t.Fatal("attribute policy matched the body")
	}
	b, _ := parseFilterPolicy(`{"type":["x"]}`, scopeBody)
	if newFilterMessage(`{}`, attrs("type", "String", "x")).matches(b) {
		t.Fatal("body policy matched an attribute")
	}
}

func TestAttributeViewSkipsBadValues(t *testing.T) {
	t.Parallel()
	v := newAttributeView(attrs(
		"n", "Number", "not a number",
		"arr", "String.Array", "not an array",
		"obj", "String.Array", `[{"a":1},"x"]`,
	))
	if _, ok := v["n"]; ok {
		t.Error("unparseable Number became a value")
	}
	if _, ok := v["arr"]; ok {
		t.Error("unparseable String.Array became a value")
	}
	if got := v["obj"]; len(got) != 1 || got[0].str != "x" {
		t.Errorf("String.Array with an object = %+v, want only the string", got)
	}
}
