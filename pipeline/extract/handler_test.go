package extract

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	"github.com/xuri/excelize/v2"

	"github.com/quarry-dev/quarry/messages"
)

// memBlobs is an in-memory BlobStore; getErr and putErr, when set, fail
// the calls they return an error for.
type memBlobs struct {
	getErr func(key string) error
	putErr func(key string) error

	mu      sync.Mutex // guards objects and meta
	objects map[string][]byte
	meta    map[string]map[string]string
}

func newMemBlobs() *memBlobs {
	return &memBlobs{objects: map[string][]byte{}, meta: map[string]map[string]string{}}
}

func (m *memBlobs) Get(_ context.Context, key string) (io.ReadCloser, error) {
	if m.getErr != nil {
		if err := m.getErr(key); err != nil {
			return nil, err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objects[key]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", key, fs.ErrNotExist)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memBlobs) Put(_ context.Context, key string, body io.Reader, meta map[string]string) error {
	if m.putErr != nil {
		if err := m.putErr(key); err != nil {
			return err
		}
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[key] = b
	m.meta[key] = meta
	return nil
}

func (m *memBlobs) keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ks []string
	for k := range m.objects {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func (m *memBlobs) get(t testing.TB, key string) []byte {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objects[key]
	if !ok {
		t.Fatalf("blob %q was not written", key)
	}
	return b
}

// funcPublisher records published jobs; err, when set, fails Publish.
type funcPublisher struct {
	err func(messages.Job) error

	mu   sync.Mutex // guards jobs
	jobs []messages.Job
}

func (p *funcPublisher) Publish(_ context.Context, job messages.Job) (string, error) {
	if p.err != nil {
		if err := p.err(job); err != nil {
			return "", err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.jobs = append(p.jobs, job)
	return "msg-" + job.ID, nil
}

func (p *funcPublisher) published() []messages.Job {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.jobs)
}

type handlerBundle struct {
	blobs *memBlobs
	pub   *funcPublisher
}

func setupHandler(t *testing.T, cfg HandlerConfig) (*Handler, *handlerBundle) {
	t.Helper()
	b := &handlerBundle{blobs: newMemBlobs(), pub: &funcPublisher{}}
	cfg.Blobs, cfg.Publisher = b.blobs, b.pub
	cfg.Logger = zerolog.New(zerolog.NewTestWriter(t))
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	return h, b
}

func libreOfficePDF(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "libreoffice", name+".pdf"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func expectedTables(t testing.TB, name string) [][][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "libreoffice", name+".expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Tables [][][]string `json:"tables"`
	}
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatal(err)
	}
	return exp.Tables
}

func extractJob(t testing.TB, p messages.ExtractTables) messages.Job {
	t.Helper()
	job, err := messages.NewJob(messages.TypeExtractTables, p)
	if err != nil {
		t.Fatalf("NewJob: %v", err)
	}
	return job
}

func decodeResult(t testing.TB, body []byte) HandlerResult {
	t.Helper()
	var r HandlerResult
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("result %s: %v", body, err)
	}
	return r
}

func readCSV(t testing.TB, data []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v", err)
	}
	return rows
}

func TestHandlerWritesEveryFormatAndNotifies(t *testing.T) {
	t.Parallel()
	h, b := setupHandler(t, HandlerConfig{})
	b.blobs.objects["jobs/01/two_tables.pdf"] = libreOfficePDF(t, "two_tables")
	job := extractJob(t, messages.ExtractTables{
		PDFKey:  "jobs/01/two_tables.pdf",
		Formats: []string{"xlsx", "json", "csv"},
		Notify:  &messages.NotifyOptions{Recipients: []string{"jane@example.org"}, Template: "tables_ready"},
	})
	body, err := h.Handle(t.Context(), job)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	want := HandlerResult{
		Tables: 2, Pages: 1,
		Keys: []string{
			"jobs/01/two_tables.tables/t1.csv", "jobs/01/two_tables.tables/t2.csv",
			"jobs/01/two_tables.tables/tables.json", "jobs/01/two_tables.tables/tables.xlsx",
		},
	}
	childID, err := messages.ChildID(job.ID, messages.TypeNotifyEmail)
	if err != nil {
		t.Fatal(err)
	}
	want.NotifyJobID = childID
	if got := decodeResult(t, body); !reflect.DeepEqual(got, want) {
		t.Fatalf("result = %+v, want %+v", got, want)
	}
	wantBlobs := append([]string{"jobs/01/two_tables.pdf"}, want.Keys...)
	if got := b.blobs.keys(); !reflect.DeepEqual(got, wantBlobs) {
		t.Fatalf("blobs = %v, want %v", got, wantBlobs)
	}

	exp := expectedTables(t, "two_tables")
	for i, key := range want.Keys[:2] {
		if got := readCSV(t, b.blobs.get(t, key)); !reflect.DeepEqual(got, exp[i]) {
			t.Errorf("%s = %v, want %v", key, got, exp[i])
		}
		if m := b.blobs.meta[key]; m["job-id"] != job.ID || m["source-key"] != "jobs/01/two_tables.pdf" {
			t.Errorf("%s metadata = %v", key, m)
		}
	}
	var doc struct {
		Tables []struct {
			Pages []int      `json:"pages"`
			BBox  []float64  `json:"bbox"`
			Rows  [][]string `json:"rows"`
			Spans [][]int    `json:"spans"`
		} `json:"tables"`
	}
	if err := json.Unmarshal(b.blobs.get(t, want.Keys[2]), &doc); err != nil {
		t.Fatalf("tables.json: %v", err)
	}
	if len(doc.Tables) != 2 || !reflect.DeepEqual(doc.Tables[1].Rows, exp[1]) || len(doc.Tables[0].BBox) != 4 || doc.Tables[0].Spans == nil {
		t.Errorf("tables.json = %+v", doc)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b.blobs.get(t, want.Keys[3])))
	if err != nil {
		t.Fatalf("tables.xlsx: %v", err)
	}
	defer f.Close()
	if sheets := f.GetSheetList(); !reflect.DeepEqual(sheets, []string{"Table 1", "Table 2"}) {
		t.Errorf("sheets = %v", sheets)
	}

	jobs := b.pub.published()
	if len(jobs) != 1 {
		t.Fatalf("published %d jobs, want 1", len(jobs))
	}
	child := jobs[0]
	if child.ID != childID || child.Type != messages.TypeNotifyEmail || child.ParentID != job.ID {
		t.Errorf("child = %+v", child)
	}
	var n messages.NotifyEmail
	if err := child.DecodePayload(&n); err != nil {
		t.Fatalf("child payload: %v", err)
	}
	wantAttach := []string{want.Keys[3], want.Keys[2], want.Keys[0], want.Keys[1]}
	if !reflect.DeepEqual(n.Attachments, wantAttach) || !reflect.DeepEqual(n.Recipients, []string{"jane@example.org"}) || n.Template != "tables_ready" {
		t.Errorf("notify payload = %+v", n)
	}
	if n.TemplateData["tables"] != float64(2) || n.TemplateData["pdf_key"] != "jobs/01/two_tables.pdf" {
		t.Errorf("template data = %v", n.TemplateData)
	}
}

func TestHandlerRetryRepeatsOutputsAndChild(t *testing.T) {
	t.Parallel()
	h, b := setupHandler(t, HandlerConfig{})
	b.blobs.objects["in/doc.pdf"] = libreOfficePDF(t, "merged_header")
	failOnce := true
	b.pub.err = func(messages.Job) error {
		if failOnce {
			failOnce = false
			return errors.New("sns: throttled")
		}
		return nil
	}
	job := extractJob(t, messages.ExtractTables{
		PDFKey: "in/doc.pdf",
		Notify: &messages.NotifyOptions{Recipients: []string{"a@example.org"}, Template: "t"},
	})
	_, err := h.Handle(t.Context(), job)
	if err == nil || messages.IsPermanent(err) || !strings.Contains(err.Error(), "sns: throttled") {
		t.Fatalf("first attempt err = %v, want a retryable publish error", err)
	}
	first := slices.Clone(b.blobs.get(t, "in/doc.tables/tables.json"))
	body, err := h.Handle(t.Context(), job)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if !bytes.Equal(first, b.blobs.get(t, "in/doc.tables/tables.json")) {
		t.Error("the retry wrote a different tables.json")
	}
	body2, err := h.Handle(t.Context(), job)
	if err != nil || !bytes.Equal(body, body2) {
		t.Fatalf("third run: %s, %v; want %s", body2, err, body)
	}
	jobs := b.pub.published()
	if len(jobs) != 2 || jobs[0].ID != jobs[1].ID || !bytes.Equal(jobs[0].Payload, jobs[1].Payload) {
		t.Fatalf("children = %+v, want the same child twice", jobs)
	}
	// Default formats: csv and json, no workbook.
	if got := b.blobs.keys(); !reflect.DeepEqual(got, []string{"in/doc.pdf", "in/doc.tables/t1.csv", "in/doc.tables/tables.json"}) {
		t.Errorf("blobs = %v", got)
	}
}

func TestHandlerPagesAndStitching(t *testing.T) {
	t.Parallel()
	exp := expectedTables(t, "multipage")[0]
	for _, tc := range []struct {
		pages     string
		wantPages []int
	}{
		{"", []int{1, 2, 3}},
		{"2-", []int{2, 3}},
		{"3,1", []int{1, 3}}, // not consecutive: two tables
		{"2", []int{2}},
	} {
		t.Run(cmpName(tc.pages), func(t *testing.T) {
			t.Parallel()
			h, b := setupHandler(t, HandlerConfig{})
			b.blobs.objects["m.pdf"] = libreOfficePDF(t, "multipage")
			body, err := h.Handle(t.Context(), extractJob(t, messages.ExtractTables{PDFKey: "m.pdf", Pages: tc.pages, Formats: []string{"json"}}))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if r := decodeResult(t, body); r.Pages != 3 || len(r.FailedPages) != 0 || !reflect.DeepEqual(r.Keys, []string{"m.tables/tables.json"}) {
				t.Fatalf("result = %+v", r)
			}
			var doc struct {
				Tables []struct {
					Pages []int      `json:"pages"`
					Rows  [][]string `json:"rows"`
				} `json:"tables"`
			}
			if err := json.Unmarshal(b.blobs.get(t, "m.tables/tables.json"), &doc); err != nil {
				t.Fatal(err)
			}
			var pages []int
			for _, tb := range doc.Tables {
				pages = append(pages, tb.Pages...)
				if !reflect.DeepEqual(tb.Rows[0], exp[0]) {
					t.Errorf("table on pages %v starts with %v, want the header %v", tb.Pages, tb.Rows[0], exp[0])
				}
			}
			if !reflect.DeepEqual(pages, tc.wantPages) {
				t.Errorf("tables on pages %v, want %v", pages, tc.wantPages)
			}
			if tc.pages == "" && (len(doc.Tables) != 1 || !reflect.DeepEqual(doc.Tables[0].Rows, exp)) {
				t.Errorf("whole document: %d tables, want the one stitched table of %d rows", len(doc.Tables), len(exp))
			}
		})
	}
}

func cmpName(pages string) string {
	if pages == "" {
		return "all"
	}
	return pages
}

func TestHandlerPartialPageFailure(t *testing.T) {
	t.Parallel()
	h, b := setupHandler(t, HandlerConfig{Limits: Limits{MaxDepth: 50}})
	b.blobs.objects["p.pdf"] = buildPDF(gridContent(wells), strings.Repeat("q ", 500), gridContent(wells))
	body, err := h.Handle(t.Context(), extractJob(t, messages.ExtractTables{PDFKey: "p.pdf"}))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if r := decodeResult(t, body); r.Tables != 2 || !reflect.DeepEqual(r.FailedPages, []int{2}) {
		t.Fatalf("result = %+v, want 2 tables and page 2 failed", r)
	}
	if js := string(b.blobs.get(t, "p.tables/tables.json")); !strings.Contains(js, `"errors":[{"page":2,"error":`) || !strings.Contains(js, "MaxDepth") {
		t.Errorf("tables.json does not report page 2: %s", js)
	}
}

func TestHandlerPermanentFailures(t *testing.T) {
	t.Parallel()
	locked := encrypt(t, buildPDF(gridContent(wells)), "secret", "owner")
	for _, tc := range []struct {
		name    string
		blob    []byte // at doc.pdf; nil means no blob
		pages   string
		cfg     HandlerConfig
		wantErr []string
	}{
		{"missing blob", nil, "", HandlerConfig{}, []string{`"doc.pdf"`, "not in the blob store"}},
		{"not a pdf", []byte("<html>login required</html>"), "", HandlerConfig{}, []string{`"doc.pdf"`, "not a PDF"}},
		{"empty file", []byte{}, "", HandlerConfig{}, []string{`"doc.pdf"`, "empty"}},
		{"encrypted", locked, "", HandlerConfig{}, []string{`"doc.pdf"`, "user password"}},
		{"object limit", buildPDF("", "", ""), "", HandlerConfig{Limits: Limits{MaxObjects: 4}}, []string{`"doc.pdf"`, "over a limit", "MaxObjects"}},
		{"every page over a limit", buildPDF(strings.Repeat("q ", 500)), "", HandlerConfig{Limits: Limits{MaxDepth: 50}}, []string{"no selected page could be read", "page 1", "MaxDepth"}},
		{"pages out of range", buildPDF(gridContent(wells)), "4-", HandlerConfig{}, []string{"no selected page could be read", "page 4", "out of range"}},
		{"too large", buildPDF(gridContent(wells)), "", HandlerConfig{MaxPDFBytes: 100}, []string{`"doc.pdf"`, "MaxPDFBytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, b := setupHandler(t, tc.cfg)
			if tc.blob != nil {
				b.blobs.objects["doc.pdf"] = tc.blob
			}
			_, err := h.Handle(t.Context(), extractJob(t, messages.ExtractTables{
				PDFKey: "doc.pdf", Pages: tc.pages,
				Notify: &messages.NotifyOptions{Recipients: []string{"a@example.org"}, Template: "t"},
			}))
			if !messages.IsPermanent(err) {
				t.Fatalf("err = %v, want a permanent error", err)
			}
			t.Logf("reason: %v", err)
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want it to mention %q", err, w)
				}
			}
			if ks := b.blobs.keys(); len(ks) > 1 {
				t.Errorf("blobs written: %v", ks)
			}
			if n := len(b.pub.published()); n != 0 {
				t.Errorf("published %d jobs", n)
			}
		})
	}
}

func TestHandlerBadJobs(t *testing.T) {
	t.Parallel()
	h, _ := setupHandler(t, HandlerConfig{})
	notify, err := messages.NewJob(messages.TypeNotifyEmail, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "t"})
	if err != nil {
		t.Fatal(err)
	}
	bad := extractJob(t, messages.ExtractTables{PDFKey: "doc.pdf"})
	bad.Payload = json.RawMessage(`{"pdf_key":"../etc/passwd"}`)
	for name, job := range map[string]messages.Job{"wrong type": notify, "bad payload": bad} {
		if _, err := h.Handle(t.Context(), job); !messages.IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent", name, err)
		}
	}
}

func TestHandlerTransientFailuresRetry(t *testing.T) {
	t.Parallel()
	storeDown := errors.New("s3: connection reset")
	for _, tc := range []struct {
		name string
		set  func(*handlerBundle)
	}{
		{"get fails", func(b *handlerBundle) { b.blobs.getErr = func(string) error { return storeDown } }},
		{"put fails", func(b *handlerBundle) {
			b.blobs.putErr = func(key string) error {
				if strings.HasSuffix(key, ".json") {
					return storeDown
				}
				return nil
			}
		}},
		{"publish fails", func(b *handlerBundle) { b.pub.err = func(messages.Job) error { return storeDown } }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, b := setupHandler(t, HandlerConfig{})
			b.blobs.objects["doc.pdf"] = libreOfficePDF(t, "price_list")
			tc.set(b)
			_, err := h.Handle(t.Context(), extractJob(t, messages.ExtractTables{
				PDFKey: "doc.pdf",
				Notify: &messages.NotifyOptions{Recipients: []string{"a@example.org"}, Template: "t"},
			}))
			if err == nil || messages.IsPermanent(err) || !errors.Is(err, storeDown) {
				t.Fatalf("err = %v, want a retryable error wrapping the store's", err)
			}
		})
	}
}

func TestHandlerCancelledJobRetries(t *testing.T) {
	t.Parallel()
	h, b := setupHandler(t, HandlerConfig{})
	b.blobs.objects["doc.pdf"] = libreOfficePDF(t, "multipage")
	ctx, cancel := context.WithCancelCause(t.Context())
	stop := errors.New("worker shutting down")
	cancel(stop)
	_, err := h.Handle(ctx, extractJob(t, messages.ExtractTables{PDFKey: "doc.pdf"}))
	if err == nil || messages.IsPermanent(err) || !errors.Is(err, stop) {
		t.Fatalf("err = %v, want a retryable error carrying the cancel cause", err)
	}
}

func TestNewHandlerValidates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  HandlerConfig
		want string
	}{
		{HandlerConfig{Publisher: &funcPublisher{}}, "Blobs"},
		{HandlerConfig{Blobs: newMemBlobs()}, "Publisher"},
		{HandlerConfig{Blobs: newMemBlobs(), Publisher: &funcPublisher{}, MaxPDFBytes: -1}, "MaxPDFBytes"},
	} {
		if _, err := NewHandler(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewHandler err = %v, want one naming %s", err, tc.want)
		}
	}
}

func TestHandlerAttachments(t *testing.T) {
	t.Parallel()
	var keys []string
	for i := range 12 {
		keys = append(keys, fmt.Sprintf("d.tables/t%d.csv", i+1))
	}
	keys = append(keys, "d.tables/tables.json", "d.tables/tables.xlsx")
	got := attachments(keys)
	if len(got) != maxAttachments || got[0] != "d.tables/tables.xlsx" || got[1] != "d.tables/tables.json" || got[2] != "d.tables/t1.csv" {
		t.Errorf("attachments = %v", got)
	}
	if got := attachments([]string{"d.tables/t1.csv"}); !reflect.DeepEqual(got, []string{"d.tables/t1.csv"}) {
		t.Errorf("attachments = %v", got)
	}
}

func TestHandlerOutputKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ pdf, csv1, json string }{
		{"jobs/01J/doc.pdf", "jobs/01J/doc.tables/t1.csv", "jobs/01J/doc.tables/tables.json"},
		{"upload/Report.PDF", "upload/Report.tables/t1.csv", "upload/Report.tables/tables.json"},
		{"noext", "noext.tables/t1.csv", "noext.tables/tables.json"},
	} {
		csvs, js, _ := OutputKeys(tc.pdf, 1)
		if csvs[0] != tc.csv1 || js != tc.json {
			t.Errorf("OutputKeys(%q) = %v, %s; want %s, %s", tc.pdf, csvs, js, tc.csv1, tc.json)
		}
	}
}

func TestExpandPages(t *testing.T) {
	t.Parallel()
	r := func(first, last int) messages.PageRange { return messages.PageRange{First: first, Last: last} }
	for _, tc := range []struct {
		name   string
		ranges []messages.PageRange
		count  int
		want   []int
	}{
		{"closed, count unknown", []messages.PageRange{r(5, 5), r(1, 3), r(2, 2)}, -1, []int{1, 2, 3, 5}},
		{"open-ended", []messages.PageRange{r(2, 0)}, 4, []int{2, 3, 4}},
		{"clipped to the count", []messages.PageRange{r(3, 1_000_000)}, 5, []int{3, 4, 5}},
		{"start past the end kept", []messages.PageRange{r(8, 0)}, 5, []int{8}},
		{"empty document", []messages.PageRange{r(1, 0)}, 0, []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := expandPages(tc.ranges, tc.count); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSelectPagesOpensOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// Closed ranges are listed without opening: even garbage "works", and
	// Document reports the failure later.
	got, err := SelectPages(ctx, []byte("not a pdf"), []messages.PageRange{{First: 1, Last: 2}}, Options{})
	if err != nil || !reflect.DeepEqual(got, []int{1, 2}) {
		t.Errorf("closed: %v, %v", got, err)
	}
	if _, err := SelectPages(ctx, []byte("not a pdf"), []messages.PageRange{{First: 1}}, Options{}); err == nil {
		t.Error("open-ended range on garbage: no error")
	}
	got, err = SelectPages(ctx, libreOfficePDF(t, "multipage"), []messages.PageRange{{First: 2, Last: 999_999}}, Options{})
	if err != nil || !reflect.DeepEqual(got, []int{2, 3}) {
		t.Errorf("large range: %v, %v", got, err)
	}
	if got, err := SelectPages(ctx, nil, nil, Options{}); got != nil || err != nil {
		t.Errorf("no ranges: %v, %v", got, err)
	}
}
