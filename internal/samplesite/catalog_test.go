package samplesite

import (
	"bytes"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestCatalogServesEveryDocumentByItsOwnAPINumber(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(Documents(), "*.pdf")
	if err != nil || len(files) < 10 {
		t.Fatalf("catalog documents: %v %v", files, err)
	}
	records := CatalogRecords(2 * len(files))
	site, err := New(Config{Documents: Documents(), Records: records})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, r := range records {
		if r.APINumber != CatalogAPINumber(i) || seen[r.APINumber] {
			t.Fatalf("record %d: API number %q", i, r.APINumber)
		}
		seen[r.APINumber] = true
		if got := site.search(r.APINumber, "ALL"); len(got) != 1 || got[0] != r.ID {
			t.Fatalf("search %s = %v, want [%s]", r.APINumber, got, r.ID)
		}
		doc, ok := site.Document(r.ID)
		want, _ := fs.ReadFile(Documents(), r.File)
		if !ok || !bytes.Equal(doc, want) {
			t.Fatalf("record %s serves another document than %s", r.ID, r.File)
		}
	}
	if records[0].File == records[1].File || records[0].File != records[len(files)].File {
		t.Error("records do not take the documents in turn")
	}
}

func TestStatsCountTheBusiestSecond(t *testing.T) {
	t.Parallel()
	var c rateCounter
	t0 := time.Unix(1000, 0)
	for i := range 5 { // 5 requests 100ms apart
		c.observe(t0.Add(time.Duration(i) * 100 * time.Millisecond))
	}
	for i := range 3 { // a pause, then 3 requests within 20ms
		c.observe(t0.Add(3*time.Second + time.Duration(i)*10*time.Millisecond))
	}
	if got := c.snapshot(); got.Requests != 8 || got.MaxPerSecond != 5 {
		t.Fatalf("stats = %+v, want 8 requests, at most 5 in one second", got)
	}
	c.observe(t0.Add(3*time.Second + 990*time.Millisecond)) // still within the second of the 3
	c.observe(t0.Add(4*time.Second + 5*time.Millisecond))   // the first of the 3 has left the window
	if got := c.snapshot(); got.MaxPerSecond != 5 {
		t.Fatalf("max per second = %d, want 5", got.MaxPerSecond)
	}

	site, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(site)
	defer srv.Close()
	for range 3 {
		resp, err := http.Get(srv.URL + site.SearchURL())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if got := site.Stats(); got.Requests != 3 || got.MaxPerSecond < 1 {
		t.Fatalf("site stats = %+v", got)
	}
}
