package fetch

import (
	"regexp"
	"testing"
)

func TestParsePostBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, target, arg string
		ok              bool
	}{
		{`javascript:__doPostBack('ctl00$Main$gvResults','Select$3')`, "ctl00$Main$gvResults", "Select$3", true},
		{`javascript:__doPostBack(&#39;x&#39;,&#39;y&#39;)`, "", "", false},
		{`javascript:__doPostBack('ctl00$Main$lnk','')`, "ctl00$Main$lnk", "", true},
		{`javascript:__doPostBack(%27ctl00%24gv%27%2C%27Page%242%27)`, "ctl00$gv", "Page$2", true},
		{`javascript:__doPostBack("a\'b","c\\d")`, "a'b", `c\d`, true},
		{`javascript:WebForm_DoPostBackWithOptions(new WebForm_PostBackOptions("ctl00$Main$lnkDoc", "", true, "", "", false, true))`, "ctl00$Main$lnkDoc", "", true},
		{`javascript:setTimeout('__doPostBack(\'ctl00$ddl\',\'\')', 0)`, "", "", false},
		{`/Documents/Landing.aspx`, "", "", false},
		{`javascript:__doPostBack('unterminated`, "", "", false},
	}
	for _, tt := range tests {
		target, arg, ok := parsePostBack(tt.in)
		if ok != tt.ok || target != tt.target || arg != tt.arg {
			t.Errorf("parsePostBack(%q): got %q, %q, %v; want %q, %q, %v", tt.in, target, arg, ok, tt.target, tt.arg, tt.ok)
		}
	}
}

func TestFindJSRedirect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		script string
		want   string
		ok     bool
	}{
		{`window.location.href = 'Documents\/Landing.aspx?doc=abc';`, "Documents/Landing.aspx?doc=abc", true},
		{`window.location='/a';`, "/a", true},
		{`document.location = "b.aspx"`, "b.aspx", true},
		{`location.replace("c.aspx")`, "c.aspx", true},
		{`window.location.replace('d\x2easpx')`, "d.aspx", true},
		{`if (location.href == 'x') {}`, "", false},
		{`theForm.__EVENTTARGET.value = eventTarget;`, "", false},
		{`var a = 1; top.location.href='e'; location='f'`, "e", true},
	}
	for _, tt := range tests {
		got, ok := findJSRedirect([]string{tt.script}, nil)
		if ok != tt.ok || got != tt.want {
			t.Errorf("findJSRedirect(%q): got %q, %v; want %q, %v", tt.script, got, ok, tt.want, tt.ok)
		}
	}
	extra := []*regexp.Regexp{regexp.MustCompile(`window\.open\(['"]([^'"]+)['"]`)}
	if got, ok := findJSRedirect([]string{`window.open('\/doc.pdf')`}, extra); !ok || got != "/doc.pdf" {
		t.Errorf("extra pattern: got %q, %v", got, ok)
	}
}

func TestMetaRefreshURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"0; url=/next", "/next", true},
		{"5;URL='next.aspx'", "next.aspx", true},
		{`0; URL="a b"`, "a b", true},
		{"0, url=x", "x", true},
		{"0;/direct", "/direct", true},
		{"30", "", false},
		{"0; urn:x", "urn:x", true},
		{"0; url", "", false},
	}
	for _, tt := range tests {
		got, ok := metaRefreshURL(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("metaRefreshURL(%q): got %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
