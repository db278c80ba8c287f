package fetch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/pipeline/fetch/recipe"
)

// BlobStore stores documents (S3 in production, localaws' S3 in dev).
type BlobStore interface {
	// Put stores body under key with metadata. Putting the same key twice
	// overwrites, so a retried job is harmless.
	Put(ctx context.Context, key string, body io.Reader, meta map[string]string) error
}

// Publisher publishes child jobs (SNS in production) and returns the
// message id.
type Publisher interface {
	Publish(ctx context.Context, job messages.Job) (string, error)
}

// HandlerConfig configures the fetch.document handler.
type HandlerConfig struct {
	// Fetcher runs the recipes. Required.
	Fetcher *Fetcher
	// Recipes are the recipes jobs may name, by recipe name. Required.
	Recipes map[string]*recipe.Recipe
	// BaseURLs override a recipe's site.base_url by recipe name: for the
	// sample site on a random port in dev, or a staging copy of a site.
	BaseURLs map[string]string
	// Blobs stores the documents. Required.
	Blobs BlobStore
	// Publisher publishes the extract.tables child. Required.
	Publisher Publisher
}

// Handler runs fetch.document jobs: it runs the job's recipe, stores the
// validated PDF under jobs/<job id>/doc.pdf with the recipe, its version,
// the final URL and the SHA-256 as metadata, and, when the job asks for
// tables, publishes an extract.tables child (messages.Child, so a retried
// job publishes the same child id and its dedup key swallows the copy).
type Handler struct {
	cfg HandlerConfig
}

// NewHandler checks the configuration and builds the handler.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	switch {
	case cfg.Fetcher == nil:
		return nil, errors.New("fetch: HandlerConfig.Fetcher is nil")
	case len(cfg.Recipes) == 0:
		return nil, errors.New("fetch: HandlerConfig.Recipes is empty")
	case cfg.Blobs == nil:
		return nil, errors.New("fetch: HandlerConfig.Blobs is nil")
	case cfg.Publisher == nil:
		return nil, errors.New("fetch: HandlerConfig.Publisher is nil")
	}
	return &Handler{cfg: cfg}, nil
}

// HandlerResult is what a fetch.document job stores as its result.
type HandlerResult struct {
	PDFKey       string `json:"pdf_key"`
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	FinalURL     string `json:"final_url"`
	ExtractJobID string `json:"extract_job_id,omitempty"`
}

// DocumentKey is where the document of a fetch job is stored.
func DocumentKey(jobID string) string { return "jobs/" + jobID + "/doc.pdf" }

// Handle runs one fetch.document job. Failures come classified: a bad
// payload or unknown recipe and the permanent fetch failures are
// [messages.Permanent]; throttling and transient site failures are
// [messages.RetryAfter]; storage and publish errors are plain errors,
// retried with backoff.
func (h *Handler) Handle(ctx context.Context, job messages.Job) ([]byte, error) {
	if job.Type != messages.TypeFetchDocument {
		return nil, messages.Permanent(fmt.Errorf("fetch handler got a %q job", job.Type))
	}
	var p messages.FetchDocument
	if err := job.DecodePayload(&p); err != nil {
		return nil, messages.Permanent(err)
	}
	r, ok := h.cfg.Recipes[p.Recipe]
	if !ok {
		return nil, messages.Permanent(fmt.Errorf("unknown recipe %q (known: %s)", p.Recipe, strings.Join(slices.Sorted(maps.Keys(h.cfg.Recipes)), ", ")))
	}
	inputs := maps.Clone(p.Variables)
	if inputs == nil {
		inputs = map[string]string{}
	}
	inputs["key"] = p.Key
	doc, err := h.cfg.Fetcher.Fetch(ctx, Job{Recipe: r, Inputs: inputs, BaseURL: h.cfg.BaseURLs[p.Recipe]})
	if err != nil {
		return nil, fmt.Errorf("fetching %s with recipe %s: %w", p.Key, p.Recipe, err)
	}
	key := DocumentKey(job.ID)
	meta := map[string]string{
		"recipe": doc.Recipe, "recipe-version": strconv.Itoa(doc.RecipeVersion),
		"final-url": doc.FinalURL, "sha256": doc.SHA256,
	}
	if err := h.cfg.Blobs.Put(ctx, key, bytes.NewReader(doc.Body), meta); err != nil {
		return nil, fmt.Errorf("storing %s: %w", key, err)
	}
	res := HandlerResult{PDFKey: key, Size: doc.Size, SHA256: doc.SHA256, FinalURL: doc.FinalURL}
	if p.Extract != nil {
		child, err := messages.Child(job, messages.TypeExtractTables, messages.ExtractTables{
			PDFKey: key, Pages: p.Extract.Pages, Formats: p.Extract.Formats, Notify: p.Notify,
		})
		if err != nil {
			return nil, messages.Permanent(fmt.Errorf("building the extract.tables job: %w", err))
		}
		if _, err := h.cfg.Publisher.Publish(ctx, child); err != nil {
			return nil, fmt.Errorf("publishing extract.tables %s: %w", child.ID, err)
		}
		res.ExtractJobID = child.ID
	}
	return json.Marshal(res)
}
