package table

import (
	"testing"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/content"
)

// FuzzDetect lays out words and rules from arbitrary bytes (a grid of
// positions, a vocabulary of labels, numbers, dashes, captions and
// notes) and runs the detection on them. It may not panic, and every
// table it returns has rows of one length, spans inside the table and
// column boundaries one more than its columns.
func FuzzDetect(f *testing.F) {
	f.Add([]byte{0, 0, 1, 1, 2, 10, 3, 3, 20, 4, 4, 30, 5, 5, 40})
	f.Add([]byte("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12"))
	f.Add([]byte{200, 0, 0, 201, 0, 30, 202, 5, 0, 203, 5, 30, 0, 1, 1, 1, 2, 3, 2, 3, 5})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 3*400 {
			return
		}
		for _, tb := range Detect(fuzzPage(data)) {
			if len(tb.Rows) == 0 {
				t.Fatalf("table without rows: %+v", tb)
			}
			n := len(tb.Rows[0])
			for _, r := range tb.Rows {
				if len(r) != n {
					t.Fatalf("ragged rows %q", tb.Rows)
				}
			}
			if len(tb.ColX) != n+1 {
				t.Fatalf("%d column boundaries for %d columns", len(tb.ColX), n)
			}
			for _, s := range tb.Spans {
				if s.Row < 0 || s.Col < 0 || s.Row+s.RowSpan > len(tb.Rows) || s.Col+s.ColSpan > n {
					t.Fatalf("span %+v outside %dx%d", s, len(tb.Rows), n)
				}
			}
		}
	})
}

var fuzzVocab = []string{"Total", "Male", "Female", "1,234", "(5.0)", "-", "–", "12.5%", "Table 3.", "Source: county",
	"Note:", "Exhibit 9", ".", ". . .", "2019", "Lease", "Acres", "$1,280", "Year", "Caption text here"}

// fuzzPage lays out a page from bytes, three a word or a rule.
func fuzzPage(data []byte) Page {
	var gs []content.Glyph
	var segs []content.Segment
	for i := 0; i+2 < len(data); i += 3 {
		op, a, b := data[i], float64(data[i+1]), float64(data[i+2])
		switch {
		case op >= 200 && op < 210: // a rule
			if op%2 == 0 {
				segs = append(segs, hline(20+b*4, 10+a*4, 10+a*4+float64(op-199)*60))
			} else {
				segs = append(segs, vline(10+a*4, 20+b*4, 20+b*4+float64(op-199)*40))
			}
		case op >= 210:
			size := 6 + float64(op-210)/4
			gs = append(gs, sized(fuzzVocab[int(a)%len(fuzzVocab)], 10+b*3, 30+a*3, size)...)
		default:
			gs = append(gs, word(fuzzVocab[int(op)%len(fuzzVocab)], 10+a*3, 30+b*3)...)
		}
	}
	return Page{Width: 900, Height: 900, Glyphs: gs, Segments: segs}
}
