package table

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/content"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/geom"
)

func TestMergeRulings(t *testing.T) {
	rs := mergeRulings([]content.Segment{
		{X0: 0, Y0: 10, X1: 50, Y1: 10},
		{X0: 51, Y0: 10.8, X1: 100, Y1: 10.8}, // same rule, gap 1, offset 0.8
		{X0: 0, Y0: 40, X1: 100, Y1: 40},
		{X0: 150, Y0: 40, X1: 200, Y1: 40}, // too far to join
		{X0: 0, Y0: 0, X1: 0, Y1: 1},       // too short
		{X0: 20, Y0: 0, X1: 20, Y1: 60},
	})
	if len(rs.h) != 3 || len(rs.v) != 1 {
		t.Fatalf("h %+v v %+v", rs.h, rs.v)
	}
	if rs.h[0].lo != 0 || rs.h[0].hi != 100 || rs.h[0].pos < 10 || rs.h[0].pos > 10.8 {
		t.Errorf("joined rule %+v", rs.h[0])
	}
	if c := coverage(rs.h, 10.2, 0, 100); c != 1 {
		t.Errorf("coverage %v", c)
	}
	if c := coverage(rs.h, 40, 0, 200); c != 0.75 {
		t.Errorf("coverage %v", c)
	}
}

// word returns the glyphs of a word at (x, y) in 10-point text with
// 6-point advances.
func word(s string, x, y float64) []content.Glyph {
	var gs []content.Glyph
	for _, r := range s {
		gs = append(gs, content.Glyph{Text: string(r), X: x, Y: y, Box: geom.Rect{X0: x, Y0: y - 8, X1: x + 6, Y1: y + 2}, Size: 10, Adv: 6})
		x += 6
	}
	return gs
}

func hline(y, x0, x1 float64) content.Segment {
	return content.Segment{X0: x0, Y0: y, X1: x1, Y1: y, Width: 1}
}
func vline(x, y0, y1 float64) content.Segment {
	return content.Segment{X0: x, Y0: y0, X1: x, Y1: y1, Width: 1}
}

func TestRuledGridWithSpans(t *testing.T) {
	// Columns at 0, 100, 200, 300; rows at 0, 20, 40, 60. The first row's
	// cell spans columns 1-2 (no rule at x=200 in row 0); the cell at
	// column 0 spans rows 1-2 (no rule at y=40 in column 0).
	segs := []content.Segment{
		hline(0, 0, 300), hline(20, 0, 300), hline(40, 100, 300), hline(60, 0, 300),
		vline(0, 0, 60), vline(100, 0, 60), vline(200, 20, 60), vline(300, 0, 60),
	}
	var gs []content.Glyph
	gs = append(gs, word("Well", 10, 15)...)
	gs = append(gs, word("Production", 150, 15)...)
	gs = append(gs, word("Nolan", 10, 35)...)
	gs = append(gs, word("Oil", 110, 35)...)
	gs = append(gs, word("Gas", 210, 35)...)
	gs = append(gs, word("12", 110, 55)...)
	gs = append(gs, word("34", 210, 55)...)
	gs = append(gs, word("7", 10, 56)...) // second line of the merged cell
	ts := Detect(Page{Width: 400, Height: 100, Glyphs: gs, Segments: segs})
	if len(ts) != 1 {
		t.Fatalf("got %d tables", len(ts))
	}
	tb := ts[0]
	want := [][]string{{"Well", "Production", ""}, {"Nolan 7", "Oil", "Gas"}, {"", "12", "34"}}
	if !reflect.DeepEqual(tb.Rows, want) {
		t.Errorf("rows %q, want %q", tb.Rows, want)
	}
	wantSpans := []Span{{Row: 0, Col: 1, RowSpan: 1, ColSpan: 2}, {Row: 1, Col: 0, RowSpan: 2, ColSpan: 1}}
	if !reflect.DeepEqual(tb.Spans, wantSpans) {
		t.Errorf("spans %+v, want %+v", tb.Spans, wantSpans)
	}
	if !tb.Ruled || tb.BBox != (geom.Rect{X0: 0, Y0: 0, X1: 300, Y1: 60}) {
		t.Errorf("ruled %v bbox %+v", tb.Ruled, tb.BBox)
	}
}

func TestUnruledTable(t *testing.T) {
	var gs []content.Glyph
	rows := [][]string{{"Lease", "Acres", "Royalty"}, {"Smith", "640", "12.5%"}, {"Jones", "80", "18.75%"}, {"Brown", "1,280", "20%"}}
	for i, r := range rows {
		y := 100 + float64(i)*14
		gs = append(gs, word(r[0], 50, y)...)
		gs = append(gs, word(r[1], 150, y)...)
		gs = append(gs, word(r[2], 250, y)...)
	}
	// A paragraph above, far enough not to join.
	gs = append(gs, word("Summary", 50, 40)...)
	ts := Detect(Page{Width: 400, Height: 300, Glyphs: gs})
	if len(ts) != 1 {
		t.Fatalf("got %d tables", len(ts))
	}
	if !reflect.DeepEqual(ts[0].Rows, rows) {
		t.Errorf("rows %q, want %q", ts[0].Rows, rows)
	}
	if ts[0].Ruled {
		t.Error("unruled table reported ruled")
	}
}

func TestFrameWithoutColumnsIsNotRuled(t *testing.T) {
	segs := []content.Segment{hline(0, 0, 300), hline(30, 0, 300), hline(60, 0, 300), vline(0, 0, 60), vline(300, 0, 60)}
	var gs []content.Glyph
	gs = append(gs, word("a", 10, 15)...)
	gs = append(gs, word("b", 200, 15)...)
	gs = append(gs, word("c", 10, 45)...)
	gs = append(gs, word("d", 200, 45)...)
	ts := Detect(Page{Width: 400, Height: 100, Glyphs: gs, Segments: segs})
	if len(ts) != 1 || ts[0].Ruled {
		t.Fatalf("tables %+v", ts)
	}
	if want := [][]string{{"a", "b"}, {"c", "d"}}; !reflect.DeepEqual(ts[0].Rows, want) {
		t.Errorf("rows %q", ts[0].Rows)
	}
}

func TestRaiseHeaderCells(t *testing.T) {
	rows := [][]string{
		{"", "Clave", "", "Clave"},
		{"Entidad", "Entidad", "Nombre", "Municipio"},
		{"Aguascalientes", "1", "Asientos", "2"},
		{"Aguascalientes", "1", "Calvillo", "3"},
	}
	spans := raiseHeaderCells(rows, nil)
	want := [][]string{
		{"Entidad", "Clave", "Nombre", "Clave"},
		{"", "Entidad", "", "Municipio"},
		{"Aguascalientes", "1", "Asientos", "2"},
		{"Aguascalientes", "1", "Calvillo", "3"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows %q, want %q", rows, want)
	}
	if wantSpans := []Span{{0, 0, 2, 1}, {0, 2, 2, 1}}; !reflect.DeepEqual(spans, wantSpans) {
		t.Errorf("spans %v, want %v", spans, wantSpans)
	}
	// A heading over a number column may sit under a heading spanning
	// it and its neighbour: it stays.
	rows = [][]string{
		{"Item", "All items", ""},
		{"", "Number", "Percent"},
		{"Total", "135", "100"},
		{"Reading", "60", "44"},
	}
	if spans := raiseHeaderCells(rows, nil); len(spans) != 0 || rows[1][1] != "Number" {
		t.Errorf("number heading raised: %q %v", rows, spans)
	}
}

func TestProse(t *testing.T) {
	for _, tc := range []struct {
		rows [][]string
		want bool
	}{
		{[][]string{{"•", "the facility falls under at least one of the activities"}, {"", "reported using a classification"}, {"•", "the facility has a capacity exceeding a threshold"}}, true},
		{[][]string{{"(1) Unallowable costs per OMB Circular A-122 include entertainment expense", ""}, {"accounts,", "fines"}, {"(2) Various direct costs are excluded from the base because", ""}}, true},
		{[][]string{{"Lease", "Remarks", "Oil (bbl)"}, {"Nolan Unit", "Shut in pending pipeline connection.", "1,234"}, {"Hutto", "OK", "56"}}, false},
	} {
		if got := prose(tc.rows); got != tc.want {
			t.Errorf("prose(%q) = %v, want %v", tc.rows, got, tc.want)
		}
	}
}

// tl makes a text line of 10-point chunks at the given x ranges, its top
// at y.
func tl(y float64, xs ...float64) textLine {
	l := textLine{size: 10}
	for i := 0; i+1 < len(xs); i += 2 {
		b := geom.Rect{X0: xs[i], Y0: y, X1: xs[i+1], Y1: y + 10}
		l.chunks = append(l.chunks, chunk{text: "x", box: b, size: 10})
		if i == 0 {
			l.box = b
		}
		l.box = l.box.Union(b)
	}
	return l
}

func TestRowStartsBottomAligned(t *testing.T) {
	// Rows of a sheet whose remarks column (x 200-300) wraps, cells
	// aligned at the bottom: the wrapped lines run up from each row's
	// line of several cells, and the next row's first wrapped line sits
	// just one leading (1.7) below it.
	blk := []textLine{
		tl(0, 0, 50, 100, 150, 200, 300),    // header
		tl(12.8, 0, 50, 100, 150, 200, 300), // row 1, one line
		tl(25.6, 200, 300),                  // row 2, wrapped line
		tl(37.3, 0, 50, 100, 150, 200, 300), // row 2
		tl(49.0, 200, 300),                  // row 3, wrapped line
		tl(60.7, 200, 300),                  // row 3, wrapped line
		tl(72.4, 0, 50, 100, 150, 200, 300), // row 3
		tl(85.2, 200, 300),                  // row 4, wrapped line
		tl(96.9, 0, 50, 100, 150, 200, 300), // row 4
	}
	var gaps []float64
	for i := 1; i < len(blk); i++ {
		gaps = append(gaps, blk[i].box.Y0-blk[i-1].box.Y1)
	}
	leading := leadingGap(gaps)
	if leading < 1.7 || leading > 2.5 {
		t.Fatalf("leading %v", leading)
	}
	starts := rowStarts(blk, gaps, leading)
	if want := []bool{false, false, false, false, true, false, false, false, false}; !reflect.DeepEqual(starts, want) {
		t.Errorf("starts %v, want %v", starts, want)
	}
	cols := [][2]float64{{0, 50}, {100, 150}, {200, 300}}
	if got := mergeWrapped(blk, cols); len(got) != 5 {
		t.Errorf("%d rows, want 5", len(got))
	}
}

func TestGridAroundColumnGroupsIsNotRuled(t *testing.T) {
	// A frame with one column rule between the stub and a group of three
	// number columns, and no rules between the body rows: the numbers
	// keep their own columns and rows.
	segs := []content.Segment{
		hline(80, 40, 400), hline(100, 40, 400), hline(160, 40, 400),
		vline(40, 80, 160), vline(140, 80, 160), vline(400, 80, 160),
	}
	rows := [][]string{{"Item", "2019", "2020", "2021"}, {"Wells", "12", "15", "19"}, {"Leases", "4", "6", "7"}, {"Acres", "640", "720", "1,280"}}
	var gs []content.Glyph
	for i, r := range rows {
		y := 95 + float64(i)*16
		gs = append(gs, word(r[0], 50, y)...)
		for j, c := range r[1:] {
			gs = append(gs, word(c, 180+float64(j)*70, y)...)
		}
	}
	ts := Detect(Page{Width: 450, Height: 200, Glyphs: gs, Segments: segs})
	if len(ts) != 1 {
		t.Fatalf("got %d tables: %+v", len(ts), ts)
	}
	if ts[0].Ruled {
		t.Error("grid around column groups reported ruled")
	}
	if !reflect.DeepEqual(ts[0].Rows, rows) {
		t.Errorf("rows %q, want %q", ts[0].Rows, rows)
	}
}

func TestLeaderDotsStayWithTheLabel(t *testing.T) {
	rows := [][]string{{"Robbery", "102.1"}, {"Arson", "9.8"}, {"Fraud", "173.7"}}
	var gs []content.Glyph
	for i, r := range rows {
		y := 100 + float64(i)*14
		gs = append(gs, word(r[0], 50, y)...)
		x := 50 + 6*float64(len(r[0])) + 6
		for ; x < 200; x += 9 {
			gs = append(gs, word(".", x, y)...)
		}
		gs = append(gs, word(r[1], 230, y)...)
	}
	ts := Detect(Page{Width: 400, Height: 300, Glyphs: gs})
	if len(ts) != 1 {
		t.Fatalf("got %d tables", len(ts))
	}
	for i, r := range ts[0].Rows {
		if len(r) != 2 || !strings.HasPrefix(r[0], rows[i][0]+" . .") || r[1] != rows[i][1] {
			t.Errorf("row %d: %q", i, r)
		}
	}
}

// sized returns the glyphs of a word in text of the given size.
func sized(s string, x, y, size float64) []content.Glyph {
	var gs []content.Glyph
	adv := 0.6 * size
	for _, r := range s {
		gs = append(gs, content.Glyph{Text: string(r), X: x, Y: y, Box: geom.Rect{X0: x, Y0: y - 0.8*size, X1: x + adv, Y1: y + 0.2*size}, Size: size, Adv: adv})
		x += adv
	}
	return gs
}

func TestCaptionsAndTitlesAreNotRows(t *testing.T) {
	rows := [][]string{{"Lease", "Acres", "Royalty"}, {"Smith", "640", "12.5%"}, {"Jones", "80", "18.75%"}}
	table := func(top float64) []content.Glyph {
		var gs []content.Glyph
		for i, r := range rows {
			y := top + float64(i)*14
			gs = append(gs, word(r[0], 50, y)...)
			gs = append(gs, word(r[1], 150, y)...)
			gs = append(gs, word(r[2], 250, y)...)
		}
		return gs
	}
	t.Run("caption label", func(t *testing.T) {
		var gs []content.Glyph
		gs = append(gs, word("Table 3.", 50, 80)...)
		gs = append(gs, word("Leases by royalty", 110, 80)...)
		gs = append(gs, table(100)...)
		ts := Detect(Page{Width: 400, Height: 300, Glyphs: gs})
		if len(ts) != 1 || !reflect.DeepEqual(ts[0].Rows, rows) {
			t.Fatalf("tables %+v", ts)
		}
	})
	t.Run("running head in a larger font", func(t *testing.T) {
		var gs []content.Glyph
		gs = append(gs, sized("APPENDIX", 50, 50, 18)...)
		gs = append(gs, sized("LEASES", 250, 50, 18)...)
		gs = append(gs, sized("Leases by royalty, 2024", 50, 70, 12)...)
		gs = append(gs, word("Annual", 250, 90)...) // a header cell's first line
		gs = append(gs, table(100)...)
		ts := Detect(Page{Width: 400, Height: 300, Glyphs: gs})
		want := slices.Clone(rows)
		want[0] = []string{"Lease", "Acres", "Annual Royalty"}
		if len(ts) != 1 || !reflect.DeepEqual(ts[0].Rows, want) {
			t.Fatalf("tables %+v", ts)
		}
	})
}

func TestGroupHeadingSpansItsColumns(t *testing.T) {
	// "Public" and "Private" are centred over their three columns; the
	// stub's heading "Year" sits on the sub-headings' line.
	var gs []content.Glyph
	xs := []float64{100, 160, 220, 300, 360, 420}
	gs = append(gs, word("Public", 160+9-18, 80)...)
	gs = append(gs, word("Private", 360+9-21, 80)...)
	gs = append(gs, word("Year", 40, 94)...)
	for i, x := range xs {
		gs = append(gs, word([]string{"All", "K–8", "9–12"}[i%3], x, 94)...)
	}
	for r, y := range []float64{110, 124, 138} {
		gs = append(gs, word(fmt.Sprint(2020+r), 40, y)...)
		for i, x := range xs {
			gs = append(gs, word(fmt.Sprint(100+10*i+r), x, y)...)
		}
	}
	ts := Detect(Page{Width: 500, Height: 300, Glyphs: gs})
	if len(ts) != 1 {
		t.Fatalf("got %d tables", len(ts))
	}
	want := [][]string{{"Year", "Public", "", "", "Private", "", ""}, {"", "All", "K–8", "9–12", "All", "K–8", "9–12"}}
	if !reflect.DeepEqual(ts[0].Rows[:2], want) {
		t.Errorf("header %q, want %q", ts[0].Rows[:2], want)
	}
	wantSpans := []Span{{Row: 0, Col: 0, RowSpan: 2, ColSpan: 1}, {Row: 0, Col: 1, RowSpan: 1, ColSpan: 3}, {Row: 0, Col: 4, RowSpan: 1, ColSpan: 3}}
	if !reflect.DeepEqual(ts[0].Spans, wantSpans) {
		t.Errorf("spans %+v, want %+v", ts[0].Spans, wantSpans)
	}
}

// leases lays out a table of four rows, 14 points apart from y=100.
func leases() ([][]string, []content.Glyph) {
	rows := [][]string{{"Lease", "Acres", "Royalty"}, {"Smith", "640", "12.5%"}, {"Jones", "80", "18.75%"}, {"Brown", "1,280", "20%"}}
	var gs []content.Glyph
	for i, r := range rows {
		y := 100 + float64(i)*14
		gs = append(gs, word(r[0], 50, y)...)
		gs = append(gs, word(r[1], 150, y)...)
		gs = append(gs, word(r[2], 250, y)...)
	}
	return rows, gs
}

func TestNoteOfTwoLinesUnderTheTable(t *testing.T) {
	rows, gs := leases()
	// Two lines of a note, a wider gap below the last row, each as close
	// to the other as the lines of one cell.
	gs = append(gs, word("* Leased.", 50, 166)...)
	gs = append(gs, word("† Paid.", 50, 176)...)
	ts := Detect(Page{Width: 400, Height: 300, Glyphs: gs})
	if len(ts) != 1 || !reflect.DeepEqual(ts[0].Rows, rows) {
		t.Fatalf("tables %+v", ts)
	}
}

func TestRuledCaptionAndSourceRowsAreNotRows(t *testing.T) {
	// Rows at 0, 20, 40, 60, 80; columns at 0, 100, 200, 300 between
	// y=20 and y=60: the first row holds the caption, the last the source.
	segs := []content.Segment{
		hline(0, 0, 300), hline(20, 0, 300), hline(40, 0, 300), hline(60, 0, 300), hline(80, 0, 300),
		vline(0, 0, 80), vline(100, 20, 60), vline(200, 20, 60), vline(300, 0, 80),
	}
	var gs []content.Glyph
	gs = append(gs, word("Exhibit 9 Leases", 10, 15)...)
	for i, r := range [][]string{{"Lease", "Acres", "Royalty"}, {"Smith", "640", "12.5%"}} {
		for j, c := range r {
			gs = append(gs, word(c, 10+100*float64(j), 35+20*float64(i))...)
		}
	}
	gs = append(gs, word("Source: county records", 10, 75)...)
	ts := Detect(Page{Width: 400, Height: 100, Glyphs: gs, Segments: segs})
	if len(ts) != 1 || !ts[0].Ruled {
		t.Fatalf("tables %+v", ts)
	}
	if want := [][]string{{"Lease", "Acres", "Royalty"}, {"Smith", "640", "12.5%"}}; !reflect.DeepEqual(ts[0].Rows, want) || len(ts[0].Spans) != 0 {
		t.Errorf("rows %q spans %+v", ts[0].Rows, ts[0].Spans)
	}
	if ts[0].BBox.Y0 != 20 || ts[0].BBox.Y1 != 60 {
		t.Errorf("bbox %+v", ts[0].BBox)
	}
}

func TestHeaderInTheRowsFontAboveSmallerSubHeadings(t *testing.T) {
	// The header's first line is set as large as the rows, its second
	// smaller, with headings wrapped over two lines a little apart.
	var gs []content.Glyph
	gs = append(gs, sized("Age", 92, 136, 12)...)
	gs = append(gs, sized("Population", 236, 136, 12)...)
	gs = append(gs, sized("Share", 236, 152, 9)...)
	gs = append(gs, sized("Total", 405, 152, 9)...)
	gs = append(gs, sized("(total)", 236, 163.5, 9)...)
	for i, r := range [][]string{{"Under 1", "0.0156", "3,533"}, {"1 - 2", "0.0287", "6,493"}, {"3 - 5", "0.0419", "9,483"}} {
		y := 181.4 + 18*float64(i)
		gs = append(gs, sized(r[0], 92, y, 12)...)
		gs = append(gs, sized(r[1], 236, y, 12)...)
		gs = append(gs, sized(r[2], 405, y, 12)...)
	}
	ts := Detect(Page{Width: 600, Height: 400, Glyphs: gs})
	if len(ts) != 1 {
		t.Fatalf("got %d tables", len(ts))
	}
	want := [][]string{{"Age", "Population", ""}, {"", "Share (total)", "Total"}, {"Under 1", "0.0156", "3,533"}, {"1 - 2", "0.0287", "6,493"}, {"3 - 5", "0.0419", "9,483"}}
	if !reflect.DeepEqual(ts[0].Rows, want) {
		t.Errorf("rows %q, want %q", ts[0].Rows, want)
	}
}

func TestFrameAroundColumnGroupsBoundsTheTable(t *testing.T) {
	// A frame ruled under the header and around the stub; the header's
	// three lines (as far apart as the rows) are one row; the two rows
	// below the frame are a table of their own.
	segs := []content.Segment{
		hline(80, 40, 400), hline(124, 40, 400), hline(168, 40, 400),
		vline(40, 80, 168), vline(140, 80, 168), vline(400, 80, 168),
	}
	var gs []content.Glyph
	gs = append(gs, word("Less:", 250, 92)...)
	gs = append(gs, word("Total", 160, 106)...)
	gs = append(gs, word("Excluded", 250, 106)...)
	gs = append(gs, word("Item", 50, 120)...)
	gs = append(gs, word("All", 160, 120)...)
	gs = append(gs, word("Costs", 250, 120)...)
	gs = append(gs, word("Net", 330, 120)...)
	body := [][]string{{"Rent", "170", "20", "150"}, {"Travel", "94", "4", "90"}, {"Postage", "34", "3", "31"}}
	for i, r := range body {
		y := 136 + 14*float64(i)
		gs = append(gs, word(r[0], 50, y)...)
		for j, c := range r[1:] {
			gs = append(gs, word(c, 160+90*float64(j), y)...)
		}
	}
	for i, r := range [][]string{{"Rate", "47", "12"}, {"Base", "53", "88"}} {
		y := 178 + 14*float64(i)
		gs = append(gs, word(r[0], 50, y)...)
		gs = append(gs, word(r[1], 160, y)...)
		gs = append(gs, word(r[2], 250, y)...)
	}
	ts := Detect(Page{Width: 450, Height: 300, Glyphs: gs, Segments: segs})
	if len(ts) != 2 {
		t.Fatalf("got %d tables: %+v", len(ts), ts)
	}
	want := append([][]string{{"Item", "Total All", "Less: Excluded Costs", "Net"}}, body...)
	if !reflect.DeepEqual(ts[0].Rows, want) {
		t.Errorf("rows %q, want %q", ts[0].Rows, want)
	}
}

func TestDashIsAValueThatDoesNotWrap(t *testing.T) {
	// Rows set far apart, then three rows set tight: the dash printed
	// for a zero is a value, so its row does not join the next.
	var gs []content.Glyph
	rows := [][]string{{"Units", "49,136"}, {"Value", "104.03"}, {"Direct", "-"}, {"Revaluation", "3.99"}, {"Costs", "(0.21)"}, {"Total", "3.78"}}
	ys := []float64{100, 122, 144, 154, 164, 186}
	for i, r := range rows {
		gs = append(gs, word(r[0], 50, ys[i])...)
		x := 300 - 6*float64(len([]rune(r[1])))
		gs = append(gs, word(r[1], x, ys[i])...)
	}
	ts := Detect(Page{Width: 400, Height: 300, Glyphs: gs})
	if len(ts) != 1 || !reflect.DeepEqual(ts[0].Rows, rows) {
		t.Fatalf("tables %+v", ts)
	}
}

func TestSectionsAcrossWideGapsAreOneTable(t *testing.T) {
	// A header, then two sections, each under its label, set off by gaps
	// of more than two blank lines; a note further down is no part of it.
	var gs []content.Glyph
	line := func(y float64, cells ...string) {
		for j, c := range cells {
			if c != "" {
				gs = append(gs, word(c, 50+100*float64(j), y)...)
			}
		}
	}
	line(100, "Dose", "Pups", "Weight")
	line(132, "Male")
	line(148, "0", "39", "5.8")
	line(160, "250", "30", "5.9")
	line(192, "Female")
	line(206, "0", "23", "5.4")
	line(218, "250", "34", "5.6")
	line(300, "Note", "weights", "in grams")
	ts := Detect(Page{Width: 400, Height: 400, Glyphs: gs})
	if len(ts) < 1 {
		t.Fatal("no table")
	}
	want := [][]string{{"Dose", "Pups", "Weight"}, {"Male", "", ""}, {"0", "39", "5.8"}, {"250", "30", "5.9"}, {"Female", "", ""}, {"0", "23", "5.4"}, {"250", "34", "5.6"}}
	if !reflect.DeepEqual(ts[0].Rows, want) {
		t.Errorf("rows %q, want %q", ts[0].Rows, want)
	}
}

func TestValuesCentredBetweenTheLinesOfTheirLabel(t *testing.T) {
	// Each label takes two lines; the row's values sit between them,
	// half a line lower than the first.
	var gs []content.Glyph
	gs = append(gs, word("Measure", 50, 80)...)
	gs = append(gs, word("1997", 250, 80)...)
	gs = append(gs, word("1998", 320, 80)...)
	for i, r := range [][]string{{"Median", "49,497", "51,295"}, {"Gini", "0.4590", "0.4560"}} {
		y := 100 + 20*float64(i)
		gs = append(gs, word(r[0], 50, y)...)
		gs = append(gs, word(r[1], 250, y)...)
		gs = append(gs, word(r[2], 320, y)...)
	}
	for i, r := range [][]string{{"Income", "inequality", "0.46", "0.45"}, {"Mortality", "gap (years)", "7108", "6960"}} {
		y := 140 + 30*float64(i)
		gs = append(gs, word(r[0], 50, y)...)
		gs = append(gs, word(r[2], 250, y+5)...)
		gs = append(gs, word(r[3], 320, y+5)...)
		gs = append(gs, word(r[1], 50, y+10)...)
	}
	ts := Detect(Page{Width: 400, Height: 300, Glyphs: gs})
	if len(ts) != 1 {
		t.Fatalf("got %d tables", len(ts))
	}
	want := [][]string{{"Measure", "1997", "1998"}, {"Median", "49,497", "51,295"}, {"Gini", "0.4590", "0.4560"}, {"Income inequality", "0.46", "0.45"}, {"Mortality gap (years)", "7108", "6960"}}
	if !reflect.DeepEqual(ts[0].Rows, want) {
		t.Errorf("rows %q, want %q", ts[0].Rows, want)
	}
}

func TestNoteRightUnderTheLastRowIsNotARow(t *testing.T) {
	rows, gs := leases()
	// A note in the first column as close under the last row as the
	// line of a wrapped cell would be: its label says what it is.
	gs = append(gs, word("NOTE: Rounded.", 50, 152)...)
	ts := Detect(Page{Width: 400, Height: 300, Glyphs: gs})
	if len(ts) != 1 || !reflect.DeepEqual(ts[0].Rows, rows) {
		t.Fatalf("tables %+v", ts)
	}
}

func TestBoldLabelOverTightRowsIsARowOfItsOwn(t *testing.T) {
	// Rows one blank apart, then a section set tight: its label in bold
	// right above rows in the regular weight, as close to them as they
	// are to each other.
	var gs []content.Glyph
	for i, r := range [][2]string{{"Net", "5"}, {"Units", "49"}, {"Total", "70"}} {
		y := 100 + float64(i)*14
		gs = append(gs, word(r[0], 50, y)...)
		gs = append(gs, word(r[1], 250, y)...)
	}
	label := word("Result", 50, 146)
	for i := range label {
		label[i].Bold = true
	}
	gs = append(gs, label...)
	gs = append(gs, word("Direct", 50, 156)...)
	gs = append(gs, word("12", 250, 156)...)
	gs = append(gs, word("Costs", 50, 166)...)
	gs = append(gs, word("(3)", 250, 166)...)
	want := [][]string{{"Net", "5"}, {"Units", "49"}, {"Total", "70"}, {"Result", ""}, {"Direct", "12"}, {"Costs", "(3)"}}
	ts := Detect(Page{Width: 400, Height: 300, Glyphs: gs})
	if len(ts) != 1 || !reflect.DeepEqual(ts[0].Rows, want) {
		t.Fatalf("tables %+v", ts)
	}
}

func TestYearHeadingSetApartOverTheYearColumns(t *testing.T) {
	// "Year" centred over the columns 2019 … 2022, a line and a half
	// above them (a rule between, as reports print it), under a title;
	// the stub's heading on the years' line.
	var gs []content.Glyph
	gs = append(gs, sized("Table 4. Income by year", 40, 50, 12)...)
	xs := []float64{150, 210, 270, 330}
	gs = append(gs, word("Year", (150+330+24)/2-12, 72)...)
	gs = append(gs, word("Measure", 40, 90)...)
	for i, x := range xs {
		gs = append(gs, word(fmt.Sprint(2019+i), x, 90)...)
	}
	for r, label := range []string{"Income", "Gini", "Index"} {
		y := 106 + 14*float64(r)
		gs = append(gs, word(label, 40, y)...)
		for i, x := range xs {
			gs = append(gs, word(fmt.Sprintf("%d.%d", 10+r, i), x, y)...)
		}
	}
	ts := Detect(Page{Width: 500, Height: 300, Glyphs: gs, Segments: []content.Segment{hline(80, 150, 354)}})
	if len(ts) != 1 {
		t.Fatalf("got %d tables", len(ts))
	}
	want := [][]string{{"Measure", "Year", "", "", ""}, {"", "2019", "2020", "2021", "2022"}, {"Income", "10.0", "10.1", "10.2", "10.3"}}
	if !reflect.DeepEqual(ts[0].Rows[:3], want) {
		t.Errorf("rows %q, want %q", ts[0].Rows[:3], want)
	}
	wantSpans := []Span{{Row: 0, Col: 0, RowSpan: 2, ColSpan: 1}, {Row: 0, Col: 1, RowSpan: 1, ColSpan: 4}}
	if !reflect.DeepEqual(ts[0].Spans, wantSpans) {
		t.Errorf("spans %+v, want %+v", ts[0].Spans, wantSpans)
	}
}

func TestYearsInARowOfValuesAreValues(t *testing.T) {
	for _, tc := range []struct {
		row  []string
		want bool
	}{
		{[]string{"Measure", "1997", "1998", "1999"}, false},
		{[]string{"", "2007", "2006", "2005"}, false},
		{[]string{"Built", "1997"}, true},
		{[]string{"Range", "1997", "1995", "1999"}, true},
		{[]string{"Count", "1997", "1997"}, true},
		{[]string{"Total", "1998", "12,500"}, true},
		{[]string{"Measure", "Rate"}, false},
	} {
		if got := rowHasValue(tc.row); got != tc.want {
			t.Errorf("rowHasValue(%q) = %v, want %v", tc.row, got, tc.want)
		}
	}
}

func TestHeadingAndSectionLabelARowAboveTheFirstRow(t *testing.T) {
	// A title, a sentence, then at the rows' spacing: "2016" on the
	// values' right edge, a section label on the labels' left edge,
	// then the rows (14 points apart).
	var gs []content.Glyph
	gs = append(gs, sized("Key figures", 40, 20, 16)...)
	gs = append(gs, word("The fund's figures at the end of its first year follow.", 40, 40)...)
	gs = append(gs, word("2016", 300-24, 58)...)
	gs = append(gs, word("Class A", 40, 72)...)
	for i, r := range [][2]string{{"Net", "5,111"}, {"Units", "49"}, {"Per unit", "104.03"}} {
		y := 86 + 14*float64(i)
		gs = append(gs, word(r[0], 40, y)...)
		gs = append(gs, word(r[1], 300-6*float64(len(r[1])), y)...)
	}
	ts := Detect(Page{Width: 400, Height: 300, Glyphs: gs})
	if len(ts) != 1 {
		t.Fatalf("got %d tables", len(ts))
	}
	want := [][]string{{"", "2016"}, {"Class A", ""}, {"Net", "5,111"}, {"Units", "49"}, {"Per unit", "104.03"}}
	if !reflect.DeepEqual(ts[0].Rows, want) {
		t.Errorf("rows %q, want %q", ts[0].Rows, want)
	}
}

func TestRowLabelsLeftOfTheGridAreItsFirstColumn(t *testing.T) {
	// A grid of two columns from x=200 and five rows (a header, then four
	// rows), with each row's label printed left of it, outside the rules.
	var segs []content.Segment
	for i := range 6 {
		segs = append(segs, hline(float64(20*i), 200, 320))
	}
	segs = append(segs, vline(200, 0, 100), vline(260, 0, 100), vline(320, 0, 100))
	page := func(labelX float64, labels ...string) Page {
		gs := append(word("Oil", 210, 15), word("Gas", 270, 15)...)
		for i, l := range labels {
			y := 35 + 20*float64(i)
			x := labelX
			for _, w := range strings.Fields(l) {
				gs = append(gs, word(w, x, y)...)
				x += 6 * float64(len(w)+1)
			}
			gs = append(gs, word(fmt.Sprint(10+i), 210, y)...)
			gs = append(gs, word(fmt.Sprint(20+i), 270, y)...)
		}
		return Page{Width: 400, Height: 200, Glyphs: gs, Segments: segs}
	}

	ts := Detect(page(140, "Alcona", "Curtis", "Hawes", "Mikado"))
	want := [][]string{{"", "Oil", "Gas"}, {"Alcona", "10", "20"}, {"Curtis", "11", "21"}, {"Hawes", "12", "22"}, {"Mikado", "13", "23"}}
	if len(ts) != 1 || !reflect.DeepEqual(ts[0].Rows, want) {
		t.Fatalf("tables %+v, want one with rows %q", ts, want)
	}
	if ts[0].BBox.X0 >= 140 || len(ts[0].ColX) != 4 {
		t.Errorf("bbox %+v, column bounds %v: the labels' column belongs to the table", ts[0].BBox, ts[0].ColX)
	}

	// Labels far to the left of the grid are text of their own.
	ts = Detect(page(20, "Alcona", "Curtis", "Hawes", "Mikado"))
	if len(ts) != 1 || len(ts[0].Rows[0]) != 2 {
		t.Errorf("far labels: tables %+v, want the grid's two columns", ts)
	}
	// Lines of a sentence beside the grid are not labels.
	ts = Detect(page(60, "We saw a lot of it as", "it is in the list at", "the top of a page in", "one of the two or so"))
	if len(ts) == 0 || len(ts[0].Rows[0]) != 2 {
		t.Errorf("sentence: tables %+v, want the grid's two columns", ts)
	}
}

func TestHeaderOfThreeLevels(t *testing.T) {
	// "Race" over two groups, each heading centred over its "no." and
	// "Rate"; the stub's heading wraps beside them, its first line a
	// little below the groups' line.
	var gs []content.Glyph
	xs := []float64{120, 160, 200, 240}
	gs = append(gs, word("Race", (120+264)/2-12, 60)...)
	gs = append(gs, word("White men", (120+184)/2-27, 74)...)
	gs = append(gs, word("Black men", (200+264)/2-27, 74)...)
	gs = append(gs, word("Age", 40, 79)...)
	gs = append(gs, word("(yrs)", 40, 88)...)
	for i, x := range xs {
		gs = append(gs, word([]string{"no.", "Rate"}[i%2], x, 88)...)
	}
	for r, age := range []string{"45–54", "55–64", "65–74"} {
		y := 104 + 14*float64(r)
		gs = append(gs, word(age, 40, y)...)
		for i, x := range xs {
			gs = append(gs, word(fmt.Sprintf("%d.%d", 10+i, r), x, y)...)
		}
	}
	ts := Detect(Page{Width: 500, Height: 300, Glyphs: gs})
	if len(ts) != 1 {
		t.Fatalf("got %d tables", len(ts))
	}
	want := [][]string{
		{"Age (yrs)", "Race", "", "", ""},
		{"", "White men", "", "Black men", ""},
		{"", "no.", "Rate", "no.", "Rate"},
		{"45–54", "10.0", "11.0", "12.0", "13.0"},
	}
	if !reflect.DeepEqual(ts[0].Rows[:4], want) {
		t.Errorf("rows %q, want %q", ts[0].Rows[:4], want)
	}
	wantSpans := []Span{{Row: 0, Col: 0, RowSpan: 3, ColSpan: 1}, {Row: 0, Col: 1, RowSpan: 1, ColSpan: 4}, {Row: 1, Col: 1, RowSpan: 1, ColSpan: 2}, {Row: 1, Col: 3, RowSpan: 1, ColSpan: 2}}
	if !reflect.DeepEqual(ts[0].Spans, wantSpans) {
		t.Errorf("spans %+v, want %+v", ts[0].Spans, wantSpans)
	}
}

// groupFrame lays out a frame ruled around a stub, two groups of two
// columns and a total, the header words given (text, x, y), and three
// rows under them. It returns the page and the rows.
func groupFrame(header []placed) (Page, [][]string) {
	segs := []content.Segment{
		hline(80, 40, 400), hline(110, 40, 400), hline(170, 40, 400),
		vline(40, 80, 170), vline(100, 80, 170), vline(210, 80, 170), vline(315, 80, 170), vline(400, 80, 170),
	}
	var gs []content.Glyph
	for _, w := range header {
		gs = append(gs, word(w.s, w.x, w.y)...)
	}
	body := [][]string{{"1-2", "586", "568", "112", "133", "1,399"}, {"3-5", "867", "576", "214", "105", "1,762"}, {"6-11", "808", "401", "311", "100", "1,620"}}
	for i, r := range body {
		y := 124 + 14*float64(i)
		gs = append(gs, word(r[0], 50, y)...)
		for j, x := range []float64{110, 166, 220, 276, 346} {
			gs = append(gs, word(r[j+1], x, y)...)
		}
	}
	return Page{Width: 450, Height: 300, Glyphs: gs, Segments: segs}, body
}

// placements lays out texts as a program printing cells does: each text
// placed on its own (a run of its own), its spaces written as space
// characters.
type placements struct {
	gs  []content.Glyph
	run uint32
}

func (p *placements) add(s string, x, y float64) {
	p.run++
	g := word(s, x, y)
	for i := range g {
		g[i].Run, g[i].Space = p.run, g[i].Text == " "
	}
	p.gs = append(p.gs, g...)
}

// cellLines writes lines of cells on a page, cell j of each at xs[j];
// empty cells are left out.
type cellLines struct {
	xs []float64
	gs []content.Glyph
}

func (s *cellLines) line(y float64, cells ...string) {
	for j, c := range cells {
		if c != "" {
			s.gs = append(s.gs, word(c, s.xs[j], y)...)
		}
	}
}

// wantOneTable detects the tables of the lines on a page and wants one,
// with rows want.
func (s *cellLines) wantOneTable(t *testing.T, want [][]string) {
	t.Helper()
	ts := Detect(Page{Width: 450, Height: 300, Glyphs: s.gs})
	if len(ts) != 1 || !reflect.DeepEqual(ts[0].Rows, want) {
		t.Fatalf("tables %+v, want rows %q", ts, want)
	}
}

// placed is a word at a place on the page.
type placed struct {
	s    string
	x, y float64
}

func TestCellWrappedBesideAGroupHeading(t *testing.T) {
	// "White men all" across its group, "Other" set off centre over its
	// own (nearer its columns than "Total" is), "Total" wrapping onto
	// the sub-headings' line ("population").
	page, body := groupFrame([]placed{{"Age", 50, 92}, {"White men all", 116, 92}, {"Other", 226, 92}, {"Total", 340, 92},
		{"Male", 110, 106}, {"Female", 160, 106}, {"Male", 220, 106}, {"Female", 270, 106}, {"population", 322, 106}})
	ts := Detect(page)
	if len(ts) != 1 {
		t.Fatalf("got %d tables: %+v", len(ts), ts)
	}
	want := append([][]string{{"Age", "White men all", "", "Other", "", "Total population"}, {"", "Male", "Female", "Male", "Female", ""}}, body...)
	if !reflect.DeepEqual(ts[0].Rows, want) {
		t.Errorf("rows %q, want %q", ts[0].Rows, want)
	}
}

func TestHeaderLinesInsideAFrameAreKept(t *testing.T) {
	// The first header line's chunks cross the gaps of the second's,
	// set close under it: inside the frame the lines are the table's
	// header, not prose to start again after.
	page, _ := groupFrame([]placed{{"Age", 50, 92}, {"White men", 116, 92}, {"all", 176, 92}, {"Other", 226, 92}, {"Total", 340, 92},
		{"Male", 110, 104}, {"Female", 160, 104}, {"Male", 220, 104}, {"Female", 270, 104}, {"population", 322, 104}})
	ts := Detect(page)
	if len(ts) != 1 {
		t.Fatalf("got %d tables: %+v", len(ts), ts)
	}
	text := fmt.Sprint(ts[0].Rows[0])
	for _, w := range []string{"Age", "White men", "all", "Other", "Total"} {
		if !strings.Contains(text, w) {
			t.Errorf("first row %q lacks %q", ts[0].Rows[0], w)
		}
	}
}

func TestWrappedCellsInPackedRowsJoinTheRowBelow(t *testing.T) {
	// Rows as tall as their text, every line one line below the last:
	// the gaps tell nothing. A remark wraps up from its row's line (cells
	// aligned at the bottom, as spreadsheets print by default).
	var gs []content.Glyph
	line := func(y float64, cells ...placed) {
		for _, c := range cells {
			gs = append(gs, word(c.s, c.x, y)...)
		}
	}
	line(50, placed{s: "API", x: 40}, placed{s: "Remarks", x: 120}, placed{s: "Gas", x: 260})
	line(60, placed{s: "Shut in", x: 120})
	line(70, placed{s: "42-1", x: 40}, placed{s: "pending.", x: 120}, placed{s: "930", x: 260})
	line(80, placed{s: "42-2", x: 40}, placed{s: "OK", x: 120}, placed{s: "712", x: 260})
	line(90, placed{s: "Waiting on", x: 120})
	line(100, placed{s: "42-3", x: 40}, placed{s: "rig.", x: 120}, placed{s: "377", x: 260})
	ts := Detect(Page{Width: 400, Height: 300, Glyphs: gs})
	want := [][]string{{"API", "Remarks", "Gas"}, {"42-1", "Shut in pending.", "930"}, {"42-2", "OK", "712"}, {"42-3", "Waiting on rig.", "377"}}
	if len(ts) != 1 || !reflect.DeepEqual(ts[0].Rows, want) {
		t.Fatalf("tables %+v, want rows %q", ts, want)
	}
}

func TestCellRunningIntoTheNextDoesNotEndTheTable(t *testing.T) {
	// A remark fills its cell up to the next cell's text, placed apart
	// from it but closer than columns are: the row is still the table's.
	var p placements
	rows := [][]string{{"County", "Remarks", "Operator", "Rate"}, {"Reeves", "Annual test passed.", "Tascosa", "3,889"},
		{"Ector", "No issues found.", "Wolfcamp", "845"}, {"Upton", "Shut in pending pipe", "Sandhill", "9,762"}, {"Total", "", "", "14,496"}}
	for i, r := range rows {
		y := 50 + 14*float64(i)
		for j, x := range []float64{40, 120, 242, 340} {
			if j == 2 && i != 3 {
				x = 250
			}
			if r[j] != "" {
				p.add(r[j], x, y)
			}
		}
	}
	for i := range p.gs {
		p.gs[i].Space = false // spaces left as gaps: the words are told apart by distance alone
	}
	ts := Detect(Page{Width: 450, Height: 300, Glyphs: p.gs})
	if len(ts) != 1 || !reflect.DeepEqual(ts[0].Rows, rows) {
		t.Fatalf("tables %+v, want one with rows %q", ts, rows)
	}
}

func TestCaptionInOneChunkBetweenTwoTables(t *testing.T) {
	// Two tables in the same columns, the second's caption one line of
	// one chunk between them, as close as a header is to its rows.
	var gs []content.Glyph
	y := 50.0
	table := func(head []string, rows [][]string) {
		for j, h := range head {
			gs = append(gs, word(h, 40+100*float64(j), y)...)
		}
		for _, r := range rows {
			y += 14
			for j, c := range r {
				gs = append(gs, word(c, 40+100*float64(j), y)...)
			}
		}
	}
	table([]string{"Operator", "Gas"}, [][]string{{"Caprock", "6,891"}, {"Red Draw", "5,154"}, {"Total", "12,045"}})
	y += 16
	gs = append(gs, word("Table 2. Field Review", 40, y)...)
	y += 14
	table([]string{"Lease", "Revenue"}, [][]string{{"Longhorn", "3,327"}, {"Nolan", "2,780"}, {"Total", "6,107"}})
	ts := Detect(Page{Width: 400, Height: 300, Glyphs: gs})
	if len(ts) != 2 || len(ts[0].Rows) != 4 || len(ts[1].Rows) != 4 || ts[1].Rows[0][0] != "Lease" {
		t.Fatalf("tables %+v, want two of four rows, the second headed Lease", ts)
	}
}

func TestLeftAlignedHeaderCellsRunTogether(t *testing.T) {
	// Headings set at their cells' left edges over right-aligned numbers,
	// spaces written as characters: "Total Depth " (the first line of a
	// wrapped heading, its space kept) runs up to the next cell's
	// "Annual", each placed on its own, a little more than a space apart.
	var p placements
	p.add("Well Name", 40, 50)
	p.add("Total Depth ", 150, 50) // 150-222, its space 216-222
	p.add("Annual", 223.5, 50)
	p.add("Oil Production", 300, 50)
	for i, r := range [][]string{{"Nolan 7 #3", "17,711", "10.5%", "1,647"}, {"Bell 12 #1", "10,669", "9.7%", "1,056"}, {"Hutto 3 #2", "7,024", "-29.8%", "404"}} {
		y := 64 + 14*float64(i)
		p.add(r[0], 40, y)
		p.add(r[1], 216-6*float64(len(r[1])), y) // right-aligned
		p.add(r[2], 290-6*float64(len(r[2])), y)
		p.add(r[3], 390-6*float64(len(r[3])), y)
	}
	ts := Detect(Page{Width: 400, Height: 300, Glyphs: p.gs})
	if len(ts) != 1 {
		t.Fatalf("got %d tables: %+v", len(ts), ts)
	}
	want := []string{"Well Name", "Total Depth", "Annual", "Oil Production"}
	if !reflect.DeepEqual(ts[0].Rows[0], want) {
		t.Errorf("header %q, want %q", ts[0].Rows[0], want)
	}
}

func TestTheOnePhraseOfAPageKeepsItsSpace(t *testing.T) {
	// A sheet of one-word cells in a monospaced font, its space 0.6 em
	// wide, wider than the gap that parts chunks: "Oil (bbl)", the only
	// phrase, is drawn with its space and is one heading, left-aligned
	// over right-aligned numbers a little more than a space after
	// "Change".
	var p placements
	p.add("County", 40, 50)
	p.add("Change", 92, 50)
	p.add("Oil (bbl)", 137.4, 50)
	rows := [][]string{{"Midland", "5.9%", "2,235,977"}, {"Reeves", "-4.1%", "647,183"}, {"Howard", "", "1,340,324"}, {"Andrews", "55.7%", "1,960,220"}}
	for i, r := range rows {
		y := 63 + 13*float64(i)
		p.add(r[0], 40, y)
		if r[1] != "" {
			p.add(r[1], 132-6*float64(len(r[1])), y) // right-aligned
		}
		p.add(r[2], 202-6*float64(len(r[2])), y)
	}
	ts := Detect(Page{Width: 400, Height: 300, Glyphs: p.gs})
	want := append([][]string{{"County", "Change", "Oil (bbl)"}}, rows...)
	if len(ts) != 1 || !reflect.DeepEqual(ts[0].Rows, want) {
		t.Fatalf("tables %+v, want rows %q", ts, want)
	}
}

func TestHeadingAndValueAtOppositeEdgesOfOneCell(t *testing.T) {
	// A table's last page: the header over a single row, "WI" set at
	// its cell's left edge, "8%" at the right, not overlapping.
	var gs []content.Glyph
	for _, w := range []placed{{"Well", 40, 50}, {"WI", 120, 50}, {"Gas (mcf)", 200, 50}, {"Nolan", 40, 64}, {"8%", 150, 64}, {"1,234", 200, 64}} {
		gs = append(gs, word(w.s, w.x, w.y)...)
	}
	ts := Detect(Page{Width: 400, Height: 300, Glyphs: gs})
	want := [][]string{{"Well", "WI", "Gas (mcf)"}, {"Nolan", "8%", "1,234"}}
	if len(ts) != 1 || !reflect.DeepEqual(ts[0].Rows, want) {
		t.Fatalf("tables %+v, want rows %q", ts, want)
	}
}

func TestTrailingSpaceRunningIntoTheNextCell(t *testing.T) {
	// Wrapped headings: a right-aligned one keeps the space it wrapped
	// at ("Production "), and the next cell's line, placed on its own,
	// starts over that space ("Well").
	var p placements
	p.add("Oil", 182, 40)
	p.add("Lease", 40, 60)
	p.add("Production ", 140, 50) // ends 200, its space 200-206
	p.add("Well", 202, 50)
	p.add("(bbl)", 170, 60)
	p.add("Status", 202, 60)
	for i, r := range [][3]string{{"Pinnacle State", "1,064,710", "Plugged"}, {"Jal Draw", "813,779", "Plugged"}, {"Emma Lou", "893,686", "Permitted"}, {"Odessa Gap", "397,243", "Producing"}} {
		y := 74 + 14*float64(i)
		p.add(r[0], 40, y)
		p.add(r[1], 200-6*float64(len(r[1])), y)
		p.add(r[2], 202, y)
	}
	ts := Detect(Page{Width: 400, Height: 300, Glyphs: p.gs})
	want := []string{"Lease", "Oil Production (bbl)", "Well Status"}
	if len(ts) != 1 || !reflect.DeepEqual(ts[0].Rows[0], want) {
		t.Fatalf("tables %+v, want a header %q", ts, want)
	}
}

func TestWrappedCellGoesUpIntoTheRowItEndsOn(t *testing.T) {
	// Cells aligned at the bottom, as spreadsheets print by default: a
	// remark wraps up from its row's line, its upper lines one leading
	// under the row above (rows are a little further apart than the
	// lines of one cell). Hawkins's remark ends on its row's line, going
	// on from the lines above it ("back on line."); Tom Bell's lines sit
	// under a row that leaves Remarks empty.
	sh := cellLines{xs: []float64{40, 140, 240}}
	sh.line(50, "Lease", "Revenue", "Remarks")
	sh.line(62.8, "Longhorn", "$783,166", "Waiting on rig.")
	sh.line(74.4, "", "", "Rod pump replaced;")
	sh.line(86, "Hawkins", "$3,211,741", "back on line.")
	sh.line(98.8, "Dollarhide", "$282,173", "")
	sh.line(110.4, "", "", "Shut in pending")
	sh.line(122, "Tom Bell", "$586,396", "Connection.")
	sh.line(134.8, "Mesquite", "$989,261", "OK")
	want := [][]string{{"Lease", "Revenue", "Remarks"}, {"Longhorn", "$783,166", "Waiting on rig."},
		{"Hawkins", "$3,211,741", "Rod pump replaced; back on line."}, {"Dollarhide", "$282,173", ""},
		{"Tom Bell", "$586,396", "Shut in pending Connection."}, {"Mesquite", "$989,261", "OK"}}
	sh.wantOneTable(t, want)
}

func TestWrappedCellsGoUpWhereGapsTellNothing(t *testing.T) {
	// Lines of one cell as close as their glyphs are tall, rows further
	// apart, and the first line of a tall row a hair nearer to or further
	// from the row above than the lines of a cell are: the gaps say
	// nothing of which row a line is in. Two remarks in a row wrap up
	// from their rows' lines, each going on from the lines above it.
	sh := cellLines{xs: []float64{40, 140, 240}}
	sh.line(50, "Well", "Oil (bbl)", "Remarks")
	sh.line(63.86, "Salt Flat", "1,508,995", "No issues.")
	sh.line(77.72, "Hawkins", "1,900,288", "OK")
	sh.line(88.18, "", "", "Rod pump replaced;")
	sh.line(98.18, "Iatan", "2,176,625", "back on line.")
	sh.line(107.94, "", "", "Recompleted into")
	sh.line(117.94, "", "", "the upper zone,")
	sh.line(127.94, "Garden", "88,582", "test pending.")
	sh.line(141.8, "Jal Draw", "1,502,125", "OK")
	want := [][]string{{"Well", "Oil (bbl)", "Remarks"}, {"Salt Flat", "1,508,995", "No issues."}, {"Hawkins", "1,900,288", "OK"},
		{"Iatan", "2,176,625", "Rod pump replaced; back on line."}, {"Garden", "88,582", "Recompleted into the upper zone, test pending."},
		{"Jal Draw", "1,502,125", "OK"}}
	sh.wantOneTable(t, want)
}

func TestWrappedCellsGoDownWhereGapsTellNothing(t *testing.T) {
	// Cells aligned at the top in rows as tall as their text: a remark
	// runs down from its row's line, and the row after it comes a hair
	// nearer than the remark's lines are to each other. The remark runs
	// on ("... the upper"), its last line ends a sentence, and the next
	// row's starts one.
	sh := cellLines{xs: []float64{40, 140, 240}}
	sh.line(50, "County", "Oil (bbl)", "Remarks")
	sh.line(63.86, "Reeves", "5,861,039", "Waiting on rig.")
	sh.line(77.72, "Midland", "1,375,867", "Recompleted into the upper")
	sh.line(87.72, "", "", "Spraberry, initial potential")
	sh.line(97.72, "", "", "test pending.")
	sh.line(107.48, "Glasscock", "8,843,840", "Annual test passed.")
	sh.line(121.34, "Loving", "1,255,597", "OK")
	want := [][]string{{"County", "Oil (bbl)", "Remarks"}, {"Reeves", "5,861,039", "Waiting on rig."},
		{"Midland", "1,375,867", "Recompleted into the upper Spraberry, initial potential test pending."},
		{"Glasscock", "8,843,840", "Annual test passed."}, {"Loving", "1,255,597", "OK"}}
	sh.wantOneTable(t, want)
}

func TestRowUnderAWrappedRowAsCloseAsItsLines(t *testing.T) {
	// Cells aligned at the top: Karnes's remark wraps onto a second line,
	// and Loving's row follows as close as those two lines are. Karnes
	// leaves Gas empty, Loving Remarks: the two do not clash, yet each
	// labels a row of its own.
	sh := cellLines{xs: []float64{40, 120, 200, 320}}
	sh.line(50, "County", "Gas", "Remarks", "Formation")
	sh.line(64, "Ector", "8,682", "OK", "Spraberry")
	sh.line(78, "Karnes", "", "Shut in pending", "Eagle Ford")
	sh.line(89, "", "", "connection.")
	sh.line(100, "Loving", "155,226", "", "Eagle Ford")
	sh.line(114, "Upton", "3,019", "OK", "Dean")
	want := [][]string{{"County", "Gas", "Remarks", "Formation"}, {"Ector", "8,682", "OK", "Spraberry"},
		{"Karnes", "", "Shut in pending connection.", "Eagle Ford"}, {"Loving", "155,226", "", "Eagle Ford"}, {"Upton", "3,019", "OK", "Dean"}}
	sh.wantOneTable(t, want)
}
