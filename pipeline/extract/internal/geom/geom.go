// Package geom holds the small geometry types of the extraction engine:
// affine matrices in PDF's row-vector convention and axis-aligned rectangles.
package geom

import "math"

// Matrix is a PDF transformation matrix [a b c d e f], mapping a point
// (x, y) to (a*x + c*y + e, b*x + d*y + f).
type Matrix [6]float64

// Identity is the identity matrix.
var Identity = Matrix{1, 0, 0, 1, 0, 0}

// Translate returns the matrix that moves points by (tx, ty).
func Translate(tx, ty float64) Matrix { return Matrix{1, 0, 0, 1, tx, ty} }

// Mul returns the transformation that applies m first and then n (in PDF
// notation m × n).
func (m Matrix) Mul(n Matrix) Matrix {
	return Matrix{
		m[0]*n[0] + m[1]*n[2],
		m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2],
		m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4],
		m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

// Apply transforms the point (x, y).
func (m Matrix) Apply(x, y float64) (float64, float64) {
	return m[0]*x + m[2]*y + m[4], m[1]*x + m[3]*y + m[5]
}

// ApplyVector transforms the vector (x, y), ignoring translation.
func (m Matrix) ApplyVector(x, y float64) (float64, float64) {
	return m[0]*x + m[2]*y, m[1]*x + m[3]*y
}

// Scale returns the geometric mean of the matrix's axis scales, the factor
// by which it changes lengths on average.
func (m Matrix) Scale() float64 {
	return math.Sqrt(math.Abs(m[0]*m[3] - m[1]*m[2]))
}

// Finite reports whether every entry of m is a finite number.
func (m Matrix) Finite() bool {
	for _, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// Rect is an axis-aligned rectangle with X0 <= X1 and Y0 <= Y1 when
// normalised.
type Rect struct {
	X0, Y0, X1, Y1 float64
}

// RectFromPoints returns the normalised rectangle spanned by two corners.
func RectFromPoints(x0, y0, x1, y1 float64) Rect {
	return Rect{min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)}
}

// Width returns X1 - X0.
func (r Rect) Width() float64 { return r.X1 - r.X0 }

// Height returns Y1 - Y0.
func (r Rect) Height() float64 { return r.Y1 - r.Y0 }

// CenterX returns the horizontal centre.
func (r Rect) CenterX() float64 { return (r.X0 + r.X1) / 2 }

// CenterY returns the vertical centre.
func (r Rect) CenterY() float64 { return (r.Y0 + r.Y1) / 2 }

// Empty reports whether r has no area.
func (r Rect) Empty() bool { return !(r.X0 < r.X1 && r.Y0 < r.Y1) }

// Union returns the smallest rectangle holding r and s.
func (r Rect) Union(s Rect) Rect {
	return Rect{min(r.X0, s.X0), min(r.Y0, s.Y0), max(r.X1, s.X1), max(r.Y1, s.Y1)}
}

// Intersect returns the overlap of r and s (possibly empty).
func (r Rect) Intersect(s Rect) Rect {
	return Rect{max(r.X0, s.X0), max(r.Y0, s.Y0), min(r.X1, s.X1), min(r.Y1, s.Y1)}
}

// Contains reports whether the point lies in r, borders included.
func (r Rect) Contains(x, y float64) bool {
	return x >= r.X0 && x <= r.X1 && y >= r.Y0 && y <= r.Y1
}

// Inset returns r grown by d on every side (shrunk when d < 0).
func (r Rect) Inset(d float64) Rect {
	return Rect{r.X0 - d, r.Y0 - d, r.X1 + d, r.Y1 + d}
}

// Transform returns the bounding box of r's corners transformed by m.
func (r Rect) Transform(m Matrix) Rect {
	x0, y0 := m.Apply(r.X0, r.Y0)
	x1, y1 := m.Apply(r.X1, r.Y0)
	x2, y2 := m.Apply(r.X0, r.Y1)
	x3, y3 := m.Apply(r.X1, r.Y1)
	return Rect{
		min(x0, x1, x2, x3), min(y0, y1, y2, y3),
		max(x0, x1, x2, x3), max(y0, y1, y2, y3),
	}
}

// Overlap1D returns the length of the overlap of [a0,a1] and [b0,b1].
func Overlap1D(a0, a1, b0, b1 float64) float64 {
	return max(0, min(a1, b1)-max(a0, b0))
}
