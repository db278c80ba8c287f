package extract

import (
	"cmp"
	"time"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/limit"
)

// LimitError reports that a document exceeded one of the [Limits]; its
// Name is the Limits field. Match it with errors.As.
type LimitError = limit.Error

// Limits bound what extracting one document may cost. The zero value of
// each field means its default.
type Limits struct {
	// MaxStreamBytes bounds one decoded stream and the content of one
	// page. Defaults to 64 MiB.
	MaxStreamBytes int64
	// MaxObjects bounds the objects of the file. Defaults to 2,000,000.
	MaxObjects int
	// MaxDepth bounds q/Q nesting plus Form XObject nesting, and the page
	// tree depth. Defaults to 128.
	MaxDepth int
	// MaxItems bounds the glyphs and lines of one page. Defaults to
	// 2,000,000.
	MaxItems int
	// PageTimeout bounds the time spent on one page. Defaults to 20s.
	PageTimeout time.Duration
}

// Default limits.
const (
	DefaultMaxStreamBytes = 64 << 20
	DefaultMaxObjects     = 2_000_000
	DefaultMaxDepth       = 128
	DefaultMaxItems       = 2_000_000
	DefaultPageTimeout    = 20 * time.Second
)

func (l Limits) withDefaults() Limits {
	return Limits{
		MaxStreamBytes: cmp.Or(l.MaxStreamBytes, DefaultMaxStreamBytes),
		MaxObjects:     cmp.Or(l.MaxObjects, DefaultMaxObjects),
		MaxDepth:       cmp.Or(l.MaxDepth, DefaultMaxDepth),
		MaxItems:       cmp.Or(l.MaxItems, DefaultMaxItems),
		PageTimeout:    cmp.Or(l.PageTimeout, DefaultPageTimeout),
	}
}

// Options say what to extract. The zero value extracts every page with the
// default limits.
type Options struct {
	// Pages lists the 1-based pages to extract; empty means all. Pages
	// out of range are reported in Result.PageErrors.
	Pages []int
	// Password is the user password; empty opens files encrypted with an
	// empty user password (the usual "owner-only" protection).
	Password string
	// Limits bound the work; see [Limits].
	Limits Limits
	// NoStitch keeps tables that continue over pages as one table per page.
	NoStitch bool
}
