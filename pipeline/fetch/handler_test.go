package fetch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/quarry-dev/quarry/internal/samplesite"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/pipeline/fetch"
	"github.com/quarry-dev/quarry/pipeline/fetch/recipe"
)

type memBlobs struct {
	mu   sync.Mutex
	body map[string][]byte
	meta map[string]map[string]string
	fail error
}

func (m *memBlobs) Put(_ context.Context, key string, body io.Reader, meta map[string]string) error {
	if m.fail != nil {
		return m.fail
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.body[key], m.meta[key] = b, meta
	return nil
}

type recordingPublisher struct {
	mu   sync.Mutex
	jobs []messages.Job
}

func (p *recordingPublisher) Publish(_ context.Context, j messages.Job) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.jobs = append(p.jobs, j)
	return "m-" + j.ID, nil
}

func newHandler(t *testing.T, b *testBundle) (*fetch.Handler, *memBlobs, *recordingPublisher) {
	t.Helper()
	blobs := &memBlobs{body: map[string][]byte{}, meta: map[string]map[string]string{}}
	pub := &recordingPublisher{}
	h, err := fetch.NewHandler(fetch.HandlerConfig{
		Fetcher: b.fetcher, Recipes: map[string]*recipe.Recipe{b.recipe.Name: b.recipe},
		BaseURLs: map[string]string{b.recipe.Name: b.srv.URL + samplesite.DefaultBasePath},
		Blobs:    blobs, Publisher: pub,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h, blobs, pub
}

func fetchJob(t *testing.T, p messages.FetchDocument) messages.Job {
	t.Helper()
	j, err := messages.NewJob(messages.TypeFetchDocument, p)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestHandlerStoresThePDFAndPublishesTheSameExtractChildOnRetry(t *testing.T) {
	b := setup(t, samplesite.Config{}, nil)
	h, blobs, pub := newHandler(t, b)
	rec := b.site.Records()[0]
	job := fetchJob(t, messages.FetchDocument{Recipe: b.recipe.Name, Key: rec.APINumber,
		Extract: &messages.ExtractOptions{Formats: []string{"csv"}}})

	for range 2 { // a retried job stores the same key and publishes the same child
		out, err := h.Handle(context.Background(), job)
		if err != nil {
			t.Fatalf("Handle: %v", err)
		}
		var res fetch.HandlerResult
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatal(err)
		}
		if res.PDFKey != fetch.DocumentKey(job.ID) || res.ExtractJobID == "" {
			t.Fatalf("result = %+v", res)
		}
	}
	want, err := os.ReadFile(corpus + "/" + rec.File)
	if err != nil {
		t.Fatal(err)
	}
	got := blobs.body[fetch.DocumentKey(job.ID)]
	if !bytes.Equal(got, want) {
		t.Fatalf("stored %d bytes, want the %d bytes of %s", len(got), len(want), rec.File)
	}
	meta := blobs.meta[fetch.DocumentKey(job.ID)]
	if meta["recipe"] != b.recipe.Name || meta["recipe-version"] == "" || !strings.Contains(meta["final-url"], "Download") {
		t.Fatalf("metadata = %v", meta)
	}
	if len(pub.jobs) != 2 || pub.jobs[0].ID != pub.jobs[1].ID || pub.jobs[0].Type != messages.TypeExtractTables || pub.jobs[0].ParentID != job.ID {
		t.Fatalf("published %+v", pub.jobs)
	}
	var child messages.ExtractTables
	if err := pub.jobs[0].DecodePayload(&child); err != nil || child.PDFKey != fetch.DocumentKey(job.ID) {
		t.Fatalf("child payload %+v %v", child, err)
	}
}

func TestHandlerFailureClasses(t *testing.T) {
	b := setup(t, samplesite.Config{}, nil)
	h, blobs, _ := newHandler(t, b)
	ctx := context.Background()

	_, err := h.Handle(ctx, fetchJob(t, messages.FetchDocument{Recipe: "no-such-site", Key: "1"}))
	if !messages.IsPermanent(err) || !strings.Contains(err.Error(), "unknown recipe") {
		t.Fatalf("unknown recipe: %v", err)
	}
	_, err = h.Handle(ctx, fetchJob(t, messages.FetchDocument{Recipe: b.recipe.Name, Key: "00-000-00000"}))
	if !messages.IsPermanent(err) {
		t.Fatalf("missing record: %v, want permanent", err)
	}
	blobs.fail = errors.New("s3 is down")
	_, err = h.Handle(ctx, fetchJob(t, messages.FetchDocument{Recipe: b.recipe.Name, Key: b.site.Records()[0].APINumber}))
	if err == nil || messages.IsPermanent(err) || !strings.Contains(err.Error(), "s3 is down") {
		t.Fatalf("storage failure: %v, want a retryable error", err)
	}
}
