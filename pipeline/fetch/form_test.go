package fetch

import (
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

const formPage = `<!DOCTYPE html><html><body>
<form id="other"><input name="other" value="x"></form>
<form id="aspnetForm" method="post" action="./Search.aspx?mode=1">
<input type="hidden" name="__EVENTTARGET" value="">
<input type="hidden" name="__VIEWSTATE" value="abc+/=">
<input name="txt" value="hello world">
<input type="password" name="pw" value="s">
<input name="noval">
<input value="unnamed">
<input name="dis" value="d" disabled>
<input type="checkbox" name="cb" value="1" checked>
<input type="checkbox" name="cb" value="2">
<input type="checkbox" name="cbon" checked>
<input type="radio" name="r" value="a">
<input type="radio" name="r" value="b" checked>
<select name="single"><option value="x">X</option><option value="y">Y</option></select>
<select name="chosen"><option value="1">1</option><option selected value="2">2</option></select>
<select name="multi" multiple><option selected>  Alpha  Beta </option><option value="g">G</option><option selected value="d">D</option><option selected disabled value="e">E</option></select>
<select name="dissel" disabled><option>z</option></select>
<textarea name="ta">line1
line2</textarea>
<fieldset disabled><legend><input name="inlegend" value="L"></legend><input name="infs" value="F"></fieldset>
<input type="file" name="upload">
<input type="submit" name="btnSearch" value="Search">
<input type="submit" name="btnReset" value="Clear">
<input type="image" name="imgGo" src="go.png">
<button name="btnButton" value="bv">Go</button>
<button type="button" name="plain" value="p">Plain</button>
<input type="reset" name="rst">
</form>
<input name="outside" value="o" form="aspnetForm">
<input name="stray" value="s">
</body></html>`

func parseForm(t *testing.T, click string) (*form, error) {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(formPage))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("https://records.example.gov/WellData/Search.aspx")
	return readForm(doc, u, "form#aspnetForm", click)
}

func TestReadFormLikeABrowser(t *testing.T) {
	t.Parallel()
	f, err := parseForm(t, "btnSearch")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.action.String(); got != "https://records.example.gov/WellData/Search.aspx?mode=1" {
		t.Errorf("action: got %s", got)
	}
	if f.method != "post" {
		t.Errorf("method: got %s", f.method)
	}
	want := "__EVENTTARGET=&__VIEWSTATE=abc%2B%2F%3D&txt=hello+world&pw=s&noval=&cb=1&cbon=on&r=b&single=x&chosen=2&multi=Alpha+Beta&multi=d&ta=line1%0D%0Aline2&inlegend=L&btnSearch=Search&outside=o"
	if got := f.encode(); got != want {
		t.Errorf("encoded form:\n got %s\nwant %s", got, want)
	}
}

func TestReadFormClicks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		click, want string
	}{
		{"", ""},
		{"btnReset", "btnReset=Clear"},
		{"imgGo", "imgGo.x=1&imgGo.y=1"},
		{"btnButton", "btnButton=bv"},
	}
	for _, tt := range tests {
		f, err := parseForm(t, tt.click)
		if err != nil {
			t.Fatalf("click %q: %v", tt.click, err)
		}
		enc := f.encode()
		for _, b := range []string{"btnSearch=", "btnReset=", "imgGo.", "btnButton=", "plain=", "rst="} {
			if strings.Contains(enc, b) != (tt.want != "" && strings.Contains(tt.want, b)) {
				t.Errorf("click %q: body %s has wrong buttons", tt.click, enc)
			}
		}
		if tt.want != "" && !strings.Contains(enc, tt.want) {
			t.Errorf("click %q: body %s lacks %s", tt.click, enc, tt.want)
		}
	}
	for _, bad := range []string{"plain", "rst", "txt", "missing"} {
		if _, err := parseForm(t, bad); err == nil {
			t.Errorf("click %q: want an error, it is not a submit control", bad)
		}
	}
}

func TestFormSetAndClear(t *testing.T) {
	t.Parallel()
	f := &form{fields: []field{{"a", "1"}, {"cb", "1"}, {"b", "2"}, {"cb", "2"}}}
	f.set(map[string]string{"cb": "9", "z": "last", "__EVENTTARGET": "t"})
	f.clear([]string{"b"})
	if got, want := f.encode(), "a=1&cb=9&__EVENTTARGET=t&z=last"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if v, ok := f.get("cb"); !ok || v != "9" {
		t.Errorf("get cb: %q %v", v, ok)
	}
}

func TestReadFormErrors(t *testing.T) {
	t.Parallel()
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(`<html><body><div id="x"></div></body></html>`))
	u, _ := url.Parse("https://x/")
	if _, err := readForm(doc, u, "", ""); err == nil || !strings.Contains(err.Error(), "no form") {
		t.Errorf("page without form: got %v", err)
	}
	if _, err := readForm(doc, u, "div#x", ""); err == nil || !strings.Contains(err.Error(), `no form matches "div#x"`) {
		t.Errorf("selector of a non-form: got %v", err)
	}
}
