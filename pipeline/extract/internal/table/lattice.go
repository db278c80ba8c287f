package table

import (
	"math"
	"slices"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/content"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/geom"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/layout"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/numcell"
)

// crossTol is how far a rule may stop short of another and still meet it.
const crossTol = 3.0

// latticeTables finds tables drawn as grids of rules.
// It also returns the frames of grids ruled only around groups of
// columns (see underRuled), whose text is left to the unruled detection.
func latticeTables(p Page, rs rulings) ([]Table, []geom.Rect) {
	comps := components(rs)
	var out []Table
	var frames []geom.Rect
	for _, c := range comps {
		if len(c.h) < 2 || len(c.v) < 2 {
			continue
		}
		t, ok, frame := gridTable(p, c)
		switch {
		case ok:
			out = append(out, t)
		case frame:
			frames = append(frames, t.BBox)
		}
	}
	return out, frames
}

// component is a set of rules connected through their crossings.
type component struct {
	h, v []rule
}

func meets(h, v rule) bool {
	return v.pos >= h.lo-crossTol && v.pos <= h.hi+crossTol &&
		h.pos >= v.lo-crossTol && h.pos <= v.hi+crossTol
}

// components groups rules that cross or touch into connected sets.
func components(rs rulings) []component {
	n := len(rs.h) + len(rs.v)
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		ra, rb := find(a), find(b)
		if ra != rb {
			parent[ra] = rb
		}
	}
	// Vertical rules sorted by x let each horizontal rule visit only the
	// vertical rules within its extent.
	vIdx := make([]int, len(rs.v))
	for i := range vIdx {
		vIdx[i] = i
	}
	slices.SortFunc(vIdx, func(a, b int) int { return cmpF(rs.v[a].pos, rs.v[b].pos) })
	for i, h := range rs.h {
		start, _ := slices.BinarySearchFunc(vIdx, h.lo-crossTol, func(k int, x float64) int { return cmpF(rs.v[k].pos, x) })
		for _, k := range vIdx[start:] {
			v := rs.v[k]
			if v.pos > h.hi+crossTol {
				break
			}
			if meets(h, v) {
				union(i, len(rs.h)+k)
			}
		}
	}
	groups := map[int]*component{}
	var order []int
	for i := 0; i < n; i++ {
		r := find(i)
		c, ok := groups[r]
		if !ok {
			c = &component{}
			groups[r] = c
			order = append(order, r)
		}
		if i < len(rs.h) {
			c.h = append(c.h, rs.h[i])
		} else {
			c.v = append(c.v, rs.v[i-len(rs.h)])
		}
	}
	out := make([]component, 0, len(order))
	for _, r := range order {
		out = append(out, *groups[r])
	}
	return out
}

// cluster returns the sorted distinct positions, merging those within tol.
func cluster(vals []float64, tol float64) []float64 {
	if len(vals) == 0 {
		return nil
	}
	s := slices.Clone(vals)
	slices.Sort(s)
	var out []float64
	sum, n := s[0], 1
	for i := 1; i < len(s); i++ {
		if s[i]-s[i-1] <= tol {
			sum += s[i]
			n++
			continue
		}
		out = append(out, sum/float64(n))
		sum, n = s[i], 1
	}
	return append(out, sum/float64(n))
}

// gridTable builds the table of one connected component of rules. A grid
// ruled only around groups of columns is no table: it returns its frame
// (BBox) and frame true instead.
func gridTable(p Page, c component) (t Table, ok, frame bool) {
	var xs, ys []float64
	box := geom.Rect{X0: c.h[0].lo, Y0: c.h[0].pos, X1: c.h[0].hi, Y1: c.h[0].pos}
	for _, v := range c.v {
		xs = append(xs, v.pos)
		box = box.Union(geom.Rect{X0: v.pos, Y0: v.lo, X1: v.pos, Y1: v.hi})
	}
	for _, h := range c.h {
		ys = append(ys, h.pos)
		box = box.Union(geom.Rect{X0: h.lo, Y0: h.pos, X1: h.hi, Y1: h.pos})
	}
	// Rules that overhang the outermost crossing rules close the open
	// sides of the table.
	xs = append(xs, box.X0, box.X1)
	ys = append(ys, box.Y0, box.Y1)
	xs = cluster(xs, snapTol*2)
	ys = cluster(ys, snapTol*2)
	if len(xs) < 2 || len(ys) < 2 {
		return Table{}, false, false
	}
	ys, virtual := splitUnruledRows(p.Glyphs, xs, ys)
	nc, nr := len(xs)-1, len(ys)-1
	if nc < 1 || nr < 1 || nc*nr > 100000 {
		return Table{}, false, false
	}
	// Assign glyphs to the fine grid by their centres: each cell's
	// glyphs are a piece of one slice, in page order.
	cellOf := make([]int32, len(p.Glyphs))
	count := make([]int, nr*nc+1)
	inside := 0
	for k, g := range p.Glyphs {
		cx, cy := g.Box.CenterX(), g.Box.CenterY()
		if cx < xs[0] || cx > xs[nc] || cy < ys[0] || cy > ys[nr] {
			cellOf[k] = -1
			continue
		}
		c := searchInterval(ys, cy)*nc + searchInterval(xs, cx)
		cellOf[k] = int32(c)
		count[c+1]++
		inside++
	}
	for c := 1; c < len(count); c++ {
		count[c] += count[c-1]
	}
	all := make([]content.Glyph, inside)
	next := slices.Clone(count[:nr*nc])
	for k, c := range cellOf {
		if c >= 0 {
			all[next[c]] = p.Glyphs[k]
			next[c]++
		}
	}
	cellGlyphs := make([][]content.Glyph, nr*nc)
	for c := range cellGlyphs {
		cellGlyphs[c] = all[count[c]:count[c+1]:count[c+1]]
	}
	if inside == 0 {
		return Table{}, false, false
	}
	// Union fine cells not separated by a rule.
	parent := make([]int, nr*nc)
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		ra, rb := find(a), find(b)
		if ra != rb {
			if ra < rb {
				parent[rb] = ra
			} else {
				parent[ra] = rb
			}
		}
	}
	const ruled = 0.5
	for i := 0; i < nr; i++ {
		for j := 0; j < nc; j++ {
			if j+1 < nc && coverage(c.v, xs[j+1], ys[i], ys[i+1]) < ruled {
				union(i*nc+j, i*nc+j+1)
			}
			if i+1 < nr && !virtual[i+1] && coverage(c.h, ys[i+1], xs[j], xs[j+1]) < ruled {
				union(i*nc+j, (i+1)*nc+j)
			}
		}
	}
	// Each group becomes a cell at its top-left fine cell, spanning its
	// bounding range of rows and columns.
	type extent struct{ r0, c0, r1, c1 int }
	groups := map[int]*extent{}
	for i := 0; i < nr; i++ {
		for j := 0; j < nc; j++ {
			r := find(i*nc + j)
			e, ok := groups[r]
			if !ok {
				groups[r] = &extent{i, j, i, j}
				continue
			}
			e.r0, e.c0 = min(e.r0, i), min(e.c0, j)
			e.r1, e.c1 = max(e.r1, i), max(e.c1, j)
		}
	}
	if len(groups) < 2 {
		return Table{}, false, false
	}
	// A frame with rules across it but no column rules is not a grid: its
	// text is left to the unruled detection.
	split := false
	for _, e := range groups {
		if e.c0 > 0 || e.c1 < nc-1 {
			split = true
			break
		}
	}
	if !split {
		return Table{}, false, false
	}
	// The text of each group, laid out once for the checks and the cell.
	texts := make(map[int]*groupText, len(groups))
	for k, gs := range cellGlyphs {
		if len(gs) > 0 {
			r := find(k)
			t := texts[r]
			if t == nil {
				texts[r] = &groupText{glyphs: gs} // capped: appending copies
				continue
			}
			t.glyphs = append(t.glyphs, gs...)
		}
	}
	for _, t := range texts {
		t.words = layout.Words(t.glyphs)
		t.lines = layout.Lines(t.words)
	}
	if underRuled(texts) {
		return Table{BBox: geom.Rect{X0: xs[0], Y0: ys[0], X1: xs[nc], Y1: ys[nr]}}, false, true
	}
	rows := make([][]string, nr)
	for i := range rows {
		rows[i] = make([]string, nc)
	}
	var spans []Span
	filled := 0
	for r, e := range groups {
		t := texts[r]
		if t == nil {
			t = &groupText{}
		}
		if e.c1 > e.c0 && unmerge(rows, t.lines, xs, ys, e.r0, e.c0, e.r1, e.c1) {
			filled++
			continue
		}
		txt := linesText(t.words, t.lines)
		if txt != "" {
			filled++
		}
		rows[e.r0][e.c0] = txt
		if e.r1 > e.r0 || e.c1 > e.c0 {
			spans = append(spans, Span{Row: e.r0, Col: e.c0, RowSpan: e.r1 - e.r0 + 1, ColSpan: e.c1 - e.c0 + 1})
		}
	}
	if filled < 2 {
		return Table{}, false, false
	}
	slices.SortFunc(spans, func(a, b Span) int {
		if a.Row != b.Row {
			return a.Row - b.Row
		}
		return a.Col - b.Col
	})
	// A caption above the grid and a source or a note below it, each in
	// a row of one cell across the table, are not its rows.
	across := func(i int) bool {
		for _, s := range spans {
			if s.Row == i && s.Col == 0 && s.RowSpan == 1 && s.ColSpan == nc {
				return true
			}
		}
		return false
	}
	top, bottom := 0, nr
	for top+1 < bottom && across(top) && captionLabel(rows[top][0]) {
		top++
	}
	for k := nr - 1; k > top && across(k); k-- {
		if noteLabel(rows[k][0]) {
			bottom = k // the note's lines may be rows of their own
		}
	}
	if top > 0 || bottom < nr {
		rows = rows[top:bottom]
		kept := spans[:0]
		for _, s := range spans {
			if s.Row >= top && s.Row+s.RowSpan <= bottom {
				s.Row -= top
				kept = append(kept, s)
			}
		}
		spans = kept
		ys = ys[top : bottom+1]
		nr = bottom - top
	}
	if labels, x0, ok := labelColumn(p.Glyphs, xs, ys); ok {
		for i := range rows {
			rows[i] = append([]string{labels[i]}, rows[i]...)
		}
		for k := range spans {
			spans[k].Col++
		}
		xs = append([]float64{x0}, xs...)
		nc++
	}
	t = Table{
		BBox:  geom.Rect{X0: xs[0], Y0: ys[0], X1: xs[nc], Y1: ys[nr]},
		Rows:  rows,
		Spans: spans,
		Ruled: true,
		ColX:  xs,
	}
	return t, true, false
}

// labelColumn finds the rows' labels printed left of a grid, outside its
// rules, as spreadsheets print a first column left without borders: short
// lines, each within one of the grid's rows (ys), lined up on one edge,
// close to the grid, for three rows or more. It returns each row's label
// and the column's left edge.
func labelColumn(glyphs []content.Glyph, xs, ys []float64) ([]string, float64, bool) {
	nr := len(ys) - 1
	var cands []content.Glyph
	near := false // a glyph ending close to the grid, as the longest label does
	for _, g := range glyphs {
		cx, cy := g.Box.CenterX(), g.Box.CenterY()
		if g.Dir == 0 && cx < xs[0] && cy > ys[0] && cy < ys[nr] {
			cands = append(cands, g)
			near = near || xs[0]-g.Box.X1 <= 3*g.Size
		}
	}
	if len(cands) < 3 || !near {
		return nil, 0, false
	}
	labels := make([]string, nr)
	x0, left, right := math.Inf(1), math.Inf(1), math.Inf(-1)
	minX1, maxX0 := math.Inf(1), math.Inf(-1)
	n, size := 0, 0.0
	for _, l := range layout.Lines(layout.Words(cands)) {
		i := searchInterval(ys, l.Box.CenterY())
		if l.Box.Y0 < ys[i]-1 || l.Box.Y1 > ys[i+1]+1 || len(l.Words) > 6 {
			return nil, 0, false // text across the rows, or a sentence
		}
		if labels[i] == "" {
			n++
		} else {
			labels[i] += " "
		}
		labels[i] += l.Text()
		x0 = min(x0, l.Box.X0)
		left, right = min(left, l.Box.X0), max(right, l.Box.X1)
		minX1, maxX0 = min(minX1, l.Box.X1), max(maxX0, l.Box.X0)
		size = max(size, l.Size)
	}
	// One edge: left-aligned labels share their left, right-aligned
	// ones their right edge.
	const tol = 2.0
	if n < 3 || 5*n < 2*nr || (maxX0-left > tol && right-minX1 > tol) || xs[0]-right > 3*size {
		return nil, 0, false
	}
	return labels, x0 - 1, true
}

// searchInterval returns i with bounds[i] <= v < bounds[i+1], clamped.
func searchInterval(bounds []float64, v float64) int {
	i, _ := slices.BinarySearch(bounds, v)
	i--
	return max(0, min(i, len(bounds)-2))
}

// unmerge handles a merged cell whose text is really laid out in the
// columns it covers (rules drawn only in the header, say): when every
// chunk of its lines lies inside one column and the chunks occupy several
// columns, the text is spread over the fine cells and true is returned.
func unmerge(rows [][]string, ll []layout.Line, xs, ys []float64, r0, c0, r1, c1 int) bool {
	lines := chunkLines(ll, false)
	if len(lines) == 0 {
		return false
	}
	type place struct {
		i, j int
		text string
	}
	var places []place
	usedCols := map[int]bool{}
	for _, l := range lines {
		for _, c := range l.chunks {
			j := -1
			for k := c0; k <= c1; k++ {
				if c.box.X0 >= xs[k]-1 && c.box.X1 <= xs[k+1]+1 {
					j = k
					break
				}
			}
			if j < 0 {
				return false
			}
			i := r0
			if r1 > r0 {
				i = searchInterval(ys, (c.box.Y0+c.box.Y1)/2)
				i = max(r0, min(r1, i))
			}
			usedCols[j] = true
			places = append(places, place{i, j, c.text})
		}
	}
	if len(usedCols) < 2 {
		return false
	}
	for _, p := range places {
		if rows[p.i][p.j] != "" {
			rows[p.i][p.j] += " "
		}
		rows[p.i][p.j] += p.text
	}
	return true
}

// splitUnruledRows finds ruled rows that hold several rows of text with no
// rules between them (tables ruled only around the header and the body):
// a row whose text has at least three baselines, with at least two
// columns holding a line on each of them. It returns the row boundaries
// with boundaries added between those baselines, and which boundaries
// were added. A row whose cells merely wrap (one column with several
// lines) is left alone.
func splitUnruledRows(glyphs []content.Glyph, xs, ys []float64) ([]float64, map[int]bool) {
	nr, nc := len(ys)-1, len(xs)-1
	// Each row's glyphs are a piece of one slice, in page order.
	rowOf := make([]int32, len(glyphs))
	count := make([]int, nr+1)
	for k, g := range glyphs {
		cx, cy := g.Box.CenterX(), g.Box.CenterY()
		if g.Dir != 0 || g.Space || cx < xs[0] || cx > xs[nc] || cy < ys[0] || cy > ys[nr] {
			rowOf[k] = -1
			continue
		}
		i := searchInterval(ys, cy)
		rowOf[k] = int32(i)
		count[i+1]++
	}
	for i := 1; i <= nr; i++ {
		count[i] += count[i-1]
	}
	all := make([]content.Glyph, count[nr])
	next := slices.Clone(count[:nr])
	for k, i := range rowOf {
		if i >= 0 {
			all[next[i]] = glyphs[k]
			next[i]++
		}
	}
	rowGlyphs := make([][]content.Glyph, nr)
	for i := range rowGlyphs {
		rowGlyphs[i] = all[count[i]:count[i+1]:count[i+1]]
	}
	var out []float64
	virtual := map[int]bool{}
	for i := 0; i < nr; i++ {
		out = append(out, ys[i])
		gs := rowGlyphs[i]
		// The first row of a table with several rows is its header, whose
		// cells often all wrap over several lines.
		if len(gs) < 6 || (i == 0 && nr > 1) {
			continue
		}
		groups := baselineClusters(gs)
		if len(groups) < 3 {
			continue
		}
		// Count, per column, the baselines it has text on.
		full, withText := 0, 0
		for j := 0; j < nc; j++ {
			n := 0
			for _, g := range groups {
				for _, gl := range g {
					if cx := gl.Box.CenterX(); cx >= xs[j] && cx < xs[j+1] {
						n++
						break
					}
				}
			}
			if n == len(groups) {
				full++
			}
			if n > 0 {
				withText++
			}
		}
		if full < 2 || float64(full) < 0.6*float64(withText) {
			continue
		}
		for k := 1; k < len(groups); k++ {
			top, bottom := groups[k-1][0].Box.Y1, groups[k][0].Box.Y0
			for _, g := range groups[k-1] {
				top = max(top, g.Box.Y1)
			}
			for _, g := range groups[k] {
				bottom = min(bottom, g.Box.Y0)
			}
			y := (top + bottom) / 2
			if y <= out[len(out)-1] || y >= ys[i+1] {
				continue
			}
			virtual[len(out)] = true
			out = append(out, y)
		}
	}
	out = append(out, ys[nr])
	return out, virtual
}

// baselineClusters groups glyphs by baseline, top to bottom. It sorts gs
// in place and returns consecutive pieces of it.
func baselineClusters(gs []content.Glyph) [][]content.Glyph {
	slices.SortFunc(gs, func(a, b content.Glyph) int { return cmpF(a.Y, b.Y) })
	var out [][]content.Glyph
	start, first := 0.0, 0
	for i, g := range gs {
		if i > 0 && g.Y-start > 0.5*max(g.Size, 1) {
			out = append(out, gs[first:i:i])
			first = i
		}
		if i == first {
			start = g.Y
		}
	}
	if len(gs) > 0 {
		out = append(out, gs[first:len(gs):len(gs)])
	}
	return out
}

// underRuled reports a grid whose rules outline only groups of columns
// and rows: cells holding several lines of numbers set apart in columns
// of their own, as tables ruled only around column groups print their body.
// Such a grid's text is left to the unruled detection, which finds the
// columns the rules do not draw.
func underRuled(texts map[int]*groupText) bool {
	n := 0
	for _, t := range texts {
		if len(t.glyphs) < 4 || len(t.lines) < 1 {
			continue
		}
		for _, l := range t.lines {
			if len(l.Words) < 2 {
				continue
			}
			for _, cl := range chunkLines([]layout.Line{l}, false) {
				values := 0
				for _, c := range cl.chunks {
					if numcell.IsValue(c.text) {
						values++
					}
				}
				if values >= 2 {
					n++
				}
			}
		}
	}
	return n >= 3
}

// groupText is the text of a group of grid cells.
type groupText struct {
	glyphs []content.Glyph
	words  []layout.Word
	lines  []layout.Line
}
