package layout

import (
	"testing"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/content"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/geom"
)

// glyphs lays s out from x on baseline y in a font of the given size,
// each character 0.5 em wide.
func glyphs(s string, x, y, size float64) []content.Glyph {
	var gs []content.Glyph
	for _, r := range s {
		w := 0.5 * size
		gs = append(gs, content.Glyph{
			Text: string(r), X: x, Y: y, Size: size, Adv: w, Space: r == ' ',
			Box: geom.Rect{X0: x, Y0: y - 0.8*size, X1: x + w, Y1: y + 0.2*size},
		})
		x += w
	}
	return gs
}

func lineTexts(ls []Line) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Text())
	}
	return out
}

func TestSuperscriptJoinsTheWordItMarks(t *testing.T) {
	// "Others" at 10 pt, then "(1)" at 6.5 pt right after it, its
	// baseline raised by half the word's size; under them a row.
	gs := glyphs("Others", 100, 80, 10)
	gs = append(gs, glyphs("(1)", 130, 75, 6.5)...)
	gs = append(gs, glyphs("Total", 100, 95, 10)...)
	got := lineTexts(Lines(Words(gs)))
	if len(got) != 2 || got[0] != "Others(1)" || got[1] != "Total" {
		t.Fatalf("lines %q, want [Others(1) Total]", got)
	}
}

func TestSmallTextApartFromAWordIsNoSuperscript(t *testing.T) {
	for _, tc := range []struct {
		name string
		gs   []content.Glyph
		want []string
	}{
		// A small label a space after the word's end.
		{"apart", append(glyphs("Others", 100, 80, 10), glyphs("(1)", 136, 75, 6.5)...), []string{"(1)", "Others"}},
		// A mark in the word's own font size.
		{"same size", append(glyphs("Others", 100, 80, 10), glyphs("(1)", 130, 75, 10)...), []string{"(1)", "Others"}},
		// A small line above the word's top, not beside it.
		{"above", append(glyphs("Others", 100, 80, 10), glyphs("(1)", 130, 68, 6.5)...), []string{"(1)", "Others"}},
		// Small text longer than a footnote's mark.
		{"long", append(glyphs("Others", 100, 80, 10), glyphs("in 000s", 130, 75, 6.5)...), []string{"in 000s", "Others"}},
	} {
		got := lineTexts(Lines(Words(tc.gs)))
		if len(got) != len(tc.want) {
			t.Errorf("%s: lines %q, want %q", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: lines %q, want %q", tc.name, got, tc.want)
				break
			}
		}
	}
}

// spaceAt is a space glyph drawn from x, 0.25 em wide, as a text
// positioning operator can place one over a glyph already drawn.
func spaceAt(x, y, size float64) content.Glyph {
	return content.Glyph{
		Text: " ", X: x, Y: y, Size: size, Adv: 0.25 * size, Space: true,
		Box: geom.Rect{X0: x, Y0: y - 0.8*size, X1: x + 0.25*size, Y1: y + 0.2*size},
	}
}

func TestASpaceDrawnBetweenTouchingGlyphsSeparatesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		gs   []content.Glyph
		want string
	}{
		// "1", a space moved back over it, then "4.862" where the 1 ends.
		{"over the glyph before", append(append(glyphs("1", 100, 80, 10), spaceAt(100.5, 80, 10)), glyphs("4.862", 105, 80, 10)...), "14.862"},
		// A space placed so that the next glyph is drawn over it.
		{"under the glyph after", append(append(glyphs("(", 100, 80, 10), spaceAt(105, 80, 10)), glyphs("498,5)", 105, 80, 10)...), "(498,5)"},
		// An ordinary space: the next glyph starts after it.
		{"a real space", append(append(glyphs("Czech", 100, 80, 10), spaceAt(125, 80, 10)), glyphs("Republic", 127.5, 80, 10)...), "Czech Republic"},
		// A space overlapped by a dot kerned back towards the word, a gap
		// still showing between them: a space, as printed.
		{"a kerned gap", append(append(glyphs("Robbery", 100, 80, 10), spaceAt(135, 80, 10)), glyphs(". .", 136, 80, 10)...), "Robbery . ."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := lineTexts(Lines(Words(tc.gs)))
			if len(got) != 1 || got[0] != tc.want {
				t.Fatalf("lines %q, want [%s]", got, tc.want)
			}
		})
	}
}

func TestTextPlacedAnewANarrowGapAwayIsAnotherWord(t *testing.T) {
	// "137,446" right-aligned in its cell, "Hackberry" left-aligned in the
	// next, a cell's padding (0.15 em) apart: placed apart, two words.
	// The same gap inside one placement (letters spaced out) is not.
	placedAt := func(s string, x float64, run uint32) []content.Glyph {
		gs := glyphs(s, x, 80, 10)
		for i := range gs {
			gs[i].Run = run
		}
		return gs
	}
	apart := append(placedAt("137,446", 100, 1), placedAt("Hackberry", 136.5, 2)...)
	if got := lineTexts(Lines(Words(apart))); len(got) != 1 || got[0] != "137,446 Hackberry" {
		t.Errorf("placed apart: lines %q, want [137,446 Hackberry]", got)
	}
	one := append(placedAt("137,446", 100, 1), placedAt("Hackberry", 136.5, 1)...)
	if got := lineTexts(Lines(Words(one))); len(got) != 1 || got[0] != "137,446Hackberry" {
		t.Errorf("one placement: lines %q, want [137,446Hackberry]", got)
	}
}
