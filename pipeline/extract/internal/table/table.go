// Package table finds tables on an interpreted page: ruled tables from the
// grid their line segments draw, and unruled tables from the alignment of
// their text. It also stitches a table continued over several pages into
// one.
package table

import (
	"slices"
	"strings"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/content"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/geom"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/layout"
)

// Span is a cell covering more than one row or column.
type Span struct {
	Row, Col, RowSpan, ColSpan int
}

// Table is a detected table.
type Table struct {
	// BBox is the table's extent in display space.
	BBox geom.Rect
	// Rows holds the cell texts; every row has the same length. A cell
	// covered by a span is "" and the text is in the span's first cell.
	Rows [][]string
	// Spans lists the cells covering more than one grid cell.
	Spans []Span
	// Ruled reports a table found from its rules.
	Ruled bool
	// ColX are the column boundaries (len = columns + 1).
	ColX []float64
}

// Page is what detection reads from a page.
type Page struct {
	Width, Height float64
	Glyphs        []content.Glyph
	Segments      []content.Segment
	Fills         []geom.Rect
}

// Detect returns the tables of a page in reading order (top to bottom,
// then left to right).
func Detect(p Page) []Table {
	lines := mergeRulings(p.Segments)
	ruled, frames := latticeTables(p, lines)
	// Text inside ruled tables is taken; the rest may form unruled tables.
	rest := make([]content.Glyph, 0, len(p.Glyphs))
	for _, g := range p.Glyphs {
		inside := false
		for _, t := range ruled {
			if t.BBox.Inset(1).Contains(g.Box.CenterX(), g.Box.CenterY()) {
				inside = true
				break
			}
		}
		if !inside {
			rest = append(rest, g)
		}
	}
	tables := append(ruled, streamTables(rest, lines, ruled, frames)...)
	slices.SortStableFunc(tables, func(a, b Table) int {
		if a.BBox.Y1 <= b.BBox.Y0 || b.BBox.Y1 <= a.BBox.Y0 {
			return cmpF(a.BBox.Y0, b.BBox.Y0)
		}
		return cmpF(a.BBox.X0, b.BBox.X0)
	})
	return tables
}

// linesText composes the text of a cell from its words and their lines:
// words joined by spaces, lines top to bottom joined by spaces, then the
// words of other writing directions.
func linesText(words []layout.Word, lines []layout.Line) string {
	var parts []string
	for _, l := range lines {
		parts = append(parts, l.Text())
	}
	for _, w := range words {
		if w.Dir != 0 {
			parts = append(parts, w.Text)
		}
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
