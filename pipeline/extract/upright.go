package extract

import (
	"github.com/quarry-dev/quarry/pipeline/extract/internal/content"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/geom"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/table"
)

func geomRect(x0, y0, x1, y1 float64) geom.Rect { return geom.Rect{X0: x0, Y0: y0, X1: x1, Y1: y1} }

// dominantDir returns the writing direction of most of the page's text.
func dominantDir(gs []content.Glyph) uint8 {
	var n [4]int
	for _, g := range gs {
		if !g.Space {
			n[g.Dir&3]++
		}
	}
	best := uint8(0)
	for d := uint8(1); d < 4; d++ {
		if n[d] > n[best] {
			best = d
		}
	}
	return best
}

// uprightMatrix returns the matrix that turns a page whose text mostly
// runs in direction dir upright, and the upright page size.
func uprightMatrix(dir uint8, w, h float64) (geom.Matrix, float64, float64) {
	switch dir {
	case 1: // text runs down: (x, y) → (y, w - x)
		return geom.Matrix{0, -1, 1, 0, 0, w}, h, w
	case 2:
		return geom.Matrix{-1, 0, 0, -1, w, h}, w, h
	case 3: // text runs up: (x, y) → (h - y, x)
		return geom.Matrix{0, 1, -1, 0, h, 0}, h, w
	}
	return geom.Identity, w, h
}

// uprightPage turns a page whose text is mostly rotated (a landscape table
// printed on a portrait page) so that the text reads left to right. It
// returns the page and the matrix mapping the upright page back.
func uprightPage(p table.Page) (table.Page, geom.Matrix) {
	dir := dominantDir(p.Glyphs)
	if dir == 0 {
		return p, geom.Identity
	}
	m, w, h := uprightMatrix(dir, p.Width, p.Height)
	out := table.Page{Width: w, Height: h}
	out.Glyphs = make([]content.Glyph, len(p.Glyphs))
	for i, g := range p.Glyphs {
		g.Box = g.Box.Transform(m)
		g.X, g.Y = m.Apply(g.X, g.Y)
		g.Dir = (g.Dir + 4 - dir) % 4
		out.Glyphs[i] = g
	}
	out.Segments = make([]content.Segment, len(p.Segments))
	for i, s := range p.Segments {
		x0, y0 := m.Apply(s.X0, s.Y0)
		x1, y1 := m.Apply(s.X1, s.Y1)
		out.Segments[i] = content.Segment{X0: x0, Y0: y0, X1: x1, Y1: y1, Width: s.Width}
	}
	out.Fills = make([]geom.Rect, len(p.Fills))
	for i, f := range p.Fills {
		out.Fills[i] = f.Transform(m)
	}
	return out, invert(m)
}

// invert inverts a rotation-and-translation matrix.
func invert(m geom.Matrix) geom.Matrix {
	det := m[0]*m[3] - m[1]*m[2]
	if det == 0 {
		return geom.Identity
	}
	a, b, c, d := m[3]/det, -m[1]/det, -m[2]/det, m[0]/det
	e := -(m[4]*a + m[5]*c)
	f := -(m[4]*b + m[5]*d)
	return geom.Matrix{a, b, c, d, e, f}
}
