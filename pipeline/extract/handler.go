package extract

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/rs/zerolog"

	"github.com/quarry-dev/quarry/messages"
)

// BlobStore is where the extract.tables handler reads PDFs and writes
// tables (S3 in production; infra.BlobStore implements it).
type BlobStore interface {
	// Get opens the blob at key; the caller closes it. A missing blob is
	// an error matching fs.ErrNotExist.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Put stores body under key with metadata, replacing what was there,
	// so a retried job that writes the same keys is harmless. The store
	// derives the content type from the key's extension.
	Put(ctx context.Context, key string, body io.Reader, meta map[string]string) error
}

// Publisher publishes child jobs (SNS in production; infra.Publisher
// implements it).
type Publisher interface {
	// Publish sends job and returns the transport's message id. A job
	// published twice under the same id is one job for its consumer.
	Publish(ctx context.Context, job messages.Job) (string, error)
}

// DefaultMaxPDFBytes is the default of HandlerConfig.MaxPDFBytes.
const DefaultMaxPDFBytes = 256 << 20

// maxAttachments is how many files one notify.email may attach
// (messages.NotifyEmail's limit).
const maxAttachments = 10

// HandlerConfig configures the extract.tables [Handler].
type HandlerConfig struct {
	// Blobs holds the PDFs and receives the tables. Required.
	Blobs BlobStore
	// Publisher publishes the notify.email child of jobs that ask for
	// one. Required.
	Publisher Publisher
	// Logger logs when the job's context carries no logger of its own
	// (the worker runtime puts one there with the job's fields). The zero
	// value logs nothing.
	Logger zerolog.Logger
	// Limits bound the work on each document; the zero value means the
	// engine's defaults. See [Limits].
	Limits Limits
	// MaxPDFBytes bounds the PDF read from the blob store. Defaults to
	// DefaultMaxPDFBytes (256 MiB).
	MaxPDFBytes int64
}

func (c HandlerConfig) withDefaults() HandlerConfig {
	c.MaxPDFBytes = cmp.Or(c.MaxPDFBytes, DefaultMaxPDFBytes)
	return c
}

func (c HandlerConfig) validate() error {
	switch {
	case c.Blobs == nil:
		return errors.New("extract: HandlerConfig.Blobs is required")
	case c.Publisher == nil:
		return errors.New("extract: HandlerConfig.Publisher is required")
	case c.MaxPDFBytes < 0:
		return fmt.Errorf("extract: HandlerConfig.MaxPDFBytes is %d, want a positive size or 0 for the default", c.MaxPDFBytes)
	}
	return nil
}

// Handler runs extract.tables jobs: it reads the PDF at the payload's
// pdf_key from the blob store, extracts the tables of the selected pages,
// writes them beside the PDF (see [OutputKeys]) in the requested formats,
// and, when the payload asks for it, publishes a notify.email child with
// the outputs attached.
//
// A PDF that is missing, not a PDF, broken, encrypted with a password or
// over a limit fails the job permanently ([messages.Permanent]), as does a
// document whose every selected page fails; a document where only some
// pages fail succeeds, with the failed pages in the result and in
// tables.json. Blob store and publish failures are returned as they are,
// so the job is retried; outputs and the child are the same on every
// retry (the child's id comes from [messages.Child]).
//
// A Handler is safe for concurrent use.
type Handler struct {
	cfg HandlerConfig
	log zerolog.Logger
}

// NewHandler returns the extract.tables handler, or an error naming the
// missing or bad HandlerConfig field.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Handler{cfg: cfg, log: cfg.Logger.With().Str("component", "extract").Logger()}, nil
}

// HandlerResult is the JSON result the handler returns for a completed
// job, kept small because the worker runtime stores it with the job's
// completed claim.
type HandlerResult struct {
	// Tables is the number of tables found.
	Tables int `json:"tables"`
	// Pages is the number of pages of the document.
	Pages int `json:"pages"`
	// FailedPages lists the selected pages that could not be read; their
	// reasons are in tables.json (when JSON was asked for) and the log.
	FailedPages []int `json:"failed_pages,omitempty"`
	// Keys are the blob keys written, in the order CSV (one per table),
	// JSON, XLSX.
	Keys []string `json:"keys"`
	// NotifyJobID is the id of the notify.email child, when one was
	// published.
	NotifyJobID string `json:"notify_job_id,omitempty"`
}

// Handle runs one extract.tables job and returns its [HandlerResult] as
// JSON. Its signature is the worker runtime's handler signature.
func (h *Handler) Handle(ctx context.Context, job messages.Job) ([]byte, error) {
	if job.Type != messages.TypeExtractTables {
		return nil, messages.Permanent(fmt.Errorf("extract: job %s has type %q, want %s", job.ID, job.Type, messages.TypeExtractTables))
	}
	var p messages.ExtractTables
	if err := job.DecodePayload(&p); err != nil {
		return nil, fmt.Errorf("extract: job %s: %w", job.ID, err) // a ValidationError: permanent
	}
	log := h.logger(ctx).With().Str("pdf_key", p.PDFKey).Logger()

	data, err := h.readPDF(ctx, p.PDFKey)
	if err != nil {
		return nil, err
	}
	res, err := h.extract(ctx, data, p)
	if err != nil {
		return nil, err
	}
	for _, pe := range res.PageErrors {
		log.Warn().Int("page", pe.Page).Err(pe.Err).Msg("page failed; the other pages were extracted")
	}

	keys, err := h.writeOutputs(ctx, job, p, res)
	if err != nil {
		return nil, err
	}
	out := HandlerResult{Tables: len(res.Tables), Pages: res.PageCount, Keys: keys}
	for _, pe := range res.PageErrors {
		out.FailedPages = append(out.FailedPages, pe.Page)
	}
	if p.Notify != nil {
		id, err := h.notify(ctx, job, p, out)
		if err != nil {
			return nil, err
		}
		out.NotifyJobID = id
	}
	body, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("extract: encoding result of job %s: %w", job.ID, err)
	}
	log.Debug().Int("tables", out.Tables).Int("pages", out.Pages).Int("failed_pages", len(out.FailedPages)).Msg("tables extracted")
	return body, nil
}

// logger returns the job's logger from ctx, or the handler's own when the
// caller put none there.
func (h *Handler) logger(ctx context.Context) *zerolog.Logger {
	if l := zerolog.Ctx(ctx); l.GetLevel() != zerolog.Disabled {
		return l
	}
	return &h.log
}

// readPDF reads the PDF at key, at most MaxPDFBytes of it.
func (h *Handler) readPDF(ctx context.Context, key string) ([]byte, error) {
	rc, err := h.cfg.Blobs.Get(ctx, key)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, messages.Permanent(fmt.Errorf("extract: pdf %q is not in the blob store: %w", key, err))
		}
		return nil, fmt.Errorf("extract: reading pdf %q: %w", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, h.cfg.MaxPDFBytes+1))
	if err != nil {
		return nil, fmt.Errorf("extract: reading pdf %q: %w", key, err)
	}
	if int64(len(data)) > h.cfg.MaxPDFBytes {
		return nil, messages.Permanent(fmt.Errorf("extract: pdf %q is larger than MaxPDFBytes (%d bytes)", key, h.cfg.MaxPDFBytes))
	}
	return data, nil
}

// extract runs the engine on the selected pages and sorts its failures
// into permanent ones (the file) and retryable ones (the job was
// cancelled).
func (h *Handler) extract(ctx context.Context, data []byte, p messages.ExtractTables) (Result, error) {
	ranges, err := messages.ParsePages(p.Pages)
	if err != nil {
		return Result{}, fmt.Errorf("extract: pages %q: %w", p.Pages, err) // validated already; permanent
	}
	opts := Options{Limits: h.cfg.Limits}
	opts.Pages, err = SelectPages(ctx, data, ranges, opts)
	var res Result
	if err == nil {
		res, err = Document(ctx, data, opts)
	}
	// A cancelled job (lease lost, shutdown) is retried, even when the
	// cancellation surfaced as a failed page or a failed open.
	if ctx.Err() != nil {
		return Result{}, fmt.Errorf("extract: %q: %w", p.PDFKey, context.Cause(ctx))
	}
	if err != nil {
		if errors.Is(err, ErrEncrypted) {
			return Result{}, messages.Permanent(fmt.Errorf("extract: pdf %q is protected by a user password; send a copy without one: %w", p.PDFKey, err))
		}
		var le *LimitError
		if errors.As(err, &le) {
			return Result{}, messages.Permanent(fmt.Errorf("extract: pdf %q is over a limit: %w", p.PDFKey, err))
		}
		return Result{}, messages.Permanent(fmt.Errorf("extract: pdf %q is not a PDF or is broken: %w", p.PDFKey, err))
	}
	selected := len(opts.Pages)
	if selected == 0 {
		selected = res.PageCount
	}
	if len(res.PageErrors) > 0 && len(res.PageErrors) == selected {
		return Result{}, messages.Permanent(fmt.Errorf("extract: pdf %q: no selected page could be read (%d failed): %w", p.PDFKey, len(res.PageErrors), res.PageErrors[0]))
	}
	return res, nil
}

// OutputKeys returns where the tables of the PDF at pdfKey are written:
// in a folder beside the PDF named after it, so that several PDFs in one
// folder keep their tables apart. jobs/ID/doc.pdf gives
// jobs/ID/doc.tables/t1.csv, t2.csv, …, tables.json and tables.xlsx.
func OutputKeys(pdfKey string, tables int) (csv []string, jsonKey, xlsxKey string) {
	prefix := strings.TrimSuffix(pdfKey, path.Ext(pdfKey)) + ".tables/"
	for i := range tables {
		csv = append(csv, prefix+"t"+strconv.Itoa(i+1)+".csv")
	}
	return csv, prefix + "tables.json", prefix + "tables.xlsx"
}

// maxBlobKeyLen is S3's key limit, which messages also enforces.
const maxBlobKeyLen = 1024

// writeOutputs renders the requested formats (csv and json when the
// payload names none) and puts them in the blob store.
func (h *Handler) writeOutputs(ctx context.Context, job messages.Job, p messages.ExtractTables, res Result) ([]string, error) {
	formats := p.Formats
	if len(formats) == 0 {
		formats = []string{messages.FormatCSV, messages.FormatJSON}
	}
	csvKeys, jsonKey, xlsxKey := OutputKeys(p.PDFKey, len(res.Tables))
	if len(xlsxKey) > maxBlobKeyLen || (len(csvKeys) > 0 && len(csvKeys[len(csvKeys)-1]) > maxBlobKeyLen) {
		return nil, messages.Permanent(fmt.Errorf("extract: pdf key %q is too long to name its outputs within the %d-byte key limit", p.PDFKey, maxBlobKeyLen))
	}
	meta := map[string]string{"job-id": job.ID, "source-key": p.PDFKey}
	var keys []string
	put := func(key string, render func(io.Writer) error) error {
		var buf bytes.Buffer
		if err := render(&buf); err != nil {
			return messages.Permanent(fmt.Errorf("extract: rendering %q: %w", key, err))
		}
		if err := h.cfg.Blobs.Put(ctx, key, bytes.NewReader(buf.Bytes()), meta); err != nil {
			return fmt.Errorf("extract: writing %q: %w", key, err)
		}
		keys = append(keys, key)
		return nil
	}
	// Write in a fixed order so the result lists keys the same way
	// whatever order the payload names the formats in.
	if slices.Contains(formats, messages.FormatCSV) {
		for i, t := range res.Tables {
			if err := put(csvKeys[i], func(w io.Writer) error { return WriteCSV(w, t) }); err != nil {
				return nil, err
			}
		}
	}
	if slices.Contains(formats, messages.FormatJSON) {
		if err := put(jsonKey, func(w io.Writer) error { return WriteJSON(w, res) }); err != nil {
			return nil, err
		}
	}
	if slices.Contains(formats, messages.FormatXLSX) {
		if err := put(xlsxKey, func(w io.Writer) error { return WriteXLSX(w, res) }); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// notify publishes the notify.email child and returns its id. The child
// is built only from the payload and the (deterministic) extraction, so a
// retried job publishes the same child with the same id.
func (h *Handler) notify(ctx context.Context, job messages.Job, p messages.ExtractTables, out HandlerResult) (string, error) {
	failed := out.FailedPages
	if failed == nil {
		failed = []int{}
	}
	payload := messages.NotifyEmail{
		Recipients:  p.Notify.Recipients,
		Template:    p.Notify.Template,
		Attachments: attachments(out.Keys),
		TemplateData: map[string]any{
			"pdf_key":      p.PDFKey,
			"tables":       out.Tables,
			"pages":        out.Pages,
			"failed_pages": failed,
			"outputs":      out.Keys,
		},
	}
	child, err := messages.Child(job, messages.TypeNotifyEmail, payload)
	if err != nil {
		return "", messages.Permanent(fmt.Errorf("extract: building the notify.email child of job %s: %w", job.ID, err))
	}
	if _, err := h.cfg.Publisher.Publish(ctx, child); err != nil {
		return "", fmt.Errorf("extract: publishing notify.email %s: %w", child.ID, err)
	}
	return child.ID, nil
}

// attachments picks the outputs to attach, at most maxAttachments: the
// workbook first (what a spreadsheet user opens), then the JSON, since each
// holds every table, then the CSVs while there is room. The template gets
// every key in "outputs".
func attachments(keys []string) []string {
	var out []string
	for _, ext := range []string{".xlsx", ".json", ".csv"} {
		for _, k := range keys {
			if strings.HasSuffix(k, ext) && len(out) < maxAttachments {
				out = append(out, k)
			}
		}
	}
	return out
}
