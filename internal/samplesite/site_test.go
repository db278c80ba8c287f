package samplesite

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

type client struct {
	t   *testing.T
	srv *httptest.Server
	c   *http.Client
}

func newClient(t *testing.T, cfg Config) (*client, *Site) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { _ = s.Close(); srv.Close() })
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &client{t: t, srv: srv, c: c}, s
}

func (c *client) do(method, path string, form url.Values) (int, http.Header, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

var hiddenRe = regexp.MustCompile(`name="(__[A-Z]+)" id="__[A-Z]+" value="([^"]*)"`)

// hidden returns the hidden fields of a page.
func hidden(page string) url.Values {
	v := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], strings.ReplaceAll(m[2], "&#43;", "+"))
	}
	return v
}

func (c *client) search(key string) (int, string) {
	c.t.Helper()
	_, _, page := c.do("GET", "/WellData/Search.aspx", nil)
	form := hidden(page)
	form.Set("ctl00$Main$txtApiNo", key)
	form.Set("ctl00$Main$ddlDocType", "ALL")
	form.Set("ctl00$Main$btnSearch", "Search")
	status, _, out := c.do("POST", "/WellData/Search.aspx", form)
	return status, out
}

func TestSearchAndSelectFlow(t *testing.T) {
	c, s := newClient(t, Config{DownloadDelay: 100 * time.Millisecond})
	status, page := c.search("42-501-20130")
	if status != 200 || !strings.Contains(page, "__doPostBack(&#39;ctl00$Main$gvResults&#39;,&#39;Select$0&#39;)") {
		t.Fatalf("search: %d\n%s", status, page)
	}
	form := hidden(page)
	form.Set("__EVENTTARGET", "ctl00$Main$gvResults")
	form.Set("__EVENTARGUMENT", "Select$0")
	_, _, redirect := c.do("POST", "/WellData/Search.aspx", form)
	m := regexp.MustCompile(`window.location.href = '([^']+)'`).FindStringSubmatch(redirect)
	if m == nil {
		t.Fatalf("no JavaScript redirect in:\n%s", redirect)
	}
	landing := "/WellData/" + strings.ReplaceAll(m[1], `\/`, "/")
	status, _, lpage := c.do("GET", landing, nil)
	if status != 200 || !strings.Contains(lpage, `id="ctl00_Main_lnkDownload"`) {
		t.Fatalf("landing %s: %d\n%s", landing, status, lpage)
	}
	download := strings.Replace(landing, "Landing.aspx", "Download.aspx", 1)
	status, h, _ := c.do("GET", download, nil)
	if status != http.StatusTooManyRequests || h.Get("Retry-After") != "1" {
		t.Fatalf("early download: got %d Retry-After %q, want 429 with Retry-After 1", status, h.Get("Retry-After"))
	}
	time.Sleep(120 * time.Millisecond) // the site's DownloadDelay, by design of the test
	status, h, body := c.do("GET", download, nil)
	want, _ := s.Document("D1001")
	if status != 200 || h.Get("Content-Type") != "application/pdf" || body != string(want) {
		t.Fatalf("download: %d %s, %d bytes", status, h.Get("Content-Type"), len(body))
	}
}

func TestPostbacksRefused(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, Config{})
	_, page := c.search("42-501-20130")
	base := hidden(page)
	tests := []struct {
		name   string
		change func(v url.Values)
		status int
		want   string
	}{
		{"tampered view state", func(v url.Values) { v.Set("__VIEWSTATE", "x"+v.Get("__VIEWSTATE")[1:]) }, 500, "Validation of viewstate MAC failed"},
		{"wrong generator", func(v url.Values) { v.Set("__VIEWSTATEGENERATOR", "00000000") }, 500, "Validation of viewstate MAC failed"},
		{"event not rendered", func(v url.Values) {
			v.Set("__EVENTTARGET", "ctl00$Main$gvResults")
			v.Set("__EVENTARGUMENT", "Select$7")
		}, 500, "Invalid postback or callback argument"},
		{"invented dropdown value", func(v url.Values) {
			v.Set("ctl00$Main$ddlDocType", "SECRET")
			v.Set("ctl00$Main$btnSearch", "Search")
		}, 500, "Invalid postback or callback argument"},
		{"both buttons posted", func(v url.Values) {
			v.Set("ctl00$Main$btnSearch", "Search")
			v.Set("ctl00$Main$btnReset", "Clear")
			v.Set("ctl00$Main$txtApiNo", "42-501-20130")
		}, 200, "Well Search"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := url.Values{}
			for k, vals := range base {
				v[k] = append([]string(nil), vals...)
			}
			tt.change(v)
			status, _, out := c.do("POST", "/WellData/Search.aspx", v)
			if status != tt.status || !strings.Contains(out, tt.want) {
				t.Fatalf("got %d, want %d with %q:\n%s", status, tt.status, tt.want, out)
			}
			if tt.name == "both buttons posted" && strings.Contains(out, "gvResults") {
				t.Error("posting every submit button should raise the Clear event, not show results")
			}
		})
	}
}

func TestNoSessionRedirectsToSearch(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, Config{})
	for _, path := range []string{"/WellData/Documents/Landing.aspx?doc=x", "/WellData/Documents/Download.aspx?doc=x"} {
		status, h, _ := c.do("GET", path, nil)
		if status != http.StatusFound || h.Get("Location") != "/WellData/Search.aspx?expired=1" {
			t.Errorf("%s without session: got %d to %q", path, status, h.Get("Location"))
		}
	}
	status, h, _ := c.do("POST", "/WellData/Search.aspx", url.Values{"__VIEWSTATE": {"x"}})
	if status != http.StatusFound || !strings.Contains(h.Get("Location"), "expired=1") {
		t.Errorf("postback without session: got %d to %q", status, h.Get("Location"))
	}
	_, _, page := c.do("GET", "/WellData/Search.aspx?expired=1", nil)
	if !strings.Contains(page, "Your session has expired") {
		t.Error("the search page after expiry does not say so")
	}
}

func TestSessionsExpireAndStayBounded(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	store := newSessions(time.Minute, 3)
	a := store.create(now)
	if _, ok := store.get(a.id, now.Add(30*time.Second)); !ok {
		t.Fatal("session gone before its idle timeout")
	}
	if _, ok := store.get(a.id, now.Add(91*time.Second)); ok {
		t.Fatal("session alive after more than a minute idle")
	}
	for i := range 10 {
		store.create(now.Add(time.Duration(i) * time.Second))
	}
	if n := len(store.byID); n > 3 {
		t.Errorf("%d sessions kept, cap 3", n)
	}
}

func TestMinimalPDFIsWellFormed(t *testing.T) {
	t.Parallel()
	pdf := minimalPDF("Line (one)", `back\slash`)
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
		t.Fatalf("bad envelope: %q", pdf)
	}
	xref := bytes.Index(pdf, []byte("xref\n"))
	m := regexp.MustCompile(`startxref\n(\d+)`).FindSubmatch(pdf)
	if m == nil || string(m[1]) != strconv.Itoa(xref) {
		t.Fatalf("startxref does not point at the xref table (%d)", xref)
	}
	for i, e := range regexp.MustCompile(`(\d{10}) 00000 n`).FindAllSubmatch(pdf, -1) {
		off, _ := strconv.Atoi(string(e[1]))
		if want := fmt.Sprintf("%d 0 obj", i+1); !bytes.HasPrefix(pdf[off:], []byte(want)) {
			t.Errorf("xref entry %d points at %q, want %q", i+1, pdf[off:off+10], want)
		}
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{BasePath: "WellData"}); err == nil {
		t.Error("BasePath without slashes: want error")
	}
	_, err := New(Config{Documents: fstest.MapFS{}})
	if err == nil || !strings.Contains(err.Error(), "bordered_grid.pdf") {
		t.Errorf("missing document: got %v, want an error naming the file", err)
	}
	notPDF := fstest.MapFS{}
	for _, r := range DefaultRecords() {
		notPDF[r.File] = &fstest.MapFile{Data: []byte("<html>")}
	}
	if _, err := New(Config{Documents: notPDF}); err == nil || !strings.Contains(err.Error(), "not a PDF") {
		t.Errorf("non-PDF document: got %v", err)
	}
}

func TestGeneratorIsStable(t *testing.T) {
	t.Parallel()
	g := generator("/WellData/Search.aspx")
	if len(g) != 8 || g != generator("/WellData/Search.aspx") || g == generator("/Other.aspx") {
		t.Errorf("generator: %q", g)
	}
}
