package content

import (
	"errors"
	"math"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/geom"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/limit"
)

// pt is a path point in display space; curve reports that the segment
// ending at it is a Bézier curve.
type pt struct {
	x, y  float64
	curve bool
}

type subpath struct {
	pts    []pt
	closed bool
	rect   bool
}

// thinLine is the largest extent (points) of a filled shape that is drawn
// as a line rather than an area.
const thinLine = 2.5

// maxPathPoints bounds one path, against streams that never paint.
const maxPathPoints = 1 << 20

func asLimit(err error, target **limit.Error) bool { return errors.As(err, target) }

func (in *interp) pathPoints() int {
	n := 0
	for _, s := range in.path {
		n += len(s.pts)
	}
	return n
}

func (in *interp) pathOp(op string) {
	if len(in.path) > 0 && in.pathPoints() > maxPathPoints {
		return
	}
	m := in.gs.ctm
	switch op {
	case "m":
		if v, ok := in.nums(2); ok {
			x, y := m.Apply(v[0], v[1])
			in.path = append(in.path, subpath{pts: []pt{{x: x, y: y}}})
			in.cur = &in.path[len(in.path)-1]
		}
	case "l":
		if v, ok := in.nums(2); ok && in.cur != nil {
			x, y := m.Apply(v[0], v[1])
			in.cur.pts = append(in.cur.pts, pt{x: x, y: y})
		}
	case "c":
		if v, ok := in.nums(6); ok && in.cur != nil {
			x, y := m.Apply(v[4], v[5])
			in.cur.pts = append(in.cur.pts, pt{x: x, y: y, curve: true})
		}
	case "v", "y":
		if v, ok := in.nums(4); ok && in.cur != nil {
			x, y := m.Apply(v[2], v[3])
			in.cur.pts = append(in.cur.pts, pt{x: x, y: y, curve: true})
		}
	case "h":
		if in.cur != nil {
			in.cur.closed = true
		}
	case "re":
		if v, ok := in.nums(4); ok {
			x, y, w, h := v[0], v[1], v[2], v[3]
			p := make([]pt, 4)
			p[0].x, p[0].y = m.Apply(x, y)
			p[1].x, p[1].y = m.Apply(x+w, y)
			p[2].x, p[2].y = m.Apply(x+w, y+h)
			p[3].x, p[3].y = m.Apply(x, y+h)
			in.path = append(in.path, subpath{pts: p, closed: true, rect: true})
			// After re the current point is (x, y) in a new subpath; a
			// following l extends that new subpath.
			in.cur = nil
		}
	}
	// Keep cur pointing into the slice after appends reallocate.
	if op == "m" || op == "l" || op == "c" || op == "v" || op == "y" || op == "h" {
		if len(in.path) > 0 && in.cur != nil {
			in.cur = &in.path[len(in.path)-1]
		}
	}
}

// bounds returns the bounding box of the current path.
func (in *interp) bounds() (geom.Rect, bool) {
	first := true
	var r geom.Rect
	for _, s := range in.path {
		for _, p := range s.pts {
			if first {
				r = geom.Rect{X0: p.x, Y0: p.y, X1: p.x, Y1: p.y}
				first = false
				continue
			}
			r.X0, r.Y0 = min(r.X0, p.x), min(r.Y0, p.y)
			r.X1, r.Y1 = max(r.X1, p.x), max(r.Y1, p.y)
		}
	}
	return r, !first
}

func (in *interp) paint(op string) error {
	defer func() {
		in.path = in.path[:0]
		in.cur = nil
	}()
	if in.pendClip {
		in.pendClip = false
		if r, ok := in.bounds(); ok {
			in.gs.clip = in.gs.clip.Intersect(r)
		}
	}
	stroke := op == "S" || op == "s" || op == "B" || op == "B*" || op == "b" || op == "b*"
	fill := op != "S" && op != "s" && op != "n"
	closeAll := op == "s" || op == "b" || op == "b*"
	if fill && in.gs.fillVisible {
		for _, s := range in.path {
			in.fillSubpath(s)
		}
	}
	if stroke && in.gs.strokeVisible {
		lw := in.gs.lineWidth * in.gs.ctm.Scale()
		for _, s := range in.path {
			n := len(s.pts)
			for i := 1; i < n; i++ {
				if !s.pts[i].curve {
					in.addSegment(s.pts[i-1], s.pts[i], lw)
				}
			}
			if (s.closed || closeAll) && n > 2 {
				in.addSegment(s.pts[n-1], s.pts[0], lw)
			}
		}
	}
	return in.checkItems()
}

// addSegment keeps a stroked segment if it is horizontal or vertical and
// inside the clip.
func (in *interp) addSegment(a, b pt, lw float64) {
	dx, dy := b.x-a.x, b.y-a.y
	if math.Abs(dx) < 0.01 && math.Abs(dy) < 0.01 {
		return
	}
	c := in.gs.clip.Inset(1)
	switch {
	case math.Abs(dy) <= 0.5 || math.Abs(dy) <= 0.02*math.Abs(dx):
		y := (a.y + b.y) / 2
		if y < c.Y0 || y > c.Y1 {
			return
		}
		x0, x1 := max(min(a.x, b.x), c.X0), min(max(a.x, b.x), c.X1)
		if x1 <= x0 {
			return
		}
		in.page.Segments = append(in.page.Segments, Segment{X0: x0, Y0: y, X1: x1, Y1: y, Width: lw})
	case math.Abs(dx) <= 0.5 || math.Abs(dx) <= 0.02*math.Abs(dy):
		x := (a.x + b.x) / 2
		if x < c.X0 || x > c.X1 {
			return
		}
		y0, y1 := max(min(a.y, b.y), c.Y0), min(max(a.y, b.y), c.Y1)
		if y1 <= y0 {
			return
		}
		in.page.Segments = append(in.page.Segments, Segment{X0: x, Y0: y0, X1: x, Y1: y1, Width: lw})
	}
}

// fillSubpath records a filled shape: a thin one as a line along its long
// side, an axis-aligned rectangle as a fill.
func (in *interp) fillSubpath(s subpath) {
	if len(s.pts) < 3 {
		return
	}
	r := geom.Rect{X0: s.pts[0].x, Y0: s.pts[0].y, X1: s.pts[0].x, Y1: s.pts[0].y}
	for _, p := range s.pts[1:] {
		r.X0, r.Y0 = min(r.X0, p.x), min(r.Y0, p.y)
		r.X1, r.Y1 = max(r.X1, p.x), max(r.Y1, p.y)
	}
	r = r.Intersect(in.gs.clip.Inset(0.5))
	if r.X1 < r.X0 || r.Y1 < r.Y0 {
		return
	}
	w, h := r.Width(), r.Height()
	switch {
	case w <= thinLine && h > w:
		if h >= 1 {
			x := r.CenterX()
			in.page.Segments = append(in.page.Segments, Segment{X0: x, Y0: r.Y0, X1: x, Y1: r.Y1, Width: w})
		}
	case h <= thinLine && w >= h:
		if w >= 1 {
			y := r.CenterY()
			in.page.Segments = append(in.page.Segments, Segment{X0: r.X0, Y0: y, X1: r.X1, Y1: y, Width: h})
		}
	case s.rect || isAxisRect(s.pts):
		in.page.Fills = append(in.page.Fills, r)
	}
}

// isAxisRect reports whether the points trace an axis-aligned rectangle
// (four corners, optionally repeating the first).
func isAxisRect(p []pt) bool {
	if len(p) == 5 && math.Abs(p[4].x-p[0].x) < 0.1 && math.Abs(p[4].y-p[0].y) < 0.1 {
		p = p[:4]
	}
	if len(p) != 4 {
		return false
	}
	for i := range 4 {
		a, b := p[i], p[(i+1)%4]
		if b.curve || (math.Abs(a.x-b.x) > 0.1 && math.Abs(a.y-b.y) > 0.1) {
			return false
		}
	}
	return true
}
