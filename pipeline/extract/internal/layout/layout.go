// Package layout groups positioned glyphs into words and words into text
// lines. Glyphs are grouped per writing direction: each direction is
// turned upright, grouped, and the results turned back, so rotated text
// forms words too.
package layout

import (
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/content"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/geom"
)

// Word is a run of glyphs without a space or a wide gap between them.
type Word struct {
	Text string
	// Box is the word's bounding box in display space.
	Box geom.Rect
	// Size is the largest font size of its glyphs.
	Size float64
	// Baseline is the y of the baseline (upright words) in display space.
	Baseline float64
	// Dir is the writing direction (see content.Glyph).
	Dir uint8
	// Bold reports that most glyphs are bold.
	Bold bool
	// SpaceAfter reports that an explicit space followed the word on
	// its line (rather than only a gap).
	SpaceAfter bool
	// SpaceEnd is the right edge of the spaces after the word (with
	// SpaceAfter): a word placed well past it was positioned apart.
	SpaceEnd float64
	// Run is the placement of the word's first glyph and EndRun that of
	// its last glyph, or of the spaces after it (see content.Glyph.Run).
	Run, EndRun uint32
}

// Line is a run of words on one baseline, left to right.
type Line struct {
	Words []Word
	Box   geom.Rect
	// Baseline is the mean baseline y of its words.
	Baseline float64
	Size     float64
}

// Text joins the line's words with single spaces.
func (l Line) Text() string {
	parts := make([]string, len(l.Words))
	for i, w := range l.Words {
		parts[i] = w.Text
	}
	return strings.Join(parts, " ")
}

// rotation returns the matrix turning text of direction dir upright and
// its inverse, in display space.
func rotation(dir uint8) (geom.Matrix, geom.Matrix) {
	switch dir {
	case 1: // text runs down: (x, y) → (y, -x)
		return geom.Matrix{0, -1, 1, 0, 0, 0}, geom.Matrix{0, 1, -1, 0, 0, 0}
	case 2:
		return geom.Matrix{-1, 0, 0, -1, 0, 0}, geom.Matrix{-1, 0, 0, -1, 0, 0}
	case 3: // text runs up: (x, y) → (-y, x)
		return geom.Matrix{0, 1, -1, 0, 0, 0}, geom.Matrix{0, -1, 1, 0, 0, 0}
	}
	return geom.Identity, geom.Identity
}

// Words groups glyphs into words.
func Words(glyphs []content.Glyph) []Word {
	var out []Word
	var count [4]int
	for _, g := range glyphs {
		if g.Dir < 4 {
			count[g.Dir]++
		}
	}
	for dir := uint8(0); dir < 4; dir++ {
		if count[dir] == 0 {
			continue
		}
		// A copy: grouping reorders it and turns it upright.
		gs := make([]content.Glyph, 0, count[dir])
		for _, g := range glyphs {
			if g.Dir == dir {
				gs = append(gs, g)
			}
		}
		fwd, back := rotation(dir)
		if dir != 0 {
			for i := range gs {
				gs[i].Box = gs[i].Box.Transform(fwd)
				gs[i].X, gs[i].Y = fwd.Apply(gs[i].X, gs[i].Y)
			}
		}
		words := uprightWords(gs)
		for i := range words {
			words[i].Dir = dir
			if dir != 0 {
				words[i].Box = words[i].Box.Transform(back)
				_, words[i].Baseline = back.Apply(0, words[i].Baseline)
			}
		}
		out = append(out, words...)
	}
	return out
}

// uprightWords groups upright glyphs: first into baseline lines, then
// into words by spaces and gaps.
func uprightWords(gs []content.Glyph) []Word {
	lines := baselineGroups(gs, func(g content.Glyph) (float64, float64) { return g.Y, g.Size })
	var words []Word
	for _, line := range lines {
		slices.SortStableFunc(line, func(a, b content.Glyph) int { return cmpF(a.Box.X0, b.Box.X0) })
		var cur []content.Glyph
		flush := func(spaceAfter bool) {
			if len(cur) > 0 {
				words = append(words, makeWord(cur, spaceAfter))
				cur = cur[:0]
			}
		}
		first := len(words) // the line's first word
		var prev *content.Glyph
		for i := range line {
			g := line[i]
			if g.Space {
				if overprinted(line, i, prev) {
					continue
				}
				flush(true)
				if n := len(words); n > first && words[n-1].SpaceAfter {
					words[n-1].SpaceEnd = max(words[n-1].SpaceEnd, g.Box.X1)
					words[n-1].EndRun = g.Run
				}
				prev = nil
				continue
			}
			if prev != nil {
				gap := g.Box.X0 - prev.Box.X1
				size := max(g.Size, prev.Size)
				// Overprinted duplicates (fake bold, shadows) are dropped.
				if g.Text == prev.Text && math.Abs(g.Box.X0-prev.Box.X0) < 0.15*size {
					continue
				}
				// A gap wider than letters leave ends a word; so does a
				// narrower one where the text was placed anew (a
				// right-aligned number and the text of the next cell,
				// a cell's padding apart).
				if gap > 0.18*size || gap < -0.6*size || (g.Run != prev.Run && gap > 0.1*size) {
					flush(false)
				}
			}
			cur = append(cur, g)
			prev = &line[i]
		}
		flush(false)
	}
	return words
}

// overprinted reports that the space line[i] separates nothing: the
// glyphs before (prev) and after it touch on the page, the space drawn
// over one of them. Spreadsheets print numbers so: "14.862" drawn as "1",
// a space moved back over it, then "4.862".
func overprinted(line []content.Glyph, i int, prev *content.Glyph) bool {
	if prev == nil || i+1 >= len(line) || line[i+1].Space {
		return false
	}
	next := line[i+1]
	return math.Abs(next.Box.X0-prev.Box.X1) < 0.05*max(prev.Size, next.Size)
}

func makeWord(gs []content.Glyph, spaceAfter bool) Word {
	var sb strings.Builder
	box := gs[0].Box
	size := 0.0
	bold := 0
	base := 0.0
	for _, g := range gs {
		sb.WriteString(g.Text)
		box = box.Union(g.Box)
		size = max(size, g.Size)
		if g.Bold {
			bold++
		}
		base += g.Y
	}
	return Word{
		Text:       sb.String(),
		Box:        box,
		Size:       size,
		Baseline:   base / float64(len(gs)),
		Bold:       bold*2 > len(gs),
		SpaceAfter: spaceAfter,
		Run:        gs[0].Run,
		EndRun:     gs[len(gs)-1].Run,
	}
}

// baselineGroups clusters items by baseline: sorted by baseline, an item
// starts a new group when its baseline is more than 40% of the font size
// away from the group's first. It sorts items in place and returns
// consecutive pieces of it (each capped, so appending to one copies it).
func baselineGroups[T any](items []T, key func(T) (y, size float64)) [][]T {
	slices.SortStableFunc(items, func(a, b T) int {
		ya, _ := key(a)
		yb, _ := key(b)
		return cmpF(ya, yb)
	})
	var groups [][]T
	var start float64
	first := 0
	for i, it := range items {
		y, size := key(it)
		if i > 0 && y-start > 0.4*max(size, 1) {
			groups = append(groups, items[first:i:i])
			first = i
		}
		if i == first {
			start = y
		}
	}
	if len(items) > 0 {
		groups = append(groups, items[first:len(items):len(items)])
	}
	return groups
}

// Lines groups upright words into lines, each sorted left to right, the
// lines sorted top to bottom. Words of other directions are left out.
func Lines(words []Word) []Line {
	var upright []Word
	for _, w := range words {
		if w.Dir == 0 {
			upright = append(upright, w)
		}
	}
	upright = attachSuperscripts(upright)
	groups := baselineGroups(upright, func(w Word) (float64, float64) { return w.Baseline, w.Size })
	lines := make([]Line, 0, len(groups))
	for _, g := range groups {
		slices.SortStableFunc(g, func(a, b Word) int { return cmpF(a.Box.X0, b.Box.X0) })
		l := Line{Words: g, Box: g[0].Box}
		for _, w := range g {
			l.Box = l.Box.Union(w.Box)
			l.Baseline += w.Baseline
			l.Size = max(l.Size, w.Size)
		}
		l.Baseline /= float64(len(g))
		lines = append(lines, l)
	}
	return lines
}

// maxSuperscript is the longest superscript, in characters, joined to
// the word it follows: a footnote's mark ("1", "(2)", "*", "a").
const maxSuperscript = 4

// attachSuperscripts joins each superscript to the word it marks: a short
// word in a font at most 80% of the word's, starting where the word ends
// and raised above its baseline by 15% to 60% of its size. On a line of
// its own it would read as a line above the word ("(1) Others" for
// "Others(1)"). It reorders words.
func attachSuperscripts(words []Word) []Word {
	if len(words) < 2 {
		return words
	}
	maxSize, minSize := 0.0, math.Inf(1)
	for _, w := range words {
		maxSize, minSize = max(maxSize, w.Size), min(minSize, w.Size)
	}
	if minSize > 0.8*maxSize {
		return words // one font size: no superscripts
	}
	// The words by right edge, to find those ending where one starts.
	slices.SortFunc(words, func(a, b Word) int { return cmpF(a.Box.X1, b.Box.X1) })
	var drop []bool // made at the first superscript
	for i := range words {
		w := words[i]
		if utf8.RuneCountInString(w.Text) > maxSuperscript || w.SpaceAfter { // a mark, not a phrase's first word
			continue
		}
		lo, _ := slices.BinarySearchFunc(words, w.Box.X0-0.15*maxSize, func(a Word, x float64) int { return cmpF(a.Box.X1, x) })
		for j := lo; j < len(words) && words[j].Box.X1 <= w.Box.X0+0.05*maxSize; j++ {
			b := &words[j]
			if j == i || (drop != nil && drop[j]) || w.Size > 0.8*b.Size {
				continue
			}
			gap := w.Box.X0 - b.Box.X1
			raised := b.Baseline - w.Baseline
			if gap < -0.05*b.Size || gap > 0.15*b.Size || raised < 0.15*b.Size || raised > 0.6*b.Size {
				continue
			}
			if drop == nil {
				drop = make([]bool, len(words))
			}
			drop[i] = true
			b.Text += w.Text
			b.Box = b.Box.Union(w.Box)
			b.SpaceAfter, b.SpaceEnd, b.EndRun = w.SpaceAfter, w.SpaceEnd, w.EndRun
			break
		}
	}
	if drop == nil {
		return words
	}
	out := words[:0]
	for i, w := range words {
		if !drop[i] {
			out = append(out, w)
		}
	}
	return out
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
