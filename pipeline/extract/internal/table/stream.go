package table

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/content"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/geom"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/layout"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/numcell"
)

// chunk is a run of words on one line separated by less than a column
// gap: the candidate text of one cell.
type chunk struct {
	text  string
	box   geom.Rect
	size  float64
	words []layout.Word
}

// textLine is a line of chunks.
type textLine struct {
	chunks   []chunk
	box      geom.Rect
	baseline float64
	size     float64
}

const (
	// chunkGap is the gap, in font sizes, that separates two chunks.
	chunkGap = 0.5
	// spacedGap is the widest gap, in font sizes, that an explicit space
	// character bridges inside one chunk (a monospaced space is 0.6 em).
	spacedGap = 0.8
)

// explicitSpaces reports whether the text of a page writes the spaces
// between the words of a phrase as space characters, as spreadsheets and
// word processors do: then two words on a line without a space between
// them were placed apart, as the texts of two cells are, however close
// they sit (a right-aligned number and the left-aligned text of the next
// column are often only a space apart).
func explicitSpaces(lines []layout.Line) bool {
	pairs, spaced := 0, 0
	for _, l := range lines {
		for i := 1; i < len(l.Words); i++ {
			a, b := l.Words[i-1], l.Words[i]
			if b.Box.X0-a.Box.X1 > spacedGap*max(a.Size, b.Size) {
				continue
			}
			pairs++
			if a.SpaceAfter {
				spaced++
			}
		}
	}
	// Few phrases on a page (a sheet of one-word cells) tell it when
	// every one of them writes its spaces.
	return spaced >= 5 && 5*spaced >= pairs || spaced > 0 && spaced == pairs
}

// leaderGap is the widest gap, in font sizes, between the dots of a
// leader (a row label's dots running to its values).
const leaderGap = 1.5

// leader reports whether a word is made of dots only: a piece of a
// leader.
func leader(text string) bool {
	n := 0
	for _, r := range text {
		switch r {
		case '.', '·', '…', '․':
			n++
		case ' ', '\u00a0':
		default:
			return false
		}
	}
	return n > 0
}

// chunkLines splits lines into chunks at column gaps; with explicit
// (see explicitSpaces) also wherever two words have no space character
// between them.
func chunkLines(lines []layout.Line, explicit bool) []textLine {
	out := make([]textLine, 0, len(lines))
	for _, l := range lines {
		tl := textLine{box: l.Box, baseline: l.Baseline, size: l.Size}
		start := 0
		flush := func(end int) {
			if end <= start {
				return
			}
			ws := l.Words[start:end]
			parts := make([]string, len(ws))
			box := ws[0].Box
			size := 0.0
			for i, w := range ws {
				parts[i] = w.Text
				box = box.Union(w.Box)
				size = max(size, w.Size)
			}
			tl.chunks = append(tl.chunks, chunk{text: strings.Join(parts, " "), box: box, size: size, words: ws})
			start = end
		}
		for i := 1; i < len(l.Words); i++ {
			prev, w := l.Words[i-1], l.Words[i]
			gap := w.Box.X0 - prev.Box.X1
			size := max(w.Size, prev.Size)
			split := gap > chunkGap*size
			if explicit {
				// The space must lead to the word: a space ending a
				// wrapped line of one cell does not join the next cell.
				// Nor a space that the next word, placed anew, is drawn
				// over: a right-aligned cell's trailing space running
				// into the next cell ("Production " and "Well").
				split = !prev.SpaceAfter || gap > spacedGap*size || w.Box.X0-prev.SpaceEnd > 0.3*size ||
					(w.Run != prev.EndRun && w.Box.X0 < prev.SpaceEnd-0.05*size)
			}
			if split && leader(w.Text) && gap <= leaderGap*size {
				// Dot leaders run on from the text they lead from.
				split = false
			}
			if split {
				flush(i)
			}
		}
		flush(len(l.Words))
		out = append(out, tl)
	}
	return out
}

// streamTables finds tables laid out by alignment alone among the glyphs
// outside ruled tables.
func streamTables(glyphs []content.Glyph, rs rulings, ruled []Table, frames []geom.Rect) []Table {
	if len(glyphs) == 0 {
		return nil
	}
	ll := layout.Lines(layout.Words(glyphs))
	lines := chunkLines(ll, explicitSpaces(ll))
	var out []Table
	for _, blk := range blocks(lines, frames) {
		var hrules []rule
		if frameOf(blk[len(blk)-1], frames) >= 0 {
			hrules = rs.h
		}
		if t, ok := blockTable(blk, hrules); ok {
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

// Gaps between lines, in font sizes.
const (
	// blockGap ends a block: a gap of two blank lines.
	blockGap = 2.0
	// wrapGap is the largest gap between two lines of one cell (the
	// leading of the font), below the gap between two rows.
	wrapGap = 0.25
)

// blocks splits the lines into runs that look like table rows: lines of
// several chunks whose columns agree, allowing lines of one chunk between
// them (rows with empty cells, lines of wrapped cells). A table ends
// where its column structure ends: at a multi-chunk line whose chunks
// cross the gaps the block's lines leave, at a single line across those
// gaps set off by a wider gap than the rows (a caption, a note, a
// paragraph), or after a gap of two blank lines. Lines of one chunk just
// above the first row, closer than rows are (the first lines of wrapped
// header cells), belong to the block.
func blocks(lines []textLine, frames []geom.Rect) [][]textLine {
	var out [][]textLine
	var cur, pending []textLine
	var gaps []float64
	multi, singles, spanning := 0, 0, 0
	// at is the index of the line being read; floor the bottom of the
	// last table found: lines above a table are looked for between them.
	at, floor := 0, math.Inf(-1)
	flush := func() {
		// Trailing single-chunk lines do not belong to the table, unless
		// they continue the last row's wrapped cells, one under the
		// other from that row down (lines close to each other below a
		// gap are a note's). A line labelled as a note or a source is
		// one however close it sits.
		m := len(cur) - 1
		for m > 0 && len(cur[m].chunks) < 2 {
			m--
		}
		keep := m + 1
		for k := m + 1; k < len(cur); k++ {
			last, prev := cur[k], cur[k-1]
			gap := last.box.Y0 - prev.box.Y1
			if breaksColumns(last, cur[:k]) || noteLabel(last.chunks[0].text) ||
				(gap > wrapGap*max(last.size, prev.size) &&
					(k < 2 || len(prev.chunks) < 2 || gap > 1.5*rowGap(cur[:k]) || last.size > prev.size*1.05)) {
				break
			}
			keep = k + 1
		}
		cur = cur[:keep]
		// Lines at the top in a font larger than the rows' are a title
		// (a running head, a caption), not a header.
		titled := false
		if k := largerPrefix(cur); k > 0 {
			titled = true
			cur = cur[k:]
			multi = 0
			for _, c := range cur {
				if len(c.chunks) >= 2 {
					multi++
				}
			}
		}
		if multi >= 2 && len(cur) >= 2 {
			if !titled && frameOf(cur[0], frames) < 0 {
				cur = append(linesAbove(lines[:at], cur, floor), cur...)
			}
			out = append(out, cur)
			floor = cur[len(cur)-1].box.Y1
		}
		cur, gaps, multi, singles, spanning = nil, nil, 0, 0, 0
	}
	lastFrame := -2
	for li, l := range lines {
		at = li
		// A frame of rules around a table's text (ruled only around its
		// column groups) bounds the table: it starts and ends with it,
		// and the lines above its first row inside it are its header's.
		frame := frameOf(l, frames)
		if frame != lastFrame && lastFrame != -2 {
			flush()
			pending = pending[:0]
		}
		lastFrame = frame
		if len(cur) > 0 {
			prev := cur[len(cur)-1]
			gap := l.box.Y0 - prev.box.Y1
			if gap > blockGap*max(l.size, prev.size) && !continuesAcrossGap(lines[li:], cur, frame, frames) {
				flush()
			} else {
				gaps = append(gaps, gap)
			}
		}
		if len(l.chunks) >= 2 {
			if captionLine(l) {
				// A caption ("Table 3. ...") ends a table and starts none;
				// the lines that continue it are not held for the next.
				flush()
				pending = pending[:0]
				continue
			}
			// Inside a frame the rules bound the table: lines that
			// disagree there are its header's.
			if multi >= 1 && frame < 0 && !firstRowAfterHeader(l, cur) && !firstValuesUnderHeadings(l, cur) {
				if breaksColumns(l, cur) {
					if multi >= 3 {
						flush()
					} else {
						// Two lines that disagree are prose, not a table:
						// start again from this line.
						cur, gaps, multi, singles, spanning = nil, nil, 0, 0, 0
					}
				}
			}
			if len(cur) == 0 {
				cur = leadingLines(pending, l, frame >= 0)
			}
			pending = nil
			cur = append(cur, l)
			multi++
			singles, spanning = 0, 0
			continue
		}
		if len(cur) == 0 {
			if len(pending) > 0 && frame < 0 && l.box.Y0-pending[len(pending)-1].box.Y1 > wrapGap*l.size {
				pending = pending[:0]
			}
			pending = append(pending, l)
			continue
		}
		if frame < 0 && captionLabel(l.chunks[0].text) && len(strings.Fields(l.chunks[0].text)) > 2 {
			// The next table's caption ("Table 2. Field Operations
			// Review") in one chunk ends this table; the lines after it
			// may lead the next.
			flush()
			pending = pending[:0]
			continue
		}
		prev := cur[len(cur)-1]
		gap := l.box.Y0 - prev.box.Y1
		across := breaksColumns(l, cur)
		if across && gap > 1.5*median(gaps) && gap > wrapGap*l.size {
			flush()
			pending = append(pending[:0], l)
			continue
		}
		singles++
		if across {
			spanning++
		}
		// Up to three rows with one cell each, or one line across the
		// columns (a section heading); more is a paragraph.
		if singles > 3 || spanning > 1 {
			flush()
			continue
		}
		cur = append(cur, l)
	}
	flush()
	return out
}

// linesAbove returns the lines of one cell each right above a table's
// first line (among before, the lines above it, below floor) that line
// up with its columns: a column heading over a column of values ("2016"
// on their right edge), a unit or a section label on the labels' left
// edge, a heading centred over a group of columns past the first ("Year"
// over 1997 … 2007). They sit no further apart than the table's rows, in
// the rows' font; a longer sentence, a caption or a larger title ends
// them.
func linesAbove(before, cur []textLine, floor float64) []textLine {
	first := cur[0]
	i := len(before) - 1
	for i >= 0 && before[i].box.Y0 >= first.box.Y0 {
		i-- // the table's own lines
	}
	var lefts, rights []float64
	var sizes []float64
	for _, l := range cur {
		if len(l.chunks) < 2 {
			continue
		}
		sizes = append(sizes, l.size)
		for _, c := range l.chunks {
			lefts, rights = append(lefts, c.box.X0), append(rights, c.box.X1)
		}
	}
	body, rows, cols := median(sizes), rowGap(cur), intervals(cur, 2)
	// above reports whether l, gap above the line under it, lines up with
	// the columns. A heading over a group of columns may be set off from
	// them by a rule, up to a line's height however tight the rows.
	above := func(l textLine, gap float64) bool {
		c := l.chunks[0]
		if headsGroup(c, cols) {
			return gap <= max(1.5*rows, l.size)
		}
		if gap > 1.5*rows {
			return false
		}
		tol := 0.2 * c.size
		for k := range lefts {
			if abs(c.box.X0-lefts[k]) <= tol || abs(c.box.X1-rights[k]) <= tol {
				return true
			}
		}
		return false
	}
	next, n := first, 0
	for ; i >= 0 && n < 3; i-- {
		l := before[i]
		if len(l.chunks) != 1 || l.box.Y1 <= floor || l.size > 1.05*body || !above(l, next.box.Y0-l.box.Y1) ||
			len(strings.Fields(l.chunks[0].text)) >= 8 || captionLabel(l.chunks[0].text) {
			break
		}
		next, n = l, n+1
	}
	return slices.Clone(before[i+1 : i+1+n])
}

// headsGroup reports whether c is centred over two or more of cols past
// the first (the rows' labels), within the columns. A note in brackets
// ("[In thousands]") heads nothing.
func headsGroup(c chunk, cols [][2]float64) bool {
	n := len(cols)
	if n < 3 || c.box.X0 <= cols[0][1] || c.box.X1 > cols[n-1][1] || strings.HasPrefix(c.text, "(") || strings.HasPrefix(c.text, "[") {
		return false
	}
	tol := max(2, 0.15*c.box.Width())
	for a := 1; a < n; a++ {
		for b := a + 1; b < n; b++ {
			if abs((cols[a][0]+cols[b][1])/2-c.box.CenterX()) <= tol {
				return true
			}
		}
	}
	return false
}

// largerPrefix returns how many lines at the top of a block are set in
// a font larger than most of its rows of several cells.
func largerPrefix(cur []textLine) int {
	var sizes []float64
	for _, c := range cur {
		if len(c.chunks) >= 2 {
			sizes = append(sizes, c.size)
		}
	}
	if len(sizes) == 0 {
		return 0
	}
	body := median(sizes)
	k := 0
	for k < len(cur) && cur[k].size > 1.15*body {
		k++
	}
	return k
}

// captionWords are the words that label a table's or a figure's caption.
var captionWords = []string{"table", "exhibit", "figure", "fig.", "chart"}

// captionLine reports whether a line of several chunks starts with a
// caption's label: "Table 3.", "Exhibit A-2", "Table: 5", then the
// caption's text in a chunk of its own.
func captionLine(l textLine) bool {
	return len(l.chunks) >= 2 && len(l.chunks) <= 3 &&
		len(strings.Fields(l.chunks[0].text)) == 2 && captionLabel(l.chunks[0].text)
}

// captionLabel reports whether text starts with a caption's label: a
// caption word, then a number that may carry letters ("A-1", "3b").
func captionLabel(text string) bool {
	f := strings.Fields(strings.ToLower(text))
	if len(f) < 2 || !slices.Contains(captionWords, strings.TrimRight(f[0], ":")) {
		return false
	}
	id := strings.TrimRight(f[1], ".:")
	if id == "" || len(id) > 8 {
		return false
	}
	digit := false
	for _, r := range id {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case r >= 'a' && r <= 'z', r == '-', r == '.', r == '–':
		default:
			return false
		}
	}
	return digit
}

// noteLabel reports whether text starts as a table's note or source does.
func noteLabel(text string) bool {
	t := strings.ToLower(text)
	for _, w := range []string{"source:", "sources:", "note:", "notes:"} {
		if strings.HasPrefix(t, w) {
			return true
		}
	}
	return false
}

// maxSectionGap is the widest gap, in font sizes, between the sections
// of one table (a header and the rows under a section label).
const maxSectionGap = 3.5

// continuesAcrossGap reports whether the table in cur goes on after a
// gap of two blank lines or more: past at most two lines of one chunk (a
// section's label), the next line of several chunks, in the font of the
// block's rows and no further than maxSectionGap below, falls in the
// block's columns.
func continuesAcrossGap(next []textLine, cur []textLine, frame int, frames []geom.Rect) bool {
	prev := cur[len(cur)-1]
	all := intervals(cur, 2)
	if len(all) < 2 {
		return false
	}
	for k, l := range next {
		if k > 2 || l.box.Y0-prev.box.Y1 > maxSectionGap*max(l.size, prev.size) || frameOf(l, frames) != frame {
			return false
		}
		if len(l.chunks) < 2 {
			if bridges(l, all) {
				return false
			}
			prev = l
			continue
		}
		if captionLine(l) || breaksColumns(l, cur) {
			return false
		}
		// Every chunk falls in a column of the block.
		for _, c := range l.chunks {
			in := false
			for _, iv := range all {
				in = in || geom.Overlap1D(iv[0], iv[1], c.box.X0, c.box.X1) > 0
			}
			if !in {
				return false
			}
		}
		return true
	}
	return false
}

// frameOf returns the index of the frame holding the middle of l, or -1.
func frameOf(l textLine, frames []geom.Rect) int {
	for i, f := range frames {
		if f.Contains(l.box.CenterX(), l.box.CenterY()) {
			return i
		}
	}
	return -1
}

// firstRowAfterHeader reports whether l is the first row under a header
// of several lines (cur, all as close as lines of one cell) and has at
// least as many cells as any of them: a header's cells are centred or
// wrapped and need not line up with the values.
func firstRowAfterHeader(l textLine, cur []textLine) bool {
	if len(cur) < 2 {
		return false
	}
	most := 0
	for i, c := range cur {
		if i > 0 && c.box.Y0-cur[i-1].box.Y1 > wrapGap*max(c.size, cur[i-1].size) {
			return false
		}
		most = max(most, len(c.chunks))
	}
	return len(l.chunks) >= most
}

// firstValuesUnderHeadings reports whether l is the first row of values
// under a header of several lines (cur, holding no values), with at
// least as many cells as any of them: headings over column groups need
// not line up with the values.
func firstValuesUnderHeadings(l textLine, cur []textLine) bool {
	if len(cur) < 2 {
		return false
	}
	most := 0
	for _, c := range cur {
		for _, ch := range c.chunks {
			if numcell.IsValue(ch.text) {
				return false
			}
		}
		most = max(most, len(c.chunks))
	}
	values := 0
	for _, ch := range l.chunks {
		if numcell.IsValue(ch.text) {
			values++
		}
	}
	return values >= 2 && len(l.chunks) >= most
}

// breaksColumns reports whether l crosses the gaps between the columns
// of the block cur: those of all its lines and those of the lines below
// its first row (whose header cells may sit apart from their columns'
// values), once there are such lines.
func breaksColumns(l textLine, cur []textLine) bool {
	all := intervals(cur, 2)
	if len(all) < 2 || !bridges(l, all) || !bridges(placedApart(l, all), all) {
		return false
	}
	head := 1
	for head < len(cur) && cur[head].box.Y0-cur[head-1].box.Y1 <= wrapGap*max(cur[head].size, cur[head-1].size) {
		head++
	}
	body := intervals(cur[head:], 2)
	return len(body) < 2 || bridges(placedApart(l, body), body)
}

// placedApart returns l with each chunk across a gap of cols split where
// its words were placed apart, when the parts then cross none: two cells'
// texts run together, the first filling its cell to the next one's edge.
func placedApart(l textLine, cols [][2]float64) textLine {
	var out []chunk
	changed := false
	for _, c := range l.chunks {
		one := textLine{chunks: []chunk{c}}
		if bridges(one, cols) {
			if parts := runParts(c); len(parts) > 1 && !bridges(textLine{chunks: parts}, cols) {
				out = append(out, parts...)
				changed = true
				continue
			}
		}
		out = append(out, c)
	}
	if changed {
		l.chunks = out
	}
	return l
}

// leadingLines returns the lines of pending (single-chunk lines just
// above first) that are as close to first as lines of one cell are, in
// the same font size, each within one cell of first.
func leadingLines(pending []textLine, first textLine, framed bool) []textLine {
	k := len(pending)
	next := first
	for k > 0 {
		p := pending[k-1]
		if (!framed && next.box.Y0-p.box.Y1 > wrapGap*max(p.size, next.size)) || p.size > 1.15*first.size {
			break
		}
		// A line across two cells of the first row is a title, unless
		// its words were placed apart where it crosses them (the ends of
		// two wrapped cells' lines run together).
		across := false
		for _, part := range runParts(p.chunks[0]) {
			n := 0
			for _, c := range first.chunks {
				if geom.Overlap1D(c.box.X0, c.box.X1, part.box.X0, part.box.X1) > 0 {
					n++
				}
			}
			across = across || n > 1
		}
		if across {
			break
		}
		k--
		next = p
	}
	return slices.Clone(pending[k:])
}

// median returns the median of vs, or 0 for none.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	return s[len(s)/2]
}

// blockTable builds a table from a block of lines. Columns are the x
// ranges the chunks of the fullest lines occupy; chunks of other lines
// that cover several columns become spans starting at their first column.
//
// hrules are the horizontal rules of the frame around the block, if it
// has one: header lines between the same two rules are one header row.
func blockTable(blk []textLine, hrules []rule) (Table, bool) {
	cols := columns(blk)
	// A line above the first row across several columns is a title or a
	// caption, not a wrapped header cell.
	for len(blk) > 2 && len(blk[0].chunks) == 1 && len(cols) >= 2 {
		if first, last := columnRange(cols, blk[0].chunks[0].box); first == last || len(splitRuns(blk[0].chunks[0], cols)) > 1 {
			break
		}
		blk = blk[1:]
		cols = columns(blk)
	}
	if len(cols) < 2 {
		return Table{}, false
	}
	if paragraph(blk) {
		return Table{}, false
	}
	blk = splitMerged(blk, cols)
	blk = mergeWrapped(blk, cols)
	if len(hrules) > 0 {
		blk = joinRuledHeader(blk, cols, hrules)
	}
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
	if prose(rows) {
		return Table{}, false
	}
	spans = groupHeadings(blk, cols, rows, spans)
	spans = raiseHeaderCells(rows, spans)
	colX := make([]float64, 0, len(cols)+1)
	colX = append(colX, box.X0)
	for j := 1; j < len(cols); j++ {
		colX = append(colX, (cols[j-1][1]+cols[j][0])/2)
	}
	colX = append(colX, box.X1)
	return Table{BBox: box, Rows: rows, Spans: spans, ColX: colX}, true
}

// headingGroup returns the columns a..b around columns j..last, those
// of the chunk k of l, over which the chunk is centred, each column
// free(a) (free of other headings and with a sub-heading below), none
// reaching under the headings beside it; the widest such group, or j,
// last.
func headingGroup(l textLine, k, j, last int, cols [][2]float64, free func(int) bool) (int, int) {
	c := l.chunks[k]
	lo, hi := math.Inf(-1), math.Inf(1)
	if k > 0 {
		lo = l.chunks[k-1].box.X1
	}
	if k+1 < len(l.chunks) {
		hi = l.chunks[k+1].box.X0
	}
	tol := max(2, 0.15*c.box.Width())
	ba, bb := j, last
	for a := j; a >= 0 && cols[a][0] > lo && free(a); a-- {
		for b := last; b < len(cols) && cols[b][1] < hi && free(b); b++ {
			if b-a > bb-ba && abs((cols[a][0]+cols[b][1])/2-c.box.CenterX()) <= tol {
				ba, bb = a, b
			}
		}
	}
	return ba, bb
}

// groupHeadingsOver reports whether a chunk of a heads a group of columns
// that b fills below it (see groupHeadings).
func groupHeadingsOver(a, b textLine, cols [][2]float64) bool {
	below := occupied(b, cols)
	above := occupied(a, cols)
	for k, c := range a.chunks {
		j, last := columnRange(cols, c.box)
		if j != last {
			all := true
			for m := j; m <= last; m++ {
				all = all && below[m]
			}
			if all {
				return true // across the columns it heads
			}
			continue
		}
		x, y := headingGroup(a, k, j, j, cols, func(m int) bool { return (m == j || !above[m]) && below[m] })
		if y > x {
			return true
		}
	}
	return false
}

// joinRuledHeader joins the header lines of a framed block (the lines
// above its first line holding a value) that no rule separates: the lines
// of one ruled header row, however far apart they are set. A line of
// headings over groups of columns keeps its own row.
func joinRuledHeader(blk []textLine, cols [][2]float64, hrules []rule) []textLine {
	hdr := 0
	for hdr < len(blk) && !lineHasValue(blk[hdr]) {
		hdr++
	}
	if hdr < 2 || hdr == len(blk) {
		return blk
	}
	lo, hi := blk[0].box.X0, blk[0].box.X1
	for _, l := range blk {
		lo, hi = min(lo, l.box.X0), max(hi, l.box.X1)
	}
	ruledBetween := func(a, b textLine) bool {
		for _, r := range hrules {
			if r.pos > a.box.Y1-1 && r.pos < b.box.Y0+1 && coverage(hrules, r.pos, lo, hi) >= 0.5 {
				return true
			}
		}
		return false
	}
	out := []textLine{blk[0]}
	for i := 1; i < len(blk); i++ {
		prev := &out[len(out)-1]
		if i < hdr && !ruledBetween(*prev, blk[i]) {
			if !groupHeadingsOver(*prev, blk[i], cols) {
				prev.chunks = joinSameColumn(append(slices.Clone(prev.chunks), blk[i].chunks...), cols)
				prev.box = prev.box.Union(blk[i].box)
				continue
			}
			// Beside the group headings, a cell of one column wraps on
			// into the sub-headings' line ("Total" over "population").
			moved, rest := wrappedBesideGroups(*prev, blk[i], cols)
			if len(moved) > 0 {
				prev.chunks = joinSameColumn(append(slices.Clone(prev.chunks), moved...), cols)
				for _, c := range moved {
					prev.box = prev.box.Union(c.box)
				}
				l := textLine{chunks: rest, baseline: blk[i].baseline, size: blk[i].size, box: rest[0].box}
				for _, c := range rest {
					l.box = l.box.Union(c.box)
				}
				out = append(out, l)
				continue
			}
		}
		out = append(out, blk[i])
	}
	return out
}

// wrappedBesideGroups splits the chunks of b, the line under a's group
// headings, into those continuing a cell of a that heads no group, each
// in that cell's one column, and the rest (the sub-headings). A cell of
// one column heads a group when it is centred over one, or when a column
// beside it, empty in a and filled in b, is nearer to it than to any
// other cell of a ("Other" over "Male" and "Female", the second column
// closer to it than to "Total"). It moves nothing when nothing would be
// left.
func wrappedBesideGroups(a, b textLine, cols [][2]float64) (moved, rest []chunk) {
	above, below := occupied(a, cols), occupied(b, cols)
	nearest := func(m int) int {
		best, bd := -1, math.Inf(1)
		for k, c := range a.chunks {
			if d := max(c.box.X0-cols[m][1], cols[m][0]-c.box.X1); d < bd {
				best, bd = k, d
			}
		}
		return best
	}
	single := map[int]bool{}
	for k, c := range a.chunks {
		j, last := columnRange(cols, c.box)
		if j != last {
			continue
		}
		if x, y := headingGroup(a, k, j, j, cols, func(m int) bool { return (m == j || !above[m]) && below[m] }); x != y {
			continue
		}
		heads := false
		for _, m := range []int{j - 1, j + 1} {
			heads = heads || (m >= 0 && m < len(cols) && !above[m] && below[m] && nearest(m) == k)
		}
		single[j] = !heads
	}
	for _, c := range b.chunks {
		j, last := columnRange(cols, c.box)
		if j == last && single[j] {
			moved = append(moved, c)
			continue
		}
		rest = append(rest, c)
	}
	if len(rest) == 0 {
		return nil, nil
	}
	return moved, rest
}

// lineHasValue reports whether a chunk of l is a number or a date (see
// valueText).
func lineHasValue(l textLine) bool {
	for _, c := range l.chunks {
		if valueText(c.text) {
			return true
		}
	}
	return false
}

// valueText reports whether text is a number or a date, also one printed
// with spaces in it ("11,062 .6").
func valueText(text string) bool {
	return numcell.IsValue(text) || numcell.IsValue(strings.ReplaceAll(text, " ", ""))
}

// groupHeadings finds the headings of column groups: a header cell
// above a row of sub-headings, centred over several columns that all
// have a sub-heading and nothing else beside it in its row (a heading
// merged across its group and centred, as spreadsheets print one). Its
// text moves to the group's first column, spanning the group. It returns
// the spans, updated.
func groupHeadings(blk []textLine, cols [][2]float64, rows [][]string, spans []Span) []Span {
	hdr := 0
	for hdr < len(rows) && !rowHasValue(rows[hdr]) {
		hdr++
	}
	if hdr == len(rows) {
		return spans
	}
	// Bottom up: a heading over groups of columns whose own headings
	// span them ("Race" over the races, each over no., rate and CI).
	for i := hdr - 2; i >= 0; i-- {
		l := blk[i]
		for k, c := range l.chunks {
			j, last := columnRange(cols, c.box)
			if rows[i][j] != c.text {
				continue
			}
			own := -1 // the span the chunk already has
			for m, sp := range spans {
				if sp.Row == i && sp.Col == j {
					own = m
				}
			}
			if own < 0 && covered(spans, i, j) {
				continue
			}
			ba, bb := headingGroup(l, k, j, last, cols, func(a int) bool {
				return (a >= j && a <= last || rows[i][a] == "" && !covered(spans, i, a)) && (rows[i+1][a] != "" || covered(spans, i+1, a))
			})
			if bb-ba <= last-j {
				continue
			}
			if own >= 0 {
				spans = slices.Delete(spans, own, own+1)
			}
			rows[i][j], rows[i][ba] = "", c.text
			spans = append(spans, Span{Row: i, Col: ba, RowSpan: 1, ColSpan: bb - ba + 1})
		}
	}
	return spans
}

// paragraph reports whether a third of a block's lines are lines of a
// paragraph: one chunk of eight words or more.
func paragraph(blk []textLine) bool {
	n := 0
	for _, l := range blk {
		if len(l.chunks) == 1 && len(strings.Fields(l.chunks[0].text)) >= 8 {
			n++
		}
	}
	return 3*n > len(blk)
}

// raiseHeaderCells finds a header of several rows (the rows above the
// first that holds a number or a date, when the first of them has two
// cells or more) and moves each header cell of a column of text with
// nothing above it up to the header's first row, as a cell spanning the header rows
// down to where it was printed (a stub or a column heading centred or set
// at the bottom of a header whose other headings take two rows). It
// returns the spans, updated.
func raiseHeaderCells(rows [][]string, spans []Span) []Span {
	hdr := 0
	for hdr < len(rows)-1 && hdr < 4 && !rowHasValue(rows[hdr]) {
		hdr++
	}
	if hdr < 2 || hdr == len(rows)-1 {
		return spans
	}
	// The first header row has two cells or more, or one heading over a
	// group of columns.
	filled := 0
	for j, c := range rows[0] {
		if c == "" {
			continue
		}
		filled++
		for _, sp := range spans {
			if sp.Row == 0 && sp.Col == j && sp.ColSpan > 1 {
				filled++
			}
		}
	}
	if filled < 2 {
		return spans
	}
	for j := range rows[0] {
		// Headings over numbers may sit under a heading spanning their
		// columns: only text columns' headings are raised, and the
		// first column's (the stub's: years, codes), which no group
		// heading spans.
		numbers := false
		for _, r := range rows[hdr:] {
			numbers = numbers || (j > 0 && numcell.IsValue(r[j]))
		}
		for i := 1; i < hdr && !numbers; i++ {
			if rows[i][j] == "" {
				continue
			}
			above := false
			for k := 0; k < i; k++ {
				above = above || rows[k][j] != "" || covered(spans, k, j)
			}
			if above {
				break
			}
			rows[0][j], rows[i][j] = rows[i][j], ""
			moved := false
			for k := range spans {
				if spans[k].Row == i && spans[k].Col == j {
					spans[k].Row, spans[k].RowSpan, moved = 0, i+1, true
				}
			}
			if !moved {
				spans = append(spans, Span{Row: 0, Col: j, RowSpan: i + 1, ColSpan: 1})
			}
			break
		}
	}
	slices.SortFunc(spans, func(a, b Span) int {
		if a.Row != b.Row {
			return a.Row - b.Row
		}
		return a.Col - b.Col
	})
	return spans
}

// covered reports whether a span covers the cell (i, j).
func covered(spans []Span, i, j int) bool {
	for _, s := range spans {
		if i >= s.Row && i < s.Row+s.RowSpan && j >= s.Col && j < s.Col+s.ColSpan {
			return true
		}
	}
	return false
}

// rowHasValue reports whether a row holds a number or a date. A row of
// years in order (1997, 1998, … 2007) heads the columns of a table by
// year: it holds none.
func rowHasValue(row []string) bool {
	years, prev, dir := 0, 0, 0
	for _, c := range row {
		if !numcell.IsValue(c) {
			continue
		}
		y, err := strconv.Atoi(c)
		d := cmp.Compare(y, prev)
		if err != nil || y < 1800 || y > 2199 || (prev != 0 && (d == 0 || (dir != 0 && d != dir))) {
			return true
		}
		if prev != 0 {
			dir = d
		}
		years, prev = years+1, y
	}
	return years == 1
}

// prose reports whether rows read as text set in columns rather than as
// a table: a third of the rows are lines of a paragraph (one cell of eight
// words or more), lines end in words broken by hyphens in cells of four
// words or more on average, or every column holds sentences (five words a cell or
// more on average) or only markers (bullets, list numbers), as bulleted
// lists and pages of two or three text columns do.
func prose(rows [][]string) bool {
	if len(rows) == 0 {
		return false
	}
	// Paragraph lines: rows whose one cell holds a sentence.
	lines := 0
	for _, r := range rows {
		filled, words := 0, 0
		for _, c := range r {
			if c != "" {
				filled++
				words += len(strings.Fields(c))
			}
		}
		if filled == 1 && words >= 8 {
			lines++
		}
	}
	if 3*lines > len(rows) {
		return true
	}
	// Lines of text columns: words broken at the line's end, in cells
	// four words long or more on average.
	hyphens, cells, words := 0, 0, 0
	for _, r := range rows {
		for _, c := range r {
			if c == "" {
				continue
			}
			cells++
			words += len(strings.Fields(c))
			if n := len(c); n >= 2 && c[n-1] == '-' && unicode.IsLetter(rune(c[n-2])) {
				hyphens++
			}
		}
	}
	if hyphens >= 2 && words >= 4*cells {
		return true
	}
	sentences := false
	for j := range rows[0] {
		n, words, marker := 0, 0, true
		for _, r := range rows {
			if r[j] == "" {
				continue
			}
			n++
			words += len(strings.Fields(r[j]))
			marker = marker && utf8.RuneCountInString(r[j]) <= 3
		}
		switch {
		case n == 0 || marker:
		case words >= 5*n:
			sentences = true
		default:
			return false
		}
	}
	return sentences
}

// columns returns the x ranges of a block's columns. The body's lines
// with the most chunks are laid down first, each chunk widening the
// column it falls in or starting a new one; a line with a chunk across
// two columns already laid down (a subtitle or a note spanning columns,
// two cells run together) or with two chunks in one column is left out.
// The first row (the header) comes last: a header cell centred over its
// column, or aligned on the other side, may not touch the column's
// values, so it joins the nearest column.
func columns(blk []textLine) [][2]float64 {
	head := 1
	for head < len(blk) && blk[head].box.Y0-blk[head-1].box.Y1 <= wrapGap*max(blk[head].size, blk[head-1].size) {
		head++
	}
	body := 0
	for _, l := range blk[head:] {
		if len(l.chunks) > 1 {
			body++
		}
	}
	cols := layColumns(nil, blk[head:])
	if len(cols) < 2 || body < 2 {
		// Too few rows to place the header by: its cells make the
		// columns (a table's last page holding one row under it).
		return joinApart(layColumns(nil, blk), blk)
	}
	for _, l := range blk[:head] {
		taken := map[int]bool{}
		var add [][2]float64
		// Header cells run together ("Total Depth" and "Annual", each
		// left-aligned in its cell) part where they were placed apart
		// further than a space.
		var chunks []chunk
		for _, c := range l.chunks {
			chunks = append(chunks, cellParts(c)...)
		}
		for _, c := range chunks {
			first, n := -1, 0
			for j, col := range cols {
				if c.box.X0 <= col[1] && c.box.X1 >= col[0] {
					if first < 0 {
						first = j
					}
					n++
				}
			}
			switch {
			case n > 1:
				continue
			case n == 0:
				first = alignedColumn(cols, blk[:head], c)
				if first < 0 {
					first = cellOf(cols, c.box.CenterX())
				}
			}
			if taken[first] && first+1 < len(cols) && !taken[first+1] && c.box.X1 < cols[first+1][0] {
				// Two header cells over one column: the second belongs
				// to the next column, whose values sit further right.
				first++
			}
			if taken[first] {
				add = append(add, [2]float64{c.box.X0, c.box.X1})
				continue
			}
			taken[first] = true
			lo, hi := min(c.box.X0, cols[first][0]), max(c.box.X1, cols[first][1])
			if (first > 0 && lo <= cols[first-1][1]) || (first+1 < len(cols) && hi >= cols[first+1][0]) {
				continue // it would join two columns: a title, not a header
			}
			add = append(add, [2]float64{lo, hi})
		}
		for _, a := range add {
			cols = addInterval(cols, a[0], a[1])
		}
	}
	return cols
}

// joinApart joins two neighbouring columns that no line fills both of
// and that no line fills one of with the other: a heading set at its
// cell's left edge ("WI") over a value at its right edge ("8%"), the two
// not overlapping, in a header over a single row.
func joinApart(cols [][2]float64, blk []textLine) [][2]float64 {
	fills := make([]map[int]bool, len(cols)) // the lines that fill each column
	for i, l := range blk {
		for j := range occupied(l, cols) {
			if fills[j] == nil {
				fills[j] = map[int]bool{}
			}
			fills[j][i] = true
		}
	}
	apart := func(a, b map[int]bool) bool {
		if len(a) == 0 || len(b) == 0 {
			return false
		}
		for i := range a {
			if b[i] {
				return false
			}
		}
		return true
	}
	out := [][2]float64{cols[0]}
	prev := fills[0]
	for j := 1; j < len(cols); j++ {
		if apart(prev, fills[j]) {
			out[len(out)-1][1] = cols[j][1]
			prev = nil // a column joins one other at most
			continue
		}
		out = append(out, cols[j])
		prev = fills[j]
	}
	return out
}

// alignedColumn returns the column of a header line's chunk touching
// only that column and aligned with c (the same left edge, centre or
// right edge: another line of the same wrapped header cell), or -1.
func alignedColumn(cols [][2]float64, head []textLine, c chunk) int {
	const tol = 1.0
	for _, l := range head {
		for _, o := range l.chunks {
			if o.box == c.box {
				continue
			}
			if abs(o.box.X0-c.box.X0) > tol && abs(o.box.CenterX()-c.box.CenterX()) > tol && abs(o.box.X1-c.box.X1) > tol {
				continue
			}
			if first, last := columnRange(cols, o.box); first == last && geom.Overlap1D(cols[first][0], cols[first][1], o.box.X0, o.box.X1) > 0 {
				return first
			}
		}
	}
	return -1
}

// cellOf returns the column whose cell holds x: cells meet in the
// middle of the gaps between columns.
func cellOf(cols [][2]float64, x float64) int {
	for j := 0; j+1 < len(cols); j++ {
		if x < (cols[j][1]+cols[j+1][0])/2 {
			return j
		}
	}
	return len(cols) - 1
}

// layColumns lays the chunks of lines (the fullest first) into cols.
func layColumns(cols [][2]float64, lines []textLine) [][2]float64 {
	order := make([]int, 0, len(lines))
	for i, l := range lines {
		if len(l.chunks) >= 2 {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(lines[b].chunks) - len(lines[a].chunks) })
	hit := make([]int, 0, 16)
	for _, i := range order {
		l := lines[i]
		ok := true
		seen := map[int]bool{}
		for _, c := range l.chunks {
			hit = hit[:0]
			for j, col := range cols {
				if c.box.X0 <= col[1] && c.box.X1 >= col[0] {
					hit = append(hit, j)
				}
			}
			if len(hit) > 1 || (len(hit) == 1 && seen[hit[0]]) {
				ok = false
				break
			}
			if len(hit) == 1 {
				seen[hit[0]] = true
			}
		}
		if !ok {
			continue
		}
		for _, c := range l.chunks {
			cols = addInterval(cols, c.box.X0, c.box.X1)
		}
	}
	return cols
}

// addInterval adds [x0, x1] to the sorted disjoint intervals cols, joining
// those it overlaps.
func addInterval(cols [][2]float64, x0, x1 float64) [][2]float64 {
	out := cols[:0:0]
	placed := false
	for _, c := range cols {
		switch {
		case c[1] < x0:
			out = append(out, c)
		case c[0] > x1:
			if !placed {
				out = append(out, [2]float64{x0, x1})
				placed = true
			}
			out = append(out, c)
		default:
			x0, x1 = min(x0, c[0]), max(x1, c[1])
		}
	}
	if !placed {
		out = append(out, [2]float64{x0, x1})
	}
	return out
}

// splitMerged splits a chunk that covers several columns at the column
// gaps when its words fall apart into those columns: the texts of two
// cells run together on a page without explicit spaces.
func splitMerged(blk []textLine, cols [][2]float64) []textLine {
	out := make([]textLine, len(blk))
	for i, l := range blk {
		out[i] = l
		var chunks []chunk
		changed := false
		for _, c := range l.chunks {
			parts := splitChunk(c, cols)
			if len(parts) > 1 {
				changed = true
			}
			chunks = append(chunks, parts...)
		}
		if changed {
			out[i].chunks = chunks
		}
	}
	return out
}

func splitChunk(c chunk, cols [][2]float64) []chunk {
	if len(c.words) < 2 {
		return []chunk{c}
	}
	if first, last := columnRange(cols, c.box); first == last && !wordsApart(c, cols) {
		return []chunk{c}
	}
	var parts []chunk
	prevCol := -1
	for _, w := range c.words {
		j := -1
		for k, col := range cols {
			if w.Box.X0 >= col[0]-1 && w.Box.X1 <= col[1]+1 {
				j = k
				break
			}
		}
		if j < 0 || j < prevCol {
			return splitRuns(c, cols)
		}
		if j != prevCol {
			parts = append(parts, chunk{text: w.Text, box: w.Box, size: w.Size, words: []layout.Word{w}})
			prevCol = j
			continue
		}
		p := &parts[len(parts)-1]
		p.text += " " + w.Text
		p.box = p.box.Union(w.Box)
		p.size = max(p.size, w.Size)
		p.words = append(p.words, w)
	}
	return parts
}

// wordsApart reports whether the words of c lie in two columns or more,
// each word inside one (a chunk mostly over one column may end in the
// next: a header cell run into the next one's text).
func wordsApart(c chunk, cols [][2]float64) bool {
	seen := -1
	for _, w := range c.words {
		for k, col := range cols {
			if w.Box.X0 >= col[0]-1 && w.Box.X1 <= col[1]+1 {
				if seen >= 0 && k != seen {
					return true
				}
				seen = k
				break
			}
		}
	}
	return false
}

// splitRuns splits a chunk across columns where its words were placed
// apart (a new text placement between them), when each part then falls
// in one column of its own, left to right: the last line of a wrapped
// cell, ending in a space, runs into the text of the next cell.
func splitRuns(c chunk, cols [][2]float64) []chunk {
	parts := runParts(c)
	if len(parts) < 2 {
		return []chunk{c}
	}
	prev := -1
	for _, p := range parts {
		first, last := columnRange(cols, p.box)
		if first != last || first <= prev {
			return []chunk{c}
		}
		prev = first
	}
	return parts
}

// cellParts splits a chunk where its words were placed apart further
// than a space is wide (0.4 em): the texts of two cells.
func cellParts(c chunk) []chunk {
	parts := runParts(c)
	if len(parts) < 2 {
		return []chunk{c}
	}
	out := []chunk{parts[0]}
	for _, p := range parts[1:] {
		last := &out[len(out)-1]
		if p.box.X0-last.box.X1 > 0.4*max(p.size, last.size) {
			out = append(out, p)
			continue
		}
		last.text += " " + p.text
		last.box = last.box.Union(p.box)
		last.size = max(last.size, p.size)
		last.words = append(slices.Clip(last.words), p.words...)
	}
	return out
}

// runParts splits a chunk where its words were placed apart.
func runParts(c chunk) []chunk {
	var parts []chunk
	for i, w := range c.words {
		if i == 0 || c.words[i-1].EndRun != w.Run {
			parts = append(parts, chunk{text: w.Text, box: w.Box, size: w.Size, words: []layout.Word{w}})
			continue
		}
		p := &parts[len(parts)-1]
		p.text += " " + w.Text
		p.box = p.box.Union(w.Box)
		p.size = max(p.size, w.Size)
		p.words = append(p.words, w)
	}
	if len(parts) == 0 {
		return []chunk{c}
	}
	return parts
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
	median := rowGap(blk)
	leading := leadingGap(gaps)
	if median < 0.2*blk[0].size && leading < 0 {
		return mergePacked(blk, cols)
	}
	split := rowStarts(blk, gaps, leading)
	up, join := wrappedLines(blk, gaps, cols)
	out := []textLine{blk[0]}
	for i := 1; i < len(blk); i++ {
		prev := &out[len(out)-1]
		g := gaps[i-1]
		if join[i] {
			*prev = joinLines(*prev, blk[i], cols)
			continue
		}
		if split[i] || up[i] || stubBesideSubHeadings(*prev, blk, i, cols) || secondStub(*prev, blk[i], cols) {
			out = append(out, blk[i])
			continue
		}
		size := max(prev.size, blk[i].size)
		// A line nearer to the line below it than to the one above
		// belongs below (the first line of a bottom-aligned wrapped cell).
		// A row's values centred between the lines of its label overlap
		// both by a quarter of their size or more: they are nearer to
		// neither.
		nearerBelow := i < len(gaps) && gaps[i] < 0.85*g &&
			(g > -0.25*size || !lineHasValue(blk[i]))
		// Lines as close as the lines of one cell are one row, whatever
		// columns they fill (a header whose cells wrap); lines one
		// leading apart, while the row so far leaves columns empty.
		wrapped := (g < 0.75*median && g <= wrapGap*size) ||
			(g <= leading && (g <= wrapGap*size || g < 0.5*median) && (compatible(*prev, blk[i], cols) || len(occupied(*prev, cols)) < len(cols)))
		if !nearerBelow && !valuesClash(*prev, blk[i], cols) && !labelOver(*prev, blk[i]) &&
			((g < 0.5*median && compatible(*prev, blk[i], cols)) || wrapped) {
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

// mergePacked joins the lines of wrapped cells in the body of a block
// whose lines are all about as far apart (rows as tall as their text: the
// gaps tell nothing). The body starts at the first line holding a number
// or a date, or at the wrapped lines right above it (the header above is
// left as it is). A body line is a
// wrapped cell's when it leaves the first column empty and holds no
// number or date while the rows fill that column; it joins the row below
// it, as spreadsheets align cells at the bottom, unless the body starts
// with a full row and ends with such a line (cells aligned at the top).
func mergePacked(blk []textLine, cols [][2]float64) []textLine {
	part := func(l textLine) bool {
		return !occupied(l, cols)[0] && !lineHasValue(l)
	}
	first := 0
	for first < len(blk) && !lineHasValue(blk[first]) {
		first++
	}
	// The first row's wrapped lines above it, under the header's line
	// that fills the first column.
	k := first
	for first < len(blk) && k > 0 && part(blk[k-1]) && textUnder(blk[k-1], blk[first], cols) {
		k--
	}
	if k > 0 {
		first = k
	}
	body := blk[first:]
	full := 0
	for _, l := range body {
		if !part(l) {
			full++
		}
	}
	if full < 2 || full == len(body) {
		return blk
	}
	down := !part(body[0]) && part(body[len(body)-1])
	out := slices.Clone(blk[:first])
	var pending []textLine // wrapped lines waiting for their row below
	for i, l := range body {
		switch {
		case part(l) && down && i > 0:
			out[len(out)-1] = joinLines(out[len(out)-1], l, cols)
		case part(l) && !down:
			pending = append(pending, l)
		default:
			for k := len(pending) - 1; k >= 0; k-- {
				l = joinLines(pending[k], l, cols)
			}
			pending = pending[:0]
			out = append(out, l)
		}
	}
	return append(out, pending...)
}

// textUnder reports whether each chunk of l lies in a column where row
// holds text, not a number or a date: the lines of row's wrapped cells.
func textUnder(l, row textLine, cols [][2]float64) bool {
	text := map[int]bool{}
	for _, c := range row.chunks {
		if j, last := columnRange(cols, c.box); j == last && !valueText(c.text) {
			text[j] = true
		}
	}
	for _, c := range l.chunks {
		if j, last := columnRange(cols, c.box); j != last || !text[j] {
			return false
		}
	}
	return true
}

// joinLines joins b under a into one line.
func joinLines(a, b textLine, cols [][2]float64) textLine {
	a.chunks = joinSameColumn(append(slices.Clone(a.chunks), b.chunks...), cols)
	a.box = a.box.Union(b.box)
	return a
}

// secondStub reports whether b starts a row of its own under the row
// prev: both label their row in the first column, prev fills other cells
// too and b holds a value (a row after one whose wrapped cells leave no
// wider gap, whatever columns the two leave empty). A label wrapped over
// two lines, the values beside its last, fills no other cell above.
func secondStub(prev, b textLine, cols [][2]float64) bool {
	return len(prev.chunks) > 1 && occupied(prev, cols)[0] && occupied(b, cols)[0] && lineHasValue(b)
}

// stubBesideSubHeadings reports whether blk[i], one cell in a column
// that the line before it (prev) leaves empty, sits between prev's
// headings of column groups and the sub-headings they head (blk[i+1]):
// the first line of the stub's heading, wrapped down beside the
// sub-headings, not a line of the group headings' row.
func stubBesideSubHeadings(prev textLine, blk []textLine, i int, cols [][2]float64) bool {
	if i+1 >= len(blk) || len(blk[i].chunks) != 1 {
		return false
	}
	j, last := columnRange(cols, blk[i].chunks[0].box)
	return j == last && !occupied(prev, cols)[j] && groupHeadingsOver(prev, blk[i+1], cols)
}

// labelOver reports whether a is a label in bold over the regular-weight
// line b: a section's label, not the first line of b's wrapped cell (the
// lines of one cell share their weight).
func labelOver(a, b textLine) bool {
	if len(a.chunks) != 1 {
		return false
	}
	for _, w := range a.chunks[0].words {
		if !w.Bold {
			return false
		}
	}
	for _, c := range b.chunks {
		for _, w := range c.words {
			if w.Bold {
				return false
			}
		}
	}
	return len(a.chunks[0].words) > 0
}

// rowStarts marks the lines that start a row inside runs of lines one
// leading apart (rows whose wrapped cells leave no wider gap between
// them). The runs holding one line of several chunks (the row's other
// cells) tell how the block's cells are aligned: that line comes last
// when wrapped cells run up from it (aligned at the bottom, as
// spreadsheets print by default), first when they run down. Then a line
// of one chunk right after a line of several starts a row (bottom), or a
// line of several right after a line of one does (top, below the first
// run, which may be a header).
func rowStarts(blk []textLine, gaps []float64, leading float64) []bool {
	starts := make([]bool, len(blk))
	if leading < 0 {
		return starts
	}
	bottom, top := 0, 0
	for i := 0; i < len(blk); {
		j := i + 1
		for j < len(blk) && gaps[j-1] <= leading {
			j++
		}
		multi, at := 0, -1
		for k := i; k < j; k++ {
			if len(blk[k].chunks) > 1 {
				multi++
				at = k
			}
		}
		if j-i > 1 && multi == 1 {
			switch at {
			case j - 1:
				bottom++
			case i:
				top++
			}
		}
		i = j
	}
	first := true
	for i := 1; i < len(blk); i++ {
		if gaps[i-1] > leading {
			first = false
			continue
		}
		one, several := len(blk[i].chunks) == 1, len(blk[i-1].chunks) > 1
		switch {
		case bottom > top && one && several:
			starts[i] = true
		case top > bottom && !first && !one && len(blk[i-1].chunks) == 1:
			starts[i] = true
		}
	}
	return starts
}

// wrappedLines places the lines of one cell between two rows of values
// no further apart than the lines of one cell (see wrapOf): lines going
// up into the row below start it (starts[i] for the first) and join it
// (joins for the rest); lines going down from the row above join it, and
// the row below starts a row of its own.
func wrappedLines(blk []textLine, gaps []float64, cols [][2]float64) (starts, joins []bool) {
	starts, joins = make([]bool, len(blk)), make([]bool, len(blk))
	for a := range blk {
		if len(blk[a].chunks) < 2 {
			continue
		}
		b := a + 1
		for b < len(blk) && len(blk[b].chunks) == 1 && gaps[b-1] <= wrapGap*blk[b].size {
			b++
		}
		if b == len(blk) || b == a+1 || gaps[b-1] > wrapGap*blk[b].size {
			continue
		}
		switch wrapOf(blk[a:b+1], cols) {
		case wrapsUp:
			starts[a+1] = true
			for k := a + 2; k <= b; k++ {
				joins[k] = true
			}
		case wrapsDown:
			for k := a + 1; k < b; k++ {
				joins[k] = true
			}
			starts[b] = true
		}
	}
	return starts, joins
}

const (
	wrapsUp   = 1  // the upper lines of a cell of the row below
	wrapsDown = -1 // the lower lines of a cell of the row above
)

// wrapOf tells whether the inner lines of run, one chunk each in one
// column between two rows of values, are the upper lines of a cell of
// the last row (aligned at the bottom, as spreadsheets print by default)
// or the lower lines of a cell of the first (aligned at the top), or
// neither can be told (0). A cell aligned at the bottom ends on its row's
// line and one aligned at the top starts on it, so: the side whose row
// leaves that column empty (or holds a number there) has none of them;
// a text going on from the lines next to it (a lower-case start) has
// them; and a text ending a sentence where the lines run on without
// ending theirs does not.
func wrapOf(run []textLine, cols [][2]float64) int {
	first, last := run[0], run[len(run)-1]
	if len(first.chunks) < 2 || len(last.chunks) < 2 || !lineHasValue(first) || !lineHasValue(last) && !occupied(last, cols)[0] {
		return 0
	}
	col := -1
	for _, l := range run[1 : len(run)-1] {
		if len(l.chunks) != 1 {
			return 0
		}
		j, end := columnRange(cols, l.chunks[0].box)
		if j != end || (col >= 0 && j != col) {
			return 0
		}
		col = j
	}
	above, below := cellText(first, col, cols), cellText(last, col, cols)
	top, bottom := run[1].chunks[0].text, run[len(run)-2].chunks[0].text
	hasAbove, hasBelow := above != "" && !valueText(above), below != "" && !valueText(below)
	switch {
	case !hasAbove && !hasBelow:
		return 0
	case !hasAbove:
		return wrapsUp
	case !hasBelow:
		return wrapsDown
	case lowerStart(below):
		return wrapsUp
	case lowerStart(top):
		return wrapsDown
	case endsSentence(above) && !endsSentence(bottom):
		return wrapsUp
	case !endsSentence(above) && endsSentence(bottom):
		return wrapsDown
	}
	return 0
}

// lowerStart reports a text starting with a lower-case letter: it goes on
// from the line before it.
func lowerStart(text string) bool {
	r, _ := utf8.DecodeRuneInString(text)
	return unicode.IsLower(r)
}

// endsSentence reports a text ending with a full stop, a question or an
// exclamation mark.
func endsSentence(text string) bool {
	return strings.HasSuffix(text, ".") || strings.HasSuffix(text, "?") || strings.HasSuffix(text, "!")
}

// cellText returns the text of l's chunk in column col alone, or "".
func cellText(l textLine, col int, cols [][2]float64) string {
	for _, c := range l.chunks {
		if j, end := columnRange(cols, c.box); j == col && end == col {
			return c.text
		}
	}
	return ""
}

// leadingGap returns the largest gap between two lines of one cell in a
// block, from its smallest gap (the font's leading) with a little
// tolerance, when some gaps are clearly wider (rows apart); otherwise -1.
func leadingGap(gaps []float64) float64 {
	lo, hi := gaps[0], gaps[0]
	for _, g := range gaps {
		lo, hi = min(lo, g), max(hi, g)
	}
	if lo < 0.5 || hi < 1.25*lo+0.3 {
		return -1 // lines that touch: no leading to tell rows by
	}
	return lo*1.15 + 0.2
}

// rowGap estimates the gap between the rows of a block from the gaps
// between its lines: the median of those wider than the lines of one
// cell are apart, when they are a third or more of the gaps (many rows
// may hold wrapped cells), or of all.
func rowGap(blk []textLine) float64 {
	var all, wide []float64
	for i := 1; i < len(blk); i++ {
		g := blk[i].box.Y0 - blk[i-1].box.Y1
		all = append(all, g)
		if g > wrapGap*max(blk[i].size, blk[i-1].size) {
			wide = append(wide, g)
		}
	}
	if 3*len(wide) < len(all) {
		return median(all)
	}
	return median(wide)
}

// valuesClash reports whether a and b both hold a value (see valueCell) in
// one column: numbers do not wrap, so they are two rows.
func valuesClash(a, b textLine, cols [][2]float64) bool {
	var in [64]bool
	for _, c := range a.chunks {
		if j, _ := columnRange(cols, c.box); j < len(in) && valueCell(c.text) {
			in[j] = true
		}
	}
	for _, c := range b.chunks {
		if j, _ := columnRange(cols, c.box); j < len(in) && in[j] && valueCell(c.text) {
			return true
		}
	}
	return false
}

// valueCell reports whether a cell's text is a number or a date, or the
// dash printed for a zero or a missing value.
func valueCell(text string) bool {
	switch text {
	case "-", "–", "—", "‒":
		return true
	}
	return numcell.IsValue(text)
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
