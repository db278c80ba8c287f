package table

import (
	"slices"
	"strings"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/content"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/geom"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/layout"
)

// chunk is a run of words on one line separated by less than a column
// gap: the candidate text of one cell.
type chunk struct {
	text string
	box  geom.Rect
	size float64
}

// textLine is a line of chunks.
type textLine struct {
	chunks   []chunk
	box      geom.Rect
	baseline float64
	size     float64
}

// chunkGap is the gap, in font sizes, that separates two chunks.
const chunkGap = 0.5

func chunkLines(lines []layout.Line) []textLine {
	out := make([]textLine, 0, len(lines))
	for _, l := range lines {
		tl := textLine{box: l.Box, baseline: l.Baseline, size: l.Size}
		var cur []layout.Word
		flush := func() {
			if len(cur) == 0 {
				return
			}
			parts := make([]string, len(cur))
			box := cur[0].Box
			size := 0.0
			for i, w := range cur {
				parts[i] = w.Text
				box = box.Union(w.Box)
				size = max(size, w.Size)
			}
			tl.chunks = append(tl.chunks, chunk{text: strings.Join(parts, " "), box: box, size: size})
			cur = cur[:0]
		}
		for i, w := range l.Words {
			if i > 0 {
				prev := l.Words[i-1]
				gap := w.Box.X0 - prev.Box.X1
				if gap > chunkGap*max(w.Size, prev.Size) {
					flush()
				}
			}
			cur = append(cur, w)
		}
		flush()
		out = append(out, tl)
	}
	return out
}

// streamTables finds tables laid out by alignment alone among the glyphs
// outside ruled tables.
func streamTables(glyphs []content.Glyph, rs rulings, ruled []Table) []Table {
	if len(glyphs) == 0 {
		return nil
	}
	lines := chunkLines(layout.Lines(layout.Words(glyphs)))
	var out []Table
	for _, blk := range blocks(lines) {
		if t, ok := blockTable(blk); ok {
			out = append(out, t)
		}
	}
	return out
}

// intervals returns the union of the x ranges of the chunks of lines with
// at least two chunks, sorted.
func intervals(lines []textLine, minChunks int) [][2]float64 {
	var iv [][2]float64
	for _, l := range lines {
		if len(l.chunks) < minChunks {
			continue
		}
		for _, c := range l.chunks {
			iv = append(iv, [2]float64{c.box.X0, c.box.X1})
		}
	}
	slices.SortFunc(iv, func(a, b [2]float64) int { return cmpF(a[0], b[0]) })
	var cols [][2]float64
	for _, x := range iv {
		if len(cols) > 0 && x[0] <= cols[len(cols)-1][1] {
			cols[len(cols)-1][1] = max(cols[len(cols)-1][1], x[1])
			continue
		}
		cols = append(cols, x)
	}
	return cols
}

// bridges reports whether a chunk of l covers a gap between two of cols.
func bridges(l textLine, cols [][2]float64) bool {
	for _, c := range l.chunks {
		n := 0
		for _, col := range cols {
			if geom.Overlap1D(col[0], col[1], c.box.X0, c.box.X1) > 0 {
				n++
			}
		}
		if n > 1 {
			return true
		}
	}
	return false
}

// blocks splits the lines into runs that look like table rows: lines of
// several chunks whose columns agree, allowing single-chunk lines between
// them. A multi-chunk line whose chunks cross the gaps the block's lines
// leave ends the block.
func blocks(lines []textLine) [][]textLine {
	var out [][]textLine
	var cur []textLine
	multi, singles := 0, 0
	flush := func() {
		// Trailing single-chunk lines do not belong to the table.
		for len(cur) > 0 && len(cur[len(cur)-1].chunks) < 2 {
			cur = cur[:len(cur)-1]
		}
		if multi >= 2 && len(cur) >= 2 {
			out = append(out, cur)
		}
		cur, multi, singles = nil, 0, 0
	}
	for _, l := range lines {
		if len(cur) > 0 {
			prev := cur[len(cur)-1]
			gap := l.box.Y0 - prev.box.Y1
			if gap > 2.0*max(l.size, prev.size) {
				flush()
			}
		}
		if len(l.chunks) >= 2 {
			if multi >= 1 {
				cols := intervals(cur, 2)
				if len(cols) >= 2 && bridges(l, cols) {
					if multi >= 3 {
						flush()
					} else {
						// Two lines that disagree are prose, not a table:
						// start again from this line.
						cur, multi, singles = nil, 0, 0
					}
				}
			}
			cur = append(cur, l)
			multi++
			singles = 0
			continue
		}
		if len(cur) == 0 {
			continue
		}
		singles++
		if singles > 1 {
			flush()
			continue
		}
		cur = append(cur, l)
	}
	flush()
	return out
}

// blockTable builds a table from a block of lines. Columns are the x
// ranges the chunks of the fullest lines occupy; chunks of other lines
// that cover several columns become spans starting at their first column.
func blockTable(blk []textLine) (Table, bool) {
	maxChunks := 0
	for _, l := range blk {
		maxChunks = max(maxChunks, len(l.chunks))
	}
	minChunks := max(2, (maxChunks+1)/2)
	cols := intervals(blk, minChunks)
	if len(cols) < 2 {
		cols = intervals(blk, 2)
	}
	if len(cols) < 2 {
		return Table{}, false
	}
	blk = mergeWrapped(blk, cols)
	rows := make([][]string, 0, len(blk))
	var spans []Span
	box := blk[0].box
	for i, l := range blk {
		row := make([]string, len(cols))
		for _, c := range l.chunks {
			first, last := columnRange(cols, c.box)
			if row[first] != "" {
				row[first] += " "
			}
			row[first] += c.text
			if last > first {
				spans = append(spans, Span{Row: i, Col: first, RowSpan: 1, ColSpan: last - first + 1})
			}
		}
		rows = append(rows, row)
		box = box.Union(l.box)
	}
	colX := make([]float64, 0, len(cols)+1)
	colX = append(colX, box.X0)
	for j := 1; j < len(cols); j++ {
		colX = append(colX, (cols[j-1][1]+cols[j][0])/2)
	}
	colX = append(colX, box.X1)
	return Table{BBox: box, Rows: rows, Spans: spans, ColX: colX}, true
}

// columnRange returns the first and last column a chunk covers: the
// columns it overlaps by a good part of itself or of them, or the one it
// overlaps most, or the nearest.
func columnRange(cols [][2]float64, b geom.Rect) (int, int) {
	first, last := -1, -1
	for j, c := range cols {
		ov := geom.Overlap1D(c[0], c[1], b.X0, b.X1)
		if ov <= 0 {
			continue
		}
		if ov >= 0.5*min(c[1]-c[0], b.Width()) || ov >= 0.9*b.Width() {
			if first < 0 {
				first = j
			}
			last = j
		}
	}
	if first >= 0 {
		return first, last
	}
	j := bestColumn(cols, b)
	return j, j
}

// mergeWrapped joins a line into the next when the two are much closer
// than the rows of the block are to each other: the lines of a wrapped
// cell.
func mergeWrapped(blk []textLine, cols [][2]float64) []textLine {
	if len(blk) < 3 {
		return blk
	}
	gaps := make([]float64, 0, len(blk)-1)
	for i := 1; i < len(blk); i++ {
		gaps = append(gaps, blk[i].box.Y0-blk[i-1].box.Y1)
	}
	sorted := slices.Clone(gaps)
	slices.Sort(sorted)
	median := sorted[len(sorted)/2]
	size := blk[0].size
	if median < 0.4*size {
		return blk
	}
	out := []textLine{blk[0]}
	for i := 1; i < len(blk); i++ {
		prev := &out[len(out)-1]
		if gaps[i-1] < 0.5*median && compatible(*prev, blk[i], cols) {
			prev.chunks = append(prev.chunks, blk[i].chunks...)
			prev.box = prev.box.Union(blk[i].box)
			continue
		}
		out = append(out, blk[i])
	}
	// Chunks of merged lines in the same column join in reading order.
	for i := range out {
		out[i].chunks = joinSameColumn(out[i].chunks, cols)
	}
	return out
}

// compatible reports whether b may join a as part of the same row: they
// fill different columns, or one of them fills a single column the other
// also fills (a wrapped cell whose other line carries the row's values).
func compatible(a, b textLine, cols [][2]float64) bool {
	ca, cb := occupied(a, cols), occupied(b, cols)
	shared := 0
	for j := range ca {
		if cb[j] {
			shared++
		}
	}
	switch {
	case shared == 0:
		return true
	case shared == 1 && (len(ca) == 1 || len(cb) == 1):
		return true
	}
	return false
}

func occupied(l textLine, cols [][2]float64) map[int]bool {
	m := map[int]bool{}
	for _, c := range l.chunks {
		j, _ := columnRange(cols, c.box)
		m[j] = true
	}
	return m
}

// joinSameColumn merges chunks that fall in the same column, top to
// bottom, left to right.
func joinSameColumn(chunks []chunk, cols [][2]float64) []chunk {
	byCol := map[int]int{}
	var out []chunk
	for _, c := range chunks {
		j, _ := columnRange(cols, c.box)
		if k, ok := byCol[j]; ok {
			out[k].text += " " + c.text
			out[k].box = out[k].box.Union(c.box)
			continue
		}
		byCol[j] = len(out)
		out = append(out, c)
	}
	return out
}

// bestColumn returns the column a chunk overlaps most, or the nearest.
func bestColumn(cols [][2]float64, b geom.Rect) int {
	best, bestOv := 0, -1.0
	for j, c := range cols {
		ov := geom.Overlap1D(c[0], c[1], b.X0, b.X1)
		if ov > bestOv+1e-9 {
			best, bestOv = j, ov
		}
	}
	if bestOv > 0 {
		return best
	}
	cx := b.CenterX()
	bestD := -1.0
	for j, c := range cols {
		d := min(abs(cx-c[0]), abs(cx-c[1]))
		if bestD < 0 || d < bestD {
			best, bestD = j, d
		}
	}
	return best
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
