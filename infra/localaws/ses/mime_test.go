package ses

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseRawMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		headers []header
		body    string
		eol     string
		err     string
	}{
		{
			name:    "CRLF",
			in:      "From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n",
			headers: []header{{Name: "From", Value: "a@example.com"}, {Name: "Subject", Value: "hi"}},
			body:    "body\r\n", eol: "\r\n",
		},
		{
			name:    "LF and folding",
			in:      "Subject: a\n  b\n\tc\nTo: x@example.org\n\nbody",
			headers: []header{{Name: "Subject", Value: "a  b\tc"}, {Name: "To", Value: "x@example.org"}},
			body:    "body", eol: "\n",
		},
		{
			name:    "headers only",
			in:      "Subject: only",
			headers: []header{{Name: "Subject", Value: "only"}},
			eol:     "\r\n",
		},
		{name: "no headers", in: "\r\nbody", err: "no headers"},
		{name: "not a header", in: "hello world\r\n\r\n", err: "malformed header line"},
		{name: "leading fold", in: " x: y\r\n\r\n", err: "folded"},
		{name: "space in name", in: "Bad Name: y\r\n\r\n", err: "malformed header name"},
		{name: "empty", in: "", err: "no headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseRawMessage([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(m.headers) != len(tt.headers) {
				t.Fatalf("headers = %+v", m.headers)
			}
			for i, h := range tt.headers {
				if m.headers[i].Name != h.Name || m.headers[i].Value != h.Value {
					t.Errorf("header %d = %q: %q, want %q: %q", i, m.headers[i].Name, m.headers[i].Value, h.Name, h.Value)
				}
			}
			if string(m.body) != tt.body || m.eol != tt.eol {
				t.Errorf("body %q eol %q, want %q %q", m.body, m.eol, tt.body, tt.eol)
			}
			// Written back unchanged, it is the same message (plus the
			// separator a headers-only message lacked).
			if got := string(m.bytes()); tt.body != "" && got != tt.in {
				t.Errorf("round trip = %q, want %q", got, tt.in)
			}
		})
	}
}

func TestWriteHeaderFolds(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	long := strings.Repeat("word ", 40)
	writeHeader(&buf, "Subject", long)
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\r\n"), "\r\n") {
		if len(line) > maxLineLen {
			t.Errorf("line of %d characters: %q", len(line), line)
		}
	}
	m, err := parseRawMessage(append(buf.Bytes(), "\r\n"...))
	if err != nil || m.get("Subject") != strings.TrimSpace(long) {
		t.Errorf("unfolded = %q (%v)", m.get("Subject"), err)
	}
}

func TestEncodeHeaderText(t *testing.T) {
	t.Parallel()
	if got := encodeHeaderText("plain"); got != "plain" {
		t.Errorf("ASCII = %q", got)
	}
	if got := encodeHeaderText("a\r\nBcc: x@y"); strings.ContainsAny(got, "\r\n") {
		t.Errorf("line breaks kept: %q", got)
	}
	if got := decodeHeaderText(encodeHeaderText("Résultats prêts")); got != "Résultats prêts" {
		t.Errorf("round trip = %q", got)
	}
}

func TestRenderTemplate(t *testing.T) {
	t.Parallel()
	data, e := parseTemplateData(`{"name":"Jane & co","n":3,"ok":true,"nested":{"x":"y"},"nil":null,"list":[1,2]}`)
	if e != nil {
		t.Fatal(e)
	}
	tests := []struct {
		tpl, want, err string
		html           bool
	}{
		{tpl: "no placeholders", want: "no placeholders"},
		{tpl: "Hi {{name}}!", want: "Hi Jane & co!"},
		{tpl: "Hi {{ name }}", want: "Hi Jane & co"},
		{tpl: "<b>{{name}}</b>", want: "<b>Jane &amp; co</b>", html: true},
		{tpl: "<b>{{{name}}}</b>", want: "<b>Jane & co</b>", html: true},
		{tpl: "{{n}} {{ok}} {{nested.x}} [{{nil}}] {{list}}", want: "3 true y [] [1,2]"},
		{tpl: "a{{! comment }}b", want: "ab"},
		{tpl: "{{missing}}", err: "Attribute 'missing' is not present in the rendering data."},
		{tpl: "{{nested.missing}}", err: "Attribute 'nested.missing'"},
		{tpl: "{{#if ok}}x{{/if}}", err: "unsupported template expression"},
		{tpl: "{{name", err: "unclosed placeholder"},
	}
	for _, tt := range tests {
		got, err := renderTemplate(tt.tpl, data, tt.html)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.tpl, err, tt.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tt.tpl, err)
		case got != tt.want:
			t.Errorf("%q = %q, want %q", tt.tpl, got, tt.want)
		}
	}
	for _, bad := range []string{"[1]", "nope", `"s"`, "null"} {
		if _, e := parseTemplateData(bad); e == nil {
			t.Errorf("TemplateData %q accepted", bad)
		}
	}
}

func TestPaginate(t *testing.T) {
	t.Parallel()
	keys := []string{"d", "a", "c", "b", "e"}
	var got []string
	token := ""
	for range 10 {
		page, next, e := paginate(append([]string(nil), keys...), token, 2)
		if e != nil {
			t.Fatal(e)
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		token = next
	}
	if strings.Join(got, "") != "abcde" {
		t.Errorf("pages gave %v", got)
	}
	// A key removed between calls does not disturb the listing.
	page, next, _ := paginate([]string{"a", "b", "c", "d"}, "", 2)
	page2, _, _ := paginate([]string{"a", "c", "d"}, next, 2)
	if strings.Join(page, "")+strings.Join(page2, "") != "abcd" {
		t.Errorf("after removal: %v %v", page, page2)
	}
	if _, _, e := paginate(keys, "!!", 2); e == nil || e.Code != "InvalidNextTokenException" {
		t.Errorf("bad token: %v", e)
	}
}

func TestRoute(t *testing.T) {
	t.Parallel()
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tests := []struct{ method, path, want string }{
		{"POST", "/v2/email/outbound-emails", "SendEmail"},
		{"GET", "/v2/email/account", "GetAccount"},
		{"GET", "/v2/email/identities/jane@example.org", "GetEmailIdentity"},
		{"GET", "/v2/email/identities", "ListEmailIdentities"},
		{"POST", "/v2/email/list-identities", "ListEmailIdentities"},
		{"DELETE", "/v2/email/suppression/addresses/a+b@example.org", "DeleteSuppressedDestination"},
		{"PUT", "/v2/email/configuration-sets/w/event-destinations/d", "UpdateConfigurationSetEventDestination"},
		{"POST", "/v2/email/templates/t/render", "TestRenderEmailTemplate"},
		{"GET", "/v2/email/identities/", "ListEmailIdentities"},
		{"PATCH", "/v2/email/account", ""},
		{"GET", "/v2/email/", ""},
		{"GET", "/v2/email/identities/a/b", ""},
		{"GET", "/elsewhere", ""},
	}
	for _, tt := range tests {
		if got := s.Route(tt.method, tt.path); got != tt.want {
			t.Errorf("Route(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestSimulatorKind(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"success@simulator.amazonses.com":         simSuccess,
		"BOUNCE@Simulator.AmazonSES.com":          simBounce,
		"bounce+job-1@simulator.amazonses.com":    simBounce,
		"ooto+x@simulator.amazonses.com":          simOOTO,
		"complaint@simulator.amazonses.com":       simComplaint,
		"suppressionlist@simulator.amazonses.com": simSuppressionList,
		"whatever@simulator.amazonses.com":        simSuccess,
	}
	for addr, want := range tests {
		if got, ok := simulatorKind(addr); !ok || got != want {
			t.Errorf("simulatorKind(%s) = %q %v, want %q", addr, got, ok, want)
		}
	}
	for _, addr := range []string{"bounce@example.com", "bounce@simulator.amazonses.com.evil.org", "nodomain"} {
		if _, ok := simulatorKind(addr); ok {
			t.Errorf("%s taken for a simulator address", addr)
		}
	}
}
