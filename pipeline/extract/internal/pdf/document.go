// Package pdf gives the extraction engine access to a PDF file through
// pdfcpu: it opens the file (decrypting it when the user password is
// empty or given), walks the page tree with inherited attributes, decodes
// streams with pdfcpu's filters under a size limit, and resolves the
// resources a content stream names (fonts, Form XObjects, colour spaces).
//
// A Document is not safe for concurrent use: pdfcpu resolves objects
// lazily and caches them in its cross-reference table.
package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/font"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/limit"
)

// ErrEncrypted is returned by Open for a file that needs a password other
// than the one given (by default the empty one).
var ErrEncrypted = errors.New("pdf: encrypted, and the password does not open it")

// ErrUnsupportedEncryption is returned by Open for an encryption scheme
// pdfcpu cannot decrypt (public-key security handlers, for example).
var ErrUnsupportedEncryption = errors.New("pdf: unsupported encryption")

// Limits bound what reading one document may cost.
type Limits struct {
	// MaxStreamBytes bounds one decoded stream, and the concatenated
	// content streams of one page.
	MaxStreamBytes int64
	// MaxObjects bounds the objects in the cross-reference table.
	MaxObjects int
	// MaxDepth bounds page-tree depth.
	MaxDepth int
}

// Document is an open PDF file.
type Document struct {
	xref   *model.XRefTable
	limits Limits
	pages  []Page
	fonts  map[int]*font.Font
	forms  map[int]formEntry
}

type formEntry struct {
	data []byte
	err  error
}

// Open parses data as a PDF file. password is the user password, usually
// empty. ctx bounds the time spent parsing.
func Open(ctx context.Context, data []byte, password string, lim Limits) (doc *Document, err error) {
	defer func() {
		// pdfcpu panics on some malformed files; a panic there is a bad
		// file, not a bug of the caller.
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("pdf: malformed file: %v", r)
		}
	}()
	conf := &model.Configuration{
		Reader15:       true,
		ValidationMode: model.ValidationRelaxed,
		UserPW:         password,
		// Reading with the user password is what a viewer does; the
		// permission bits (copy, extract) are the producer's wish, not a
		// protection, and a validating read does not check them.
		Cmd:    model.VALIDATE,
		Eol:    types.EolLF,
		Limits: model.DefaultResourceLimits(),
	}
	if lim.MaxStreamBytes > 0 {
		conf.Limits.MaxStreamBytes = lim.MaxStreamBytes
		conf.Limits.MaxDecodeBytes = lim.MaxStreamBytes
	}
	if lim.MaxObjects > 0 {
		conf.Limits.MaxObjectCount = lim.MaxObjects
		conf.Limits.MaxXRefEntries = lim.MaxObjects
		conf.Limits.MaxObjectStreamCount = lim.MaxObjects
	}
	if len(data) == 0 {
		return nil, errors.New("pdf: empty file")
	}
	pctx, err := pdfcpu.ReadWithContext(ctx, bytes.NewReader(data), conf)
	if err != nil {
		switch {
		case errors.Is(err, pdfcpu.ErrWrongPassword):
			return nil, ErrEncrypted
		case ctx.Err() != nil:
			return nil, fmt.Errorf("pdf: read: %w", context.Cause(ctx))
		case isEncryptionSetup(err):
			return nil, fmt.Errorf("%w: %w", ErrUnsupportedEncryption, err)
		case errors.Is(err, filter.ErrDecodeLimitExceeded):
			return nil, &limit.Error{Name: "MaxStreamBytes", Max: lim.MaxStreamBytes, What: "a stream of the file"}
		}
		return nil, fmt.Errorf("pdf: read: %w", err)
	}
	if lim.MaxObjects > 0 && len(pctx.XRefTable.Table) > lim.MaxObjects {
		return nil, &limit.Error{Name: "MaxObjects", Max: int64(lim.MaxObjects), What: fmt.Sprintf("the file has %d objects", len(pctx.XRefTable.Table))}
	}
	d := &Document{
		xref:   pctx.XRefTable,
		limits: lim,
		fonts:  map[int]*font.Font{},
		forms:  map[int]formEntry{},
	}
	if err := d.walkPages(); err != nil {
		return nil, err
	}
	return d, nil
}

func isEncryptionSetup(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if s := e.Error(); len(s) >= 16 && s[:16] == "encryption setup" {
			return true
		}
	}
	return false
}

// NumPages returns the number of pages.
func (d *Document) NumPages() int { return len(d.pages) }

// Page returns page n (1-based).
func (d *Document) Page(n int) (Page, error) {
	if n < 1 || n > len(d.pages) {
		return Page{}, fmt.Errorf("pdf: page %d out of range 1-%d", n, len(d.pages))
	}
	return d.pages[n-1], nil
}

// Resolve follows indirect references; it returns nil for a missing or
// broken object.
func (d *Document) Resolve(o types.Object) types.Object {
	for i := 0; i < 8; i++ {
		ref, ok := o.(types.IndirectRef)
		if !ok {
			return o
		}
		v, err := d.deref(ref)
		if err != nil {
			return nil
		}
		o = v
	}
	return nil
}

func (d *Document) deref(ref types.IndirectRef) (o types.Object, err error) {
	defer func() {
		if r := recover(); r != nil {
			o, err = nil, fmt.Errorf("pdf: object %d: %v", ref.ObjectNumber, r)
		}
	}()
	return d.xref.Dereference(ref)
}

// StreamData returns the decoded data of a stream object, bounded by
// MaxStreamBytes.
func (d *Document) StreamData(o types.Object) (data []byte, err error) {
	sd, ok := d.Resolve(o).(types.StreamDict)
	if !ok {
		return nil, errors.New("pdf: not a stream")
	}
	defer func() {
		if r := recover(); r != nil {
			data, err = nil, fmt.Errorf("pdf: decode stream: %v", r)
		}
	}()
	limitBytes := d.limits.MaxStreamBytes
	if limitBytes <= 0 {
		limitBytes = filter.DefaultMaxDecodeBytes
	}
	if len(sd.FilterPipeline) == 0 {
		if int64(len(sd.Raw)) > limitBytes {
			return nil, &limit.Error{Name: "MaxStreamBytes", Max: limitBytes, What: "a stream"}
		}
		return sd.Raw, nil
	}
	s := sd // decode a copy; the table's stream keeps only its raw bytes
	s.Content = nil
	data, err = s.DecodeLengthWithLimit(-1, limitBytes)
	if err != nil {
		if errors.Is(err, filter.ErrDecodeLimitExceeded) {
			return nil, &limit.Error{Name: "MaxStreamBytes", Max: limitBytes, What: "a decoded stream"}
		}
		// A stream cut short still yields what was decoded.
		if len(s.Content) > 0 {
			return s.Content, nil
		}
		return nil, fmt.Errorf("pdf: decode stream: %w", err)
	}
	return data, nil
}

// number reads an integer or real.
func (d *Document) number(o types.Object) (float64, bool) {
	switch v := d.Resolve(o).(type) {
	case types.Integer:
		return float64(v), true
	case types.Float:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, false
		}
		return f, true
	}
	return 0, false
}

func (d *Document) dict(o types.Object) types.Dict {
	switch v := d.Resolve(o).(type) {
	case types.Dict:
		return v
	case types.StreamDict:
		return v.Dict
	}
	return nil
}

func (d *Document) array(o types.Object) types.Array {
	a, _ := d.Resolve(o).(types.Array)
	return a
}

func (d *Document) name(o types.Object) string {
	n, _ := d.Resolve(o).(types.Name)
	return string(n)
}
