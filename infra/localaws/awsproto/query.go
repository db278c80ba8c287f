package awsproto

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Form is a decoded query-protocol request (Action=...&Version=...).
type Form struct {
	url.Values
}

// ParseForm reads the query parameters of r: the form body of a POST, merged
// over the URL's query string. body is the request body, read (and bounded)
// by the caller.
func ParseForm(r *http.Request, body []byte) (Form, error) {
	vals := url.Values{}
	for k, v := range r.URL.Query() {
		vals[k] = v
	}
	if len(body) > 0 {
		bv, err := url.ParseQuery(string(body))
		if err != nil {
			return Form{}, err
		}
		for k, v := range bv {
			vals[k] = v
		}
	}
	return Form{vals}, nil
}

// Has reports whether key was sent.
func (f Form) Has(key string) bool { _, ok := f.Values[key]; return ok }

// StringPtr returns the value of key, or nil when it is absent.
func (f Form) StringPtr(key string) *string {
	if !f.Has(key) {
		return nil
	}
	v := f.Get(key)
	return &v
}

// Int32Ptr returns key parsed as an integer, nil when absent, or an
// InvalidParameterValue error naming the key.
func (f Form) Int32Ptr(key string) (*int32, *Error) {
	if !f.Has(key) {
		return nil, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(f.Get(key)), 10, 32)
	if err != nil {
		return nil, Errorf(http.StatusBadRequest, "InvalidParameterValue", "InvalidParameterValueException",
			"Value %s for parameter %s is invalid. Reason: must be an integer.", f.Get(key), key)
	}
	v := int32(n)
	return &v, nil
}

// Bool returns key parsed as a boolean ("true"/"false"); absent is false.
func (f Form) Bool(key string) bool {
	return strings.EqualFold(f.Get(key), "true")
}

// Indexes returns, in numeric order, the distinct N of keys shaped
// prefix.N or prefix.N.rest. Query lists are 1-based and need not be dense.
func (f Form) Indexes(prefix string) []int {
	seen := map[int]bool{}
	p := prefix + "."
	for k := range f.Values {
		if !strings.HasPrefix(k, p) {
			continue
		}
		rest := k[len(p):]
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			rest = rest[:i]
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 {
			continue
		}
		seen[n] = true
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// List returns the values of prefix.1, prefix.2, ... in index order.
func (f Form) List(prefix string) []string {
	idx := f.Indexes(prefix)
	if len(idx) == 0 {
		return nil
	}
	out := make([]string, 0, len(idx))
	for _, n := range idx {
		out = append(out, f.Get(prefix+"."+strconv.Itoa(n)))
	}
	return out
}

// Members returns the key prefixes prefix.1, prefix.2, ... of a list of
// structures, in index order, for reading their members with Get(p+".Name").
func (f Form) Members(prefix string) []string {
	idx := f.Indexes(prefix)
	out := make([]string, 0, len(idx))
	for _, n := range idx {
		out = append(out, prefix+"."+strconv.Itoa(n))
	}
	return out
}

// Map reads a flattened map: prefix.N.<keyName> / prefix.N.<valueName>.
// SQS uses Attribute.N.Name/Value, SNS Attributes.entry.N.key/value.
func (f Form) Map(prefix, keyName, valueName string) map[string]string {
	members := f.Members(prefix)
	if len(members) == 0 {
		return nil
	}
	out := make(map[string]string, len(members))
	for _, m := range members {
		out[f.Get(m+"."+keyName)] = f.Get(m + "." + valueName)
	}
	return out
}

// WriteQuery writes a successful query-protocol answer:
//
//	<ActionResponse xmlns="..."><ActionResult>...</ActionResult><ResponseMetadata>...</ResponseMetadata></ActionResponse>
//
// result is marshalled as the <ActionResult> element; a nil result omits it
// (operations without output). Operations with output must pass a non-nil
// (possibly empty) result: SDKs look the element up by name.
func WriteQuery(w http.ResponseWriter, xmlns, action, requestID string, result any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xmlns}}}
	err := enc.EncodeToken(start)
	if err == nil && result != nil {
		err = enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}})
	}
	if err == nil {
		err = enc.EncodeElement(struct {
			RequestID string `xml:"RequestId"`
		}{requestID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	}
	if err == nil {
		err = enc.EncodeToken(start.End())
	}
	if err == nil {
		err = enc.Flush()
	}
	if err != nil {
		WriteQueryError(w, xmlns, requestID, InternalError("encoding response: "+err.Error()))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("x-amzn-RequestId", requestID)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

type queryErrorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
		Detail  string `xml:"Detail"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// WriteQueryError writes a query-protocol <ErrorResponse>.
func WriteQueryError(w http.ResponseWriter, xmlns, requestID string, e *Error) {
	var r queryErrorResponse
	r.Xmlns = xmlns
	r.Error.Type = e.FaultType()
	r.Error.Code = e.Code
	r.Error.Message = e.Message
	r.RequestID = requestID
	body, _ := xml.Marshal(r)
	body = append([]byte(xml.Header), body...)
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("x-amzn-RequestId", requestID)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
