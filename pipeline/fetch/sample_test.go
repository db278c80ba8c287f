package fetch_test

import (
	"github.com/quarry-dev/quarry/messages"

	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/internal/samplesite"
	"github.com/quarry-dev/quarry/pipeline/fetch"
	"github.com/quarry-dev/quarry/pipeline/fetch/recipe"
	"github.com/quarry-dev/quarry/pipeline/fetch/recipes"
)

// corpus is where the sample site takes its PDFs from in tests: the
// extraction test corpus.
const corpus = "../extract/testdata/libreoffice"

// testBundle is what a sample-site test works with: the site, a recipe
// for it and a fetcher.
type testBundle struct {
	site    *samplesite.Site
	srv     *httptest.Server
	recipe  *recipe.Recipe
	fetcher *fetch.Fetcher
}

// setup starts a sample site configured by cfg and loads the sample recipe
// with short limits, changed further by tweak.
func setup(t *testing.T, cfg samplesite.Config, tweak func(r *recipe.Recipe)) *testBundle {
	t.Helper()
	if cfg.Documents == nil {
		cfg.Documents = os.DirFS(corpus)
	}
	site, err := samplesite.New(cfg)
	if err != nil {
		t.Fatalf("samplesite.New: %v", err)
	}
	srv := httptest.NewServer(site)
	t.Cleanup(func() {
		_ = site.Close() // release hanging handlers before the server waits for them
		srv.Close()
	})
	r := sampleRecipe(t)
	r.Politeness.MinInterval = recipe.Duration(5 * time.Millisecond)
	r.Limits.StepTimeout = recipe.Duration(3 * time.Second)
	r.Limits.FlowTimeout = recipe.Duration(15 * time.Second)
	r.Politeness.SessionLease = recipe.Duration(time.Minute)
	if tweak != nil {
		tweak(r)
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("tweaked recipe: %v", err)
	}
	f, err := fetch.New(fetch.Config{AllowPrivateNetworks: true, RetryDelay: 7 * time.Second})
	if err != nil {
		t.Fatalf("fetch.New: %v", err)
	}
	return &testBundle{site: site, srv: srv, recipe: r, fetcher: f}
}

func sampleRecipe(t testing.TB) *recipe.Recipe {
	t.Helper()
	data, err := recipes.Sample()
	if err != nil {
		t.Fatalf("read sample recipe: %v", err)
	}
	r, err := recipe.Parse(data)
	if err != nil {
		t.Fatalf("parse sample recipe: %v", err)
	}
	return r
}

func (b *testBundle) fetch(ctx context.Context, key string) (*fetch.Document, error) {
	return b.fetcher.Fetch(ctx, fetch.Job{
		Recipe:  b.recipe,
		Inputs:  map[string]string{"key": key},
		BaseURL: b.srv.URL + samplesite.DefaultBasePath,
	})
}

// stepByID returns the step with id.
func stepByID(t testing.TB, r *recipe.Recipe, id string) *recipe.Step {
	t.Helper()
	for i := range r.Steps {
		if r.Steps[i].ID == id {
			return &r.Steps[i]
		}
	}
	t.Fatalf("no step %q", id)
	return nil
}

// wantFailure checks that err is a classified failure of class, with the
// outcome its class calls for, at the step named by step, and with a reason
// containing reason.
func wantFailure(t *testing.T, err error, class fetch.Class, step, reason string) *fetch.Failure {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want a %s failure", class)
	}
	var f *fetch.Failure
	if !errors.As(err, &f) {
		t.Fatalf("error %v (%T) is not a *fetch.Failure", err, err)
	}
	if f.Class != class {
		t.Fatalf("class: got %s, want %s; error: %v", f.Class, class, err)
	}
	var perm *messages.PermanentError
	var retry *messages.RetryAfterError
	switch {
	case class.Retryable() && !errors.As(err, &retry):
		t.Errorf("retryable %s failure is not a RetryAfterError: %T", class, err)
	case !class.Retryable() && !errors.As(err, &perm):
		t.Errorf("permanent %s failure is not a PermanentError: %T", class, err)
	}
	if !strings.Contains(f.Step, step) {
		t.Errorf("step: got %q, want it to contain %q; error: %v", f.Step, step, err)
	}
	if !strings.Contains(err.Error(), reason) {
		t.Errorf("error %q does not contain %q", err, reason)
	}
	return f
}

func TestSampleRecipeFetchesTheRightPDF(t *testing.T) {
	t.Parallel()
	b := setup(t, samplesite.Config{}, nil)
	want := map[string]string{}
	for _, rec := range b.site.Records() {
		want[rec.APINumber] = rec.ID
	}
	for _, key := range []string{"42-501-20130", "42-501-20131", "42-003-31415", "30-015-42424"} {
		t.Run(key, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			doc, err := b.fetch(ctx, key)
			if err != nil {
				t.Fatalf("Fetch(%s): %v", key, err)
			}
			body, _ := b.site.Document(want[key])
			if !bytes.Equal(doc.Body, body) {
				t.Fatalf("Fetch(%s): got %d bytes, not the record's PDF (%d bytes)", key, len(doc.Body), len(body))
			}
			if doc.Filename != key+".pdf" || doc.ContentType != "application/pdf" || doc.Size != int64(len(body)) {
				t.Errorf("metadata: filename %q, type %q, size %d", doc.Filename, doc.ContentType, doc.Size)
			}
			if !strings.Contains(doc.FinalURL, "/WellData/Documents/Download.aspx?doc=") {
				t.Errorf("final URL: got %s", doc.FinalURL)
			}
			if doc.Recipe != "sample-records" || doc.RecipeVersion != 1 || doc.Attempts != 1 || len(doc.SHA256) != 64 {
				t.Errorf("provenance: %s v%d, %d attempts, sha %q", doc.Recipe, doc.RecipeVersion, doc.Attempts, doc.SHA256)
			}
		})
	}
}

func TestSampleRecipeWithGeneratedPDFs(t *testing.T) {
	t.Parallel()
	site, err := samplesite.New(samplesite.Config{DownloadDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(site)
	defer srv.Close()
	r := sampleRecipe(t)
	r.Politeness.MinInterval = recipe.Duration(time.Millisecond)
	var verbose bytes.Buffer
	doc, err := fetch.RunOnce(t.Context(), r, "42-501-20130", fetch.RunOptions{
		BaseURL: srv.URL + samplesite.DefaultBasePath,
		Dev:     true,
		Verbose: &verbose,
	})
	if err != nil {
		t.Fatalf("RunOnce: %v\n%s", err, verbose.String())
	}
	if !bytes.HasPrefix(doc.Body, []byte("%PDF-1.4")) || !bytes.Contains(doc.Body, []byte("42-501-20130")) {
		t.Errorf("got %q, want the generated PDF for the record", doc.Body[:min(len(doc.Body), 80)])
	}
	for _, want := range []string{`step 1 (get "open"): ok`, `step 3 (pick "row"): ok`, "postback ctl00$Main$gvResults(Select$0)", "JavaScript to", "GET " + srv.URL + "/WellData/Documents/Download.aspx", `step 8 (validate): ok`} {
		if !strings.Contains(verbose.String(), want) {
			t.Errorf("verbose output lacks %q:\n%s", want, verbose.String())
		}
	}
}

func TestSampleRecipeFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    samplesite.Config
		tweak  func(t *testing.T, r *recipe.Recipe)
		key    string
		class  fetch.Class
		step   string
		reason string
		within time.Duration
	}{
		{
			name: "missing record", key: samplesite.MissingAPINumber,
			class: fetch.ClassNotFound, step: `step 3 (pick "row")`, reason: `no row of table#ctl00_Main_gvResults matches column "API Number" = "4200000000"`,
		},
		{
			name: "two matching rows", key: "42-227-00007",
			class: fetch.ClassAmbiguous, step: `step 3 (pick "row")`, reason: "2 rows of table#ctl00_Main_gvResults match",
		},
		{
			name: "view state from another server", cfg: samplesite.Config{Fault: samplesite.FaultForeignViewState}, key: "42-501-20130",
			class: fetch.ClassSessionExpired, step: `step 2 (submit "search")`, reason: "Validation of viewstate MAC failed",
		},
		{
			name: "tampered view state", key: "42-501-20130",
			tweak: func(t *testing.T, r *recipe.Recipe) {
				tmpl, err := recipe.ParseTemplate("dGFtcGVyZWQ=")
				if err != nil {
					t.Fatal(err)
				}
				stepByID(t, r, "search").Submit.Fields["__VIEWSTATE"] = tmpl
			},
			class: fetch.ClassSessionExpired, step: `step 2 (submit "search")`, reason: "server rejected the view state",
		},
		{
			name: "event not on the page", key: "42-501-20130",
			tweak: func(t *testing.T, r *recipe.Recipe) {
				tmpl, err := recipe.ParseTemplate("Select$99")
				if err != nil {
					t.Fatal(err)
				}
				stepByID(t, r, "select").Postback.Argument = tmpl
			},
			class: fetch.ClassEventValidation, step: `step 4 (postback "select")`, reason: "Invalid postback or callback argument",
		},
		{
			name: "expired session", cfg: samplesite.Config{SessionIdleTimeout: 150 * time.Millisecond}, key: "42-501-20130",
			class: fetch.ClassSessionExpired, step: `step 7 (download "pdf")`, reason: "session expired",
		},
		{
			name: "download too soon, 429", key: "42-501-20130",
			cfg:   samplesite.Config{DownloadDelay: 3 * time.Second},
			class: fetch.ClassThrottled, step: `step 7 (download "pdf")`, reason: "429 Too Many Requests, retry after 3s",
		},
		{
			name: "download too soon, please-wait page", key: "42-501-20130",
			cfg:   samplesite.Config{DownloadDelay: 3 * time.Second, TooSoon: samplesite.TooSoonPage},
			class: fetch.ClassThrottled, step: `step 7 (download "pdf")`, reason: "site asks to wait",
		},
		{
			name: "HTML served as application/pdf", cfg: samplesite.Config{Fault: samplesite.FaultHTMLAsPDF}, key: "42-501-20130",
			class: fetch.ClassNotPDF, step: "step 8 (validate)", reason: `no %PDF- header in the first 1024 bytes: the body is an HTML page titled "Document"`,
		},
		{
			name: "HTTP redirect loop", cfg: samplesite.Config{Fault: samplesite.FaultRedirectLoop}, key: "42-501-20130",
			class: fetch.ClassRedirectLoop, step: `step 7 (download "pdf")`, reason: "redirect loop: redirected 11 times",
		},
		{
			name: "JavaScript redirect loop", cfg: samplesite.Config{Fault: samplesite.FaultJSRedirectLoop}, key: "42-501-20130",
			class: fetch.ClassRedirectLoop, step: `step 5 (follow "landing")`, reason: "still redirecting after 3 client-side redirects",
		},
		{
			name: "server never answers", cfg: samplesite.Config{Fault: samplesite.FaultHang}, key: "42-501-20130",
			tweak: func(t *testing.T, r *recipe.Recipe) {
				stepByID(t, r, "pdf").Timeout = recipe.Duration(500 * time.Millisecond)
			},
			class: fetch.ClassNetwork, step: `step 7 (download "pdf")`, reason: "no complete response from 127.0.0.1", within: 5 * time.Second,
		},
		{
			name: "truncated body", cfg: samplesite.Config{Fault: samplesite.FaultTruncated}, key: "42-501-20130",
			class: fetch.ClassTruncated, step: `step 7 (download "pdf")`, reason: "connection closed before the body ended",
		},
		{
			name: "CAPTCHA", cfg: samplesite.Config{Fault: samplesite.FaultCaptcha}, key: "42-501-20130",
			class: fetch.ClassBlocked, step: `step 1 (get "open")`, reason: "CAPTCHA or firewall page",
		},
		{
			name: "503 with Retry-After", cfg: samplesite.Config{Fault: samplesite.FaultUnavailable}, key: "42-501-20130",
			class: fetch.ClassThrottled, step: `step 1 (get "open")`, reason: "503 Service Unavailable, retry after 2s",
		},
		{
			name: "input fails the pattern", key: "4250120130",
			class: fetch.ClassInvalidInput, step: "", reason: `input key="4250120130" does not match pattern`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tt.cfg, func(r *recipe.Recipe) {
				if tt.tweak != nil {
					tt.tweak(t, r)
				}
			})
			within := cmpOr(tt.within, 12*time.Second)
			ctx, cancel := context.WithTimeout(t.Context(), within)
			defer cancel()
			start := time.Now()
			_, err := b.fetch(ctx, tt.key)
			if ctx.Err() != nil {
				t.Fatalf("took longer than %s: %v", within, err)
			}
			f := wantFailure(t, err, tt.class, tt.step, tt.reason)
			t.Logf("%s in %s: %v", tt.name, time.Since(start).Round(time.Millisecond), f)
		})
	}
}

func TestSampleRecipeRetryAfterDelay(t *testing.T) {
	t.Parallel()
	b := setup(t, samplesite.Config{DownloadDelay: 3 * time.Second}, nil)
	_, err := b.fetch(t.Context(), "42-501-20130")
	var retry *messages.RetryAfterError
	if !errors.As(err, &retry) || retry.Delay != 3*time.Second {
		t.Fatalf("got %v, want RetryAfter(3s) from the site's Retry-After", err)
	}
	b2 := setup(t, samplesite.Config{Fault: samplesite.FaultHTMLAsPDF}, nil)
	_, err = b2.fetch(t.Context(), "42-501-20130")
	if !messages.IsPermanent(err) {
		t.Fatalf("HTML as PDF: got %v, want a permanent error", err)
	}
}

func TestSampleRecipeSessionRestartCountsAttempts(t *testing.T) {
	t.Parallel()
	b := setup(t, samplesite.Config{SessionIdleTimeout: 150 * time.Millisecond}, func(r *recipe.Recipe) {
		r.Limits.MaxFlowAttempts = 3
	})
	var attempts []int
	_, err := b.fetcher.Fetch(t.Context(), fetch.Job{
		Recipe: b.recipe, Inputs: map[string]string{"key": "42-501-20130"}, BaseURL: b.srv.URL + samplesite.DefaultBasePath,
		Trace: func(e fetch.StepEvent) {
			if e.StepDone && e.Kind == recipe.KindGet {
				attempts = append(attempts, e.Attempt)
			}
		},
	})
	wantFailure(t, err, fetch.ClassSessionExpired, "download", "session expired")
	if len(attempts) != 3 || attempts[2] != 3 {
		t.Errorf("flows started: got attempts %v, want 1, 2, 3 (a fresh session each)", attempts)
	}
}

// TestSampleRecipeHugeBody runs alone: it reads the process's allocation
// total, which other tests' work would add to.
func TestSampleRecipeHugeBody(t *testing.T) {
	for _, fault := range []samplesite.Fault{samplesite.FaultHugeBody, samplesite.FaultHugeBodyDeclared} {
		t.Run(string(fault), func(t *testing.T) {
			b := setup(t, samplesite.Config{Fault: fault}, func(r *recipe.Recipe) {
				stepByID(t, r, "pdf").Download.MaxBytes = 8 << 20
			})
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := b.fetch(t.Context(), "42-501-20130")
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			wantFailure(t, err, fetch.ClassTooLarge, `step 7 (download "pdf")`, "over the limit of 8388608 bytes")
			sent := b.site.HugeBytesSent()
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: failed in %s; site sent %d MiB of 100; this test allocated %d MiB", fault, took.Round(time.Millisecond), sent>>20, allocated>>20)
			if sent > 40<<20 {
				t.Errorf("the site sent %d MiB: the client kept reading past its 8 MiB limit", sent>>20)
			}
			if allocated > 80<<20 {
				t.Errorf("allocated %d MiB while refusing a 100 MiB body with an 8 MiB cap", allocated>>20)
			}
			if took > 10*time.Second {
				t.Errorf("took %s", took)
			}
		})
	}
}

func TestCancellationIsNotAFailure(t *testing.T) {
	t.Parallel()
	b := setup(t, samplesite.Config{}, func(r *recipe.Recipe) {
		stepByID(t, r, "pdf").Timeout = 0
		for i := range r.Steps {
			if r.Steps[i].Wait != nil {
				r.Steps[i].Wait.Min, r.Steps[i].Wait.Max = recipe.Duration(10*time.Second), recipe.Duration(10*time.Second)
			}
		}
	})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := b.fetch(ctx, "42-501-20130")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	var f *fetch.Failure
	if errors.As(err, &f) || messages.IsPermanent(err) {
		t.Errorf("cancellation was classified as a failure: %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("cancel took %s to take effect", took)
	}
}

func TestPrivateAddressRefusedWithoutDevMode(t *testing.T) {
	t.Parallel()
	b := setup(t, samplesite.Config{}, nil)
	f, err := fetch.New(fetch.Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Fetch(t.Context(), fetch.Job{Recipe: b.recipe, Inputs: map[string]string{"key": "42-501-20130"}, BaseURL: b.srv.URL + "/WellData/"})
	wantFailure(t, err, fetch.ClassPolicy, `step 1 (get "open")`, "refused to connect to 127.0.0.1 (loopback)")
}

func TestOffsiteHostsRefused(t *testing.T) {
	t.Parallel()
	hits := make(chan string, 10)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits <- r.URL.Path
		w.Write([]byte("<html></html>"))
	}))
	defer other.Close()
	// The redirecting site is reached as 127.0.0.1, the other host as
	// localhost, which the recipe does not declare.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherURL+"/stolen", http.StatusFound)
	}))
	defer redirector.Close()

	for _, tc := range []struct{ name, url string }{
		{"redirect", redirector.URL + "/start"},
		{"direct", otherURL + "/direct"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := recipe.Parse([]byte(`
recipe: offsite
version: 1
site: {base_url: '` + redirector.URL + `/', allowed_hosts: [127.0.0.1], allow_private_networks: true}
politeness: {min_interval: 1ms}
steps:
  - get: {url: '` + tc.url + `'}
  - download: {url: 'x.pdf'}
`))
			if err != nil {
				t.Fatal(err)
			}
			f, _ := fetch.New(fetch.Config{})
			_, err = f.Fetch(t.Context(), fetch.Job{Recipe: r})
			wantFailure(t, err, fetch.ClassPolicy, "step 1 (get)", `host "localhost:`)
		})
	}
	select {
	case p := <-hits:
		t.Errorf("the undeclared host was reached: %s", p)
	default:
	}
}

func cmpOr(a, b time.Duration) time.Duration {
	if a != 0 {
		return a
	}
	return b
}

func TestUnvalidatedRecipeIsRefused(t *testing.T) {
	t.Parallel()
	f, _ := fetch.New(fetch.Config{})
	_, err := f.Fetch(t.Context(), fetch.Job{Recipe: &recipe.Recipe{Name: "raw"}})
	wantFailure(t, err, fetch.ClassRecipeBroken, "", "was not validated")
	_, err = f.Fetch(t.Context(), fetch.Job{})
	wantFailure(t, err, fetch.ClassRecipeBroken, "", "no recipe")
}
