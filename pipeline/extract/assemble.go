package extract

import (
	"strings"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/numcell"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/table"
)

// assemble turns the per-page tables into the result's tables, stitching a
// table that continues on the next page onto the previous one.
func assemble(pages []pageTables, stitch bool) []Table {
	var out []Table
	var prevLast *table.Table // last table of the previous page
	var first *table.Table    // first part of out's last table
	prevPage := 0
	for pi := range pages {
		pt := &pages[pi]
		for k := range pt.tables {
			t := &pt.tables[k]
			if stitch && k == 0 && prevLast != nil && prevPage == pt.page-1 && continues(prevLast, t) && !ownHeader(first, t) {
				o := &out[len(out)-1]
				skip := repeatedHeader(first, t)
				base := len(o.Rows)
				o.Rows = append(o.Rows, t.Rows[skip:]...)
				for _, s := range t.Spans {
					if s.Row >= skip {
						o.Spans = append(o.Spans, Span{Row: base + s.Row - skip, Col: s.Col, RowSpan: s.RowSpan, ColSpan: s.ColSpan})
					}
				}
				o.Pages = append(o.Pages, pt.page)
				continue
			}
			out = append(out, convert(t, pt))
			first = t
		}
		prevLast = nil
		if len(pt.tables) > 0 {
			prevLast = &pt.tables[len(pt.tables)-1]
		}
		prevPage = pt.page
	}
	return out
}

// continues reports whether t looks like the continuation of prev: the
// same kind and the same columns (the same rules; for unruled tables,
// columns in the same places).
func continues(prev, t *table.Table) bool {
	if prev.Ruled != t.Ruled || len(prev.ColX) != len(t.ColX) || len(prev.Rows) == 0 || len(t.Rows) == 0 {
		return false
	}
	if len(prev.Rows[0]) != len(t.Rows[0]) {
		return false
	}
	if !prev.Ruled {
		// Unruled columns are as wide as the text each page holds: each
		// column's middle must fall inside the other's.
		for i := 0; i+1 < len(prev.ColX); i++ {
			pm, tm := (prev.ColX[i]+prev.ColX[i+1])/2, (t.ColX[i]+t.ColX[i+1])/2
			if pm < t.ColX[i] || pm > t.ColX[i+1] || tm < prev.ColX[i] || tm > prev.ColX[i+1] {
				return false
			}
		}
		return true
	}
	for i := range prev.ColX {
		d := prev.ColX[i] - t.ColX[i]
		if d < -4 || d > 4 {
			return false
		}
	}
	return true
}

// ownHeader reports whether t starts with a header of its own: rows
// above its first number or date, one of them with two cells or more,
// none of them repeating a leading row of the first part (a repeated
// header may change its stub's heading). Such a table is a new one with
// the same columns (the next table of a report), not the previous one
// continued. A table without numbers or dates tells nothing so.
func ownHeader(first, t *table.Table) bool {
	if first == nil {
		return false
	}
	hdr := 0
	for hdr < len(t.Rows) && !rowHasValue(t.Rows[hdr]) {
		hdr++
	}
	if hdr == 0 || hdr == len(t.Rows) {
		return false
	}
	own := false
	for _, r := range t.Rows[:hdr] {
		for _, f := range first.Rows[:min(len(first.Rows), 5)] {
			if len(r) > 1 && sameRow(f[1:], r[1:]) {
				return false
			}
		}
		filled := 0
		for _, c := range r {
			if strings.TrimSpace(c) != "" {
				filled++
			}
		}
		own = own || filled >= 2
	}
	return own
}

func rowHasValue(row []string) bool {
	for _, c := range row {
		if numcell.IsValue(c) {
			return true
		}
	}
	return false
}

// repeatedHeader returns how many leading rows of t repeat the leading
// rows of the table's first part.
func repeatedHeader(first, t *table.Table) int {
	if first == nil {
		return 0
	}
	n := 0
	for n < len(first.Rows) && n < len(t.Rows)-1 && n < 5 && sameRow(first.Rows[n], t.Rows[n]) {
		n++
	}
	return n
}

func sameRow(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	nonEmpty := false
	for i := range a {
		if strings.TrimSpace(a[i]) != strings.TrimSpace(b[i]) {
			return false
		}
		if a[i] != "" {
			nonEmpty = true
		}
	}
	return nonEmpty
}

// convert makes a result table of a page's table, its box turned into
// bottom-left-origin page coordinates.
func convert(t *table.Table, pt *pageTables) Table {
	b := t.BBox.Transform(pt.back)
	out := Table{
		Pages: []int{pt.page},
		BBox:  [4]float64{round2(b.X0), round2(pt.height - b.Y1), round2(b.X1), round2(pt.height - b.Y0)},
		Rows:  t.Rows,
		Ruled: t.Ruled,
	}
	for _, s := range t.Spans {
		out.Spans = append(out.Spans, Span{Row: s.Row, Col: s.Col, RowSpan: s.RowSpan, ColSpan: s.ColSpan})
	}
	return out
}

func round2(v float64) float64 {
	if v < 0 {
		return -float64(int64(-v*100+0.5)) / 100
	}
	return float64(int64(v*100+0.5)) / 100
}
