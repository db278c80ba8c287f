package fetch_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/quarry-dev/quarry/pipeline/fetch"
	"github.com/quarry-dev/quarry/pipeline/fetch/recipe"
)

func parseRecipe(t *testing.T, base, steps string) *recipe.Recipe {
	t.Helper()
	r, err := recipe.Parse([]byte(`
recipe: webforms
version: 1
site: {base_url: '` + base + `/', allowed_hosts: [127.0.0.1], allow_private_networks: true}
politeness: {min_interval: 1ms}
steps:
` + steps))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestADocumentBehindAClientSideRedirectIsDownloadedFromFollowURL(t *testing.T) {
	t.Parallel()
	pdf, err := os.ReadFile("../extract/testdata/libreoffice/bordered_grid.pdf")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/Landing.aspx":
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<html><body><script>window.location.href = 'Files/Report.pdf?t=42';</script></body></html>`))
		case "/Files/Report.pdf":
			if r.URL.Query().Get("t") != "42" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/pdf")
			_, _ = w.Write(pdf)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	r := parseRecipe(t, srv.URL, `
  - get: {url: 'Landing.aspx'}
  - follow: {required: true}
  - download: {url: '${follow.url}'}
  - validate: {}
`)
	f, _ := fetch.New(fetch.Config{})
	doc, err := f.Fetch(t.Context(), fetch.Job{Recipe: r})
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	if !bytes.Equal(doc.Body, pdf) || !strings.HasSuffix(doc.FinalURL, "/Files/Report.pdf?t=42") {
		t.Fatalf("document: %d bytes from %s", len(doc.Body), doc.FinalURL)
	}
}

func TestMACFailuresOfASPNETAndMonoAreSessionExpired(t *testing.T) {
	t.Parallel()
	for name, page := range map[string]struct {
		status int
		body   string
	}{
		"mono": {500, `<html><head><title>Unable to validate data.</title></head><body><h2>Server Error in '/' Application</h2><p>Unable to validate data.</p><pre>System.Web.HttpException: Unable to validate data.
  at System.Web.Configuration.MachineKeySectionUtils.Verify</pre></body></html>`},
		"invalid viewstate": {500, `<html><body><h2>Invalid viewstate.</h2></body></html>`},
		"padding":           {500, `<html><body>System.Security.Cryptography.CryptographicException: Padding is invalid and cannot be removed.</body></html>`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(page.status)
				_, _ = w.Write([]byte(page.body))
			}))
			defer srv.Close()
			r := parseRecipe(t, srv.URL, `
  - get: {url: 'Search.aspx'}
  - download: {url: 'doc.pdf'}
`)
			f, _ := fetch.New(fetch.Config{})
			_, err := f.Fetch(t.Context(), fetch.Job{Recipe: r})
			wantFailure(t, err, fetch.ClassSessionExpired, "step 1", "view state")
		})
	}
	// The general wordings count only on an error page.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<html><body>FAQ: "Padding is invalid and cannot be removed" means your key is wrong.</body></html>`))
	}))
	defer srv.Close()
	r := parseRecipe(t, srv.URL, `
  - get: {url: 'Faq.aspx'}
  - download: {url: 'doc.pdf'}
`)
	f, _ := fetch.New(fetch.Config{})
	_, err := f.Fetch(t.Context(), fetch.Job{Recipe: r})
	var fl *fetch.Failure
	if err == nil || !errors.As(err, &fl) || fl.Class == fetch.ClassSessionExpired {
		t.Errorf("a 200 page quoting the wording: %v", err)
	}
}

func TestTraceShowsEachRedirectHop(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/Search.aspx" && r.Method == http.MethodGet:
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<html><body><form method="post" action="Search.aspx"><input name="q" value="1"><input type="submit" name="go" value="Go"></form></body></html>`))
		case r.URL.Path == "/Search.aspx":
			http.Redirect(w, r, "/Results.aspx", http.StatusFound)
		case r.URL.Path == "/Results.aspx":
			http.Redirect(w, r, "/Landing.aspx", http.StatusFound)
		case r.URL.Path == "/Landing.aspx":
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<html><body>landing</body></html>`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	r := parseRecipe(t, srv.URL, `
  - get: {url: 'Search.aspx'}
  - submit: {click: go}
  - download: {url: 'doc.pdf'}
`)
	var trace bytes.Buffer
	f, _ := fetch.New(fetch.Config{})
	_, _ = f.Fetch(t.Context(), fetch.Job{Recipe: r, Trace: fetch.TextTrace(&trace)})
	out := trace.String()
	for _, want := range []string{
		"POST " + srv.URL + "/Search.aspx -> 302, redirect to " + srv.URL + "/Results.aspx",
		"GET " + srv.URL + "/Results.aspx -> 302, redirect to " + srv.URL + "/Landing.aspx",
		"GET " + srv.URL + "/Landing.aspx -> 200",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "POST "+srv.URL+"/Landing.aspx") {
		t.Errorf("trace names the POST with the final URL:\n%s", out)
	}
}
