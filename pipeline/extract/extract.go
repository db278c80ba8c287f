package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/content"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/geom"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/pdf"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/table"
)

// ErrEncrypted is returned for a file encrypted with a user password other
// than Options.Password.
var ErrEncrypted = pdf.ErrEncrypted

// ErrUnsupportedEncryption is returned for an encryption scheme that
// cannot be decrypted.
var ErrUnsupportedEncryption = pdf.ErrUnsupportedEncryption

// maxFileBytes bounds the file Reader reads into memory.
const maxFileBytes = 1 << 30

// Reader extracts the tables of the PDF read from r (of the given size),
// as [Document] does.
func Reader(ctx context.Context, r io.ReaderAt, size int64, opts Options) (Result, error) {
	if size < 0 || size > maxFileBytes {
		return Result{}, fmt.Errorf("extract: file of %d bytes is too large", size)
	}
	data := make([]byte, size)
	if _, err := r.ReadAt(data, 0); err != nil && !errors.Is(err, io.EOF) {
		return Result{}, fmt.Errorf("extract: read: %w", err)
	}
	return Document(ctx, data, opts)
}

// Document extracts the tables of the PDF file data. It fails only when the
// file cannot be opened; pages that fail are listed in Result.PageErrors.
// ctx cancels the whole extraction; each page also gets
// Limits.PageTimeout.
func Document(ctx context.Context, data []byte, opts Options) (Result, error) {
	lim := opts.Limits.withDefaults()
	doc, err := pdf.Open(ctx, data, opts.Password, pdf.Limits{
		MaxStreamBytes: lim.MaxStreamBytes,
		MaxObjects:     lim.MaxObjects,
		MaxDepth:       lim.MaxDepth,
	})
	if err != nil {
		return Result{}, fmt.Errorf("extract: open: %w", err)
	}
	res := Result{PageCount: doc.NumPages()}
	pages := opts.Pages
	if len(pages) == 0 {
		pages = make([]int, doc.NumPages())
		for i := range pages {
			pages[i] = i + 1
		}
	}
	var perPage []pageTables
	for _, n := range pages {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("extract: %w", context.Cause(ctx))
		}
		pt, err := extractPage(ctx, doc, n, lim)
		if err != nil {
			res.PageErrors = append(res.PageErrors, PageError{Page: n, Err: err})
			continue
		}
		perPage = append(perPage, pt)
	}
	res.Tables = assemble(perPage, !opts.NoStitch)
	return res, nil
}

type pageTables struct {
	page   int
	height float64
	back   geom.Matrix // upright page to display space
	tables []table.Table
}

// extractPage interprets and analyses one page under its deadline. A panic
// is the last line of defence against a malformed page: it becomes the
// page's error.
func extractPage(ctx context.Context, doc *pdf.Document, n int, lim Limits) (pt pageTables, err error) {
	defer func() {
		if r := recover(); r != nil {
			pt, err = pageTables{}, fmt.Errorf("internal error: %v\n%s", r, debug.Stack())
		}
	}()
	ctx, cancel := context.WithTimeoutCause(ctx, lim.PageTimeout,
		&LimitError{Name: "PageTimeout", Max: int64(lim.PageTimeout), What: fmt.Sprintf("page %d took longer than %v", n, lim.PageTimeout)})
	defer cancel()
	page, err := interpretPage(ctx, doc, n, lim)
	if err != nil {
		return pageTables{}, err
	}
	tp := table.Page{Width: page.Width, Height: page.Height, Glyphs: page.Glyphs, Segments: page.Segments, Fills: page.Fills}
	tp, back := uprightPage(tp)
	tables := table.Detect(tp)
	if err := ctx.Err(); err != nil {
		return pageTables{}, context.Cause(ctx)
	}
	return pageTables{page: n, height: page.Height, back: back, tables: tables}, nil
}

// interpretPage runs the content interpreter on page n.
func interpretPage(ctx context.Context, doc *pdf.Document, n int, lim Limits) (*content.Page, error) {
	p, err := doc.Page(n)
	if err != nil {
		return nil, err
	}
	data, err := doc.Contents(p)
	if err != nil {
		return nil, err
	}
	ctm, w, h := content.PageMatrix(p.CropBox, p.Rotate)
	clip := geomRect(0, 0, w, h)
	return content.Interpret(ctx, data, doc.Resources(p.Resources), ctm, clip, content.Limits{
		MaxDepth: lim.MaxDepth,
		MaxItems: lim.MaxItems,
	})
}
