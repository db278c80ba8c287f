package content

import (
	"math"
	"strings"
	"unicode"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/font"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/geom"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/lex"
)

func (in *interp) setFont(res Resources) {
	if len(in.operands) < 2 {
		return
	}
	nameOp, sizeOp := in.operands[len(in.operands)-2], in.operands[len(in.operands)-1]
	if sizeOp.kind != lex.Number || math.IsNaN(sizeOp.num) || math.IsInf(sizeOp.num, 0) {
		return
	}
	in.gs.fontSize = sizeOp.num
	if nameOp.kind != lex.Name {
		return
	}
	name := string(nameOp.b)
	form := 0
	if len(in.forms) > 0 {
		form = in.forms[len(in.forms)-1]
	}
	cacheable := form != 0 || in.depth == 0
	k := fontKey{form: form, name: name}
	if f, ok := in.fonts[k]; ok && cacheable {
		in.gs.font = f
		return
	}
	var f *font.Font
	if res != nil {
		f, _ = res.Font(name)
	}
	if f == nil {
		f = font.Default()
	}
	if cacheable {
		in.fonts[k] = f
	}
	in.gs.font = f
}

func (in *interp) textState(op string) {
	v, ok := in.nums(1)
	if !ok {
		return
	}
	switch op {
	case "Tc":
		in.gs.charSpace = v[0]
	case "Tw":
		in.gs.wordSpace = v[0]
	case "Tz":
		in.gs.hscale = v[0] / 100
	case "TL":
		in.gs.leading = v[0]
	case "Ts":
		in.gs.rise = v[0]
	case "Tr":
		in.gs.renderMode = int(v[0])
	}
}

func (in *interp) textMove(op string) {
	in.placed++
	switch op {
	case "Td", "TD":
		v, ok := in.nums(2)
		if !ok {
			return
		}
		if op == "TD" {
			in.gs.leading = -v[1]
		}
		in.tlm = geom.Translate(v[0], v[1]).Mul(in.tlm)
		in.tm = in.tlm
	case "Tm":
		v, ok := in.nums(6)
		if !ok {
			return
		}
		m := geom.Matrix{v[0], v[1], v[2], v[3], v[4], v[5]}
		if m.Finite() {
			in.tm, in.tlm = m, m
		}
	case "T*":
		in.nextLine()
	}
}

func (in *interp) nextLine() {
	in.placed++
	in.tlm = geom.Translate(0, -in.gs.leading).Mul(in.tlm)
	in.tm = in.tlm
}

func (in *interp) show(op string) error {
	if len(in.operands) == 0 {
		return nil
	}
	last := in.operands[len(in.operands)-1]
	switch op {
	case "Tj":
		if last.kind == lex.String {
			in.showString(last.b)
		}
	case "'":
		in.nextLine()
		if last.kind == lex.String {
			in.showString(last.b)
		}
	case "\"":
		if v, ok := in.numsBefore(2); ok {
			in.gs.wordSpace, in.gs.charSpace = v[0], v[1]
		}
		in.nextLine()
		if last.kind == lex.String {
			in.showString(last.b)
		}
	case "TJ":
		if last.kind != lex.ArrayOpen {
			return nil
		}
		for _, e := range last.arr {
			switch e.kind {
			case lex.String:
				in.showString(e.b)
			case lex.Number:
				if math.IsNaN(e.num) || math.IsInf(e.num, 0) {
					continue
				}
				tx := -e.num / 1000 * in.gs.fontSize * in.gs.hscale
				if in.gs.font != nil && in.gs.font.Vertical {
					in.tm = geom.Translate(0, -e.num/1000*in.gs.fontSize).Mul(in.tm)
				} else {
					in.tm = geom.Translate(tx, 0).Mul(in.tm)
				}
			}
		}
	}
	return in.checkItems()
}

// numsBefore returns the n numbers before the last operand (for ").
func (in *interp) numsBefore(n int) ([]float64, bool) {
	if len(in.operands) < n+1 {
		return nil, false
	}
	ops := in.operands[len(in.operands)-n-1 : len(in.operands)-1]
	out := make([]float64, n)
	for i, o := range ops {
		if o.kind != lex.Number {
			return nil, false
		}
		out[i] = o.num
	}
	return out, true
}

// showString positions each glyph of s and advances the text matrix.
func (in *interp) showString(s []byte) {
	f := in.gs.font
	if f == nil {
		f = font.Default()
		in.gs.font = f
	}
	in.glyphs = f.Decode(s, in.glyphs[:0])
	fs := in.gs.fontSize
	th := in.gs.hscale
	// Text rendering matrix without the per-glyph translation.
	params := geom.Matrix{fs * th, 0, 0, fs, 0, in.gs.rise}
	for _, g := range in.glyphs {
		trm := params.Mul(in.tm).Mul(in.gs.ctm)
		var adv float64
		if f.Vertical {
			adv = -(fs + in.gs.charSpace)
			if g.Space {
				adv -= in.gs.wordSpace
			}
		} else {
			adv = g.Width*fs + in.gs.charSpace
			if g.Space {
				adv += in.gs.wordSpace
			}
			adv *= th
		}
		if g.Text != "" && in.gs.renderMode != 7 {
			in.emit(g, trm, f)
		}
		if f.Vertical {
			in.tm = geom.Translate(0, adv).Mul(in.tm)
		} else {
			in.tm = geom.Translate(adv, 0).Mul(in.tm)
		}
	}
}

// emit records one glyph drawn with the text rendering matrix trm.
func (in *interp) emit(g font.Glyph, trm geom.Matrix, f *font.Font) {
	w := g.Width
	if f.Vertical {
		w = 1
	}
	box := geom.Rect{X0: 0, Y0: f.Descent, X1: w, Y1: f.Ascent}.Transform(trm)
	if !trm.Finite() {
		return
	}
	ox, oy := trm.Apply(0, 0)
	cx, cy := box.CenterX(), box.CenterY()
	if !in.gs.clip.Inset(1).Contains(cx, cy) {
		return
	}
	size := math.Hypot(trm[2], trm[3])
	if size == 0 || math.IsNaN(size) {
		return
	}
	var dir uint8
	if math.Abs(trm[0]) >= math.Abs(trm[1]) {
		if trm[0] < 0 {
			dir = 2
		}
	} else if trm[1] > 0 {
		dir = 1
	} else {
		dir = 3
	}
	text := g.Text
	space := strings.TrimFunc(text, unicode.IsSpace) == ""
	if !space && !isPrintable(text) {
		return
	}
	in.page.Glyphs = append(in.page.Glyphs, Glyph{
		Text:  text,
		X:     ox,
		Y:     oy,
		Box:   box,
		Size:  size,
		Adv:   w * math.Hypot(trm[0], trm[1]),
		Dir:   dir,
		Space: space,
		Bold:  f.Bold,
		Run:   in.placed,
	})
}

// isPrintable reports whether text holds something other than control
// characters.
func isPrintable(text string) bool {
	for _, r := range text {
		if !unicode.IsControl(r) && r != unicode.ReplacementChar {
			return true
		}
	}
	return false
}
