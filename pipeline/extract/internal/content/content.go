// Package content interprets PDF content streams into what table
// extraction needs: positioned glyphs with Unicode text, visible straight
// line segments (strokes and thin filled rectangles) and filled
// rectangles, all in display space: points, origin at the top-left corner
// of the visible page (after CropBox and Rotate), y growing downwards.
//
// It understands the graphics state (q Q cm), path construction and
// painting, clipping (as a bounding rectangle, enough to drop content
// outside it), colour (enough to tell white from visible), text state and
// text showing, Form XObjects, inline images (skipped) and marked content
// (ignored). Unknown operators are ignored, as PDF readers do.
package content

import (
	"github.com/quarry-dev/quarry/pipeline/extract/internal/font"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/geom"
)

// Glyph is one shown character.
type Glyph struct {
	// Text is the Unicode text; never empty.
	Text string
	// X and Y are the glyph origin on the baseline.
	X, Y float64
	// Box is the glyph's bounding box (advance by ascent to descent).
	Box geom.Rect
	// Size is the rendered font size (the em height).
	Size float64
	// Adv is the rendered advance width.
	Adv float64
	// Dir is the writing direction: 0 left to right, 1 top to bottom
	// (text rotated 90° clockwise), 2 right to left upside down, 3 bottom
	// to top.
	Dir uint8
	// Space reports white-space text.
	Space bool
	// Bold reports a bold font.
	Bold bool
	// Run numbers the placements of text on the page: it changes
	// wherever the text position is set (BT, Td, TD, Tm, T*, ', "), so
	// glyphs shown in one go after one placement share it.
	Run uint32
}

// Segment is a visible straight line: a stroked path segment or the centre
// line of a thin filled rectangle. Only horizontal and vertical segments
// are kept.
type Segment struct {
	X0, Y0, X1, Y1 float64
	// Width is the rendered line width.
	Width float64
}

// Horizontal reports whether the segment runs along x.
func (s Segment) Horizontal() bool { return abs(s.Y1-s.Y0) <= abs(s.X1-s.X0) }

// Page is the interpreted content of one page.
type Page struct {
	// Width and Height are the display size of the page.
	Width, Height float64
	Glyphs        []Glyph
	Segments      []Segment
	// Fills are visible filled axis-aligned rectangles too large to be
	// lines (cell shading, bars).
	Fills []geom.Rect
}

// Resources resolves the names a content stream uses.
type Resources interface {
	// Font returns the font resource name.
	Font(name string) (*font.Font, error)
	// XObject returns the external object resource name.
	XObject(name string) (*XObject, error)
	// ColorSpace returns the family ("Separation", "Indexed", "Pattern",
	// "DeviceRGB", …) and component count of a named colour space, or ""
	// when it is unknown.
	ColorSpace(name string) (family string, components int)
}

// XObject is an external object drawn by Do. Only forms are interpreted.
type XObject struct {
	// Form reports a Form XObject; images and others are skipped.
	Form bool
	// ID identifies the object, to detect forms that draw themselves.
	ID int
	// Matrix maps form space to the user space of the caller.
	Matrix geom.Matrix
	// BBox clips the form, in form space.
	BBox geom.Rect
	// Content is the decoded content stream.
	Content []byte
	// Resources are the form's own resources; nil means the caller's.
	Resources Resources
}

// Limits bound the work of one page.
type Limits struct {
	// MaxDepth bounds q nesting and Form XObject nesting together.
	MaxDepth int
	// MaxItems bounds the glyphs, segments and fills of the page.
	MaxItems int
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// PageMatrix returns the matrix from PDF user space to display space for a
// page with the given crop box and rotation (degrees clockwise, a multiple
// of 90), and the display width and height.
func PageMatrix(crop geom.Rect, rotate int) (geom.Matrix, float64, float64) {
	w, h := crop.Width(), crop.Height()
	// Move the crop box to the origin and flip y so that y grows down.
	m := geom.Matrix{1, 0, 0, -1, -crop.X0, crop.Y1}
	rotate = ((rotate % 360) + 360) % 360
	switch rotate {
	case 90:
		// (x, y) → (h - y, x)
		return m.Mul(geom.Matrix{0, 1, -1, 0, h, 0}), h, w
	case 180:
		return m.Mul(geom.Matrix{-1, 0, 0, -1, w, h}), w, h
	case 270:
		// (x, y) → (y, w - x)
		return m.Mul(geom.Matrix{0, -1, 1, 0, 0, w}), h, w
	}
	return m, w, h
}
