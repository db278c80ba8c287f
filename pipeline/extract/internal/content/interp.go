package content

import (
	"context"
	"fmt"
	"math"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/font"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/geom"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/lex"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/limit"
)

// operand is one operand of an operator.
type operand struct {
	kind lex.Kind // Number, Name, String, ArrayOpen (array), DictOpen (skipped dict), Keyword (true/false/null)
	num  float64
	b    []byte
	arr  []operand
}

// gstate is the part of the graphics state the interpreter tracks.
type gstate struct {
	ctm           geom.Matrix
	clip          geom.Rect
	lineWidth     float64
	strokeVisible bool
	fillVisible   bool
	strokeCS      colorSpace
	fillCS        colorSpace

	font       *font.Font
	fontSize   float64
	charSpace  float64
	wordSpace  float64
	hscale     float64
	leading    float64
	rise       float64
	renderMode int
}

type interp struct {
	ctx   context.Context
	lim   Limits
	page  *Page
	gs    gstate
	stack []gstate
	depth int // form nesting
	forms []int
	ops   int

	tm, tlm geom.Matrix
	placed  uint32 // see Glyph.Run

	path     []subpath
	cur      *subpath
	pendClip bool

	operands []operand
	glyphs   []font.Glyph
	fonts    map[fontKey]*font.Font
}

// fontKey identifies a font resource: the form whose resources name it
// (0 for the page) and its name.
type fontKey struct {
	form int
	name string
}

// Interpret runs a page content stream. ctm maps user space to display
// space (see PageMatrix) and clip is the visible area in display space.
// A damaged stream yields what could be read before the damage; an error
// is returned only for exceeded limits and cancellation.
func Interpret(ctx context.Context, data []byte, res Resources, ctm geom.Matrix, clip geom.Rect, lim Limits) (*Page, error) {
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = 256
	}
	if lim.MaxItems <= 0 {
		lim.MaxItems = 2_000_000
	}
	in := &interp{
		ctx:   ctx,
		lim:   lim,
		page:  &Page{Width: clip.Width(), Height: clip.Height()},
		fonts: map[fontKey]*font.Font{},
	}
	// Room for the glyphs of a page of text, guessed from the size of
	// its content (some eight bytes a glyph) and bounded: growing the slice
	// of large glyphs by doubling copies each many times.
	in.page.Glyphs = make([]Glyph, 0, min(len(data)/8, maxGlyphGuess, lim.MaxItems))
	in.gs = gstate{
		ctm: ctm, clip: clip, lineWidth: 1, hscale: 1,
		strokeVisible: true, fillVisible: true,
		strokeCS: csGray, fillCS: csGray,
	}
	err := in.run(data, res)
	return in.page, err
}

// maxGlyphGuess bounds the glyphs Interpret makes room for at the start.
const maxGlyphGuess = 1 << 14

func (in *interp) items() int {
	return len(in.page.Glyphs) + len(in.page.Segments) + len(in.page.Fills)
}

func (in *interp) checkItems() error {
	if in.items() > in.lim.MaxItems {
		return &limit.Error{Name: "MaxItems", Max: int64(in.lim.MaxItems), What: "glyphs and lines on one page"}
	}
	return nil
}

// run interprets one content stream (the page's or a form's).
func (in *interp) run(data []byte, res Resources) error {
	lx := lex.New(data)
	in.operands = in.operands[:0]
	baseStack := len(in.stack)
	defer func() {
		// Unbalanced q inside a form or page must not leak out of it.
		if len(in.stack) > baseStack {
			in.gs = in.stack[baseStack]
			in.stack = in.stack[:baseStack]
		}
	}()
	for {
		t := lx.Next()
		switch t.Kind {
		case lex.EOF:
			return nil
		case lex.Number:
			in.push(operand{kind: lex.Number, num: t.Num})
		case lex.Name, lex.String:
			in.push(operand{kind: t.Kind, b: t.Bytes})
		case lex.ArrayOpen:
			in.push(readArray(lx, 0))
		case lex.DictOpen:
			skipDict(lx, 0)
			in.push(operand{kind: lex.DictOpen})
		case lex.ArrayClose, lex.DictClose, lex.ProcOpen, lex.ProcClose:
			// Stray brackets are ignored.
		case lex.Keyword:
			op := string(t.Bytes)
			switch op {
			case "true", "false", "null":
				in.push(operand{kind: lex.Keyword, b: t.Bytes})
				continue
			case "BI":
				skipInlineImage(lx)
				in.operands = in.operands[:0]
				continue
			}
			in.ops++
			if in.ops&255 == 0 {
				if err := in.ctx.Err(); err != nil {
					return fmt.Errorf("content stream: %w", context.Cause(in.ctx))
				}
			}
			if err := in.do(op, res); err != nil {
				return err
			}
			in.operands = in.operands[:0]
		}
	}
}

// push adds an operand, keeping at most a bounded number (no operator
// takes more than a few; a stream of numbers without operator must not
// grow memory).
func (in *interp) push(o operand) {
	if len(in.operands) >= 64 {
		copy(in.operands, in.operands[1:])
		in.operands = in.operands[:63]
	}
	in.operands = append(in.operands, o)
}

func readArray(lx *lex.Lexer, depth int) operand {
	arr := operand{kind: lex.ArrayOpen}
	for {
		t := lx.Next()
		switch t.Kind {
		case lex.EOF, lex.ArrayClose:
			return arr
		case lex.Number:
			arr.arr = append(arr.arr, operand{kind: lex.Number, num: t.Num})
		case lex.Name, lex.String:
			arr.arr = append(arr.arr, operand{kind: t.Kind, b: t.Bytes})
		case lex.ArrayOpen:
			if depth < 8 {
				arr.arr = append(arr.arr, readArray(lx, depth+1))
			} else {
				readArray(lx, depth+1)
			}
		case lex.DictOpen:
			skipDict(lx, depth+1)
		case lex.Keyword:
			// Operators inside an array mean the array was not closed;
			// keep the keyword out and end the array.
			if len(t.Bytes) > 0 && (t.Bytes[0] < 'a' || t.Bytes[0] > 'z') {
				return arr
			}
		}
		if len(arr.arr) > 1<<16 {
			return arr
		}
	}
}

func skipDict(lx *lex.Lexer, depth int) {
	for {
		t := lx.Next()
		switch t.Kind {
		case lex.EOF, lex.DictClose:
			return
		case lex.DictOpen:
			if depth > 32 {
				return
			}
			skipDict(lx, depth+1)
		case lex.ArrayOpen:
			readArray(lx, depth+1)
		}
	}
}

// skipInlineImage reads the image dictionary after BI up to ID and skips
// the data up to EI.
func skipInlineImage(lx *lex.Lexer) {
	length := 0
	var lastName string
	for {
		t := lx.Next()
		switch t.Kind {
		case lex.EOF:
			return
		case lex.Name:
			lastName = string(t.Bytes)
			continue
		case lex.Number:
			if lastName == "L" || lastName == "Length" {
				length = int(t.Num)
			}
		case lex.ArrayOpen:
			readArray(lx, 0)
		case lex.DictOpen:
			skipDict(lx, 0)
		case lex.Keyword:
			if string(t.Bytes) == "ID" {
				lx.SkipInlineImage(length)
				return
			}
			if string(t.Bytes) == "EI" {
				return
			}
		}
		lastName = ""
	}
}

// nums returns the last n operands as numbers, or false when there are
// fewer or they are not all numbers.
func (in *interp) nums(n int) ([]float64, bool) {
	if len(in.operands) < n {
		return nil, false
	}
	var buf [6]float64
	out := buf[:0]
	if n > len(buf) {
		out = make([]float64, 0, n)
	}
	for _, o := range in.operands[len(in.operands)-n:] {
		if o.kind != lex.Number || math.IsNaN(o.num) || math.IsInf(o.num, 0) {
			return nil, false
		}
		out = append(out, o.num)
	}
	return out, true
}

func (in *interp) lastName() (string, bool) {
	if len(in.operands) == 0 {
		return "", false
	}
	o := in.operands[len(in.operands)-1]
	if o.kind != lex.Name {
		return "", false
	}
	return string(o.b), true
}

func (in *interp) do(op string, res Resources) error {
	switch op {
	// Graphics state.
	case "q":
		if len(in.stack)+in.depth >= in.lim.MaxDepth {
			return &limit.Error{Name: "MaxDepth", Max: int64(in.lim.MaxDepth), What: "q nesting in a content stream"}
		}
		in.stack = append(in.stack, in.gs)
	case "Q":
		if len(in.stack) > 0 {
			in.gs = in.stack[len(in.stack)-1]
			in.stack = in.stack[:len(in.stack)-1]
		}
	case "cm":
		if v, ok := in.nums(6); ok {
			m := geom.Matrix{v[0], v[1], v[2], v[3], v[4], v[5]}.Mul(in.gs.ctm)
			if m.Finite() {
				in.gs.ctm = m
			}
		}
	case "w":
		if v, ok := in.nums(1); ok {
			in.gs.lineWidth = math.Abs(v[0])
		}
	// Paths.
	case "m", "l", "c", "v", "y", "re", "h":
		in.pathOp(op)
	case "S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "n":
		return in.paint(op)
	case "W", "W*":
		in.pendClip = true
	// Colour.
	case "g", "G", "rg", "RG", "k", "K", "cs", "CS", "sc", "scn", "SC", "SCN":
		in.color(op, res)
	// Text.
	case "BT":
		in.tm, in.tlm = geom.Identity, geom.Identity
		in.placed++
	case "ET":
	case "Tf":
		in.setFont(res)
	case "Tc", "Tw", "Tz", "TL", "Ts", "Tr":
		in.textState(op)
	case "Td", "TD", "Tm", "T*":
		in.textMove(op)
	case "Tj", "TJ", "'", "\"":
		return in.show(op)
	// External objects.
	case "Do":
		return in.doXObject(res)
	}
	return nil
}

// doXObject draws a Form XObject.
func (in *interp) doXObject(res Resources) error {
	name, ok := in.lastName()
	if !ok || res == nil {
		return nil
	}
	x, err := res.XObject(name)
	if err != nil {
		var le *limit.Error
		if asLimit(err, &le) {
			return err
		}
		return nil // a missing or broken XObject draws nothing
	}
	if x == nil || !x.Form {
		return nil
	}
	for _, id := range in.forms {
		if id == x.ID && id != 0 {
			return nil // a form that draws itself would never end
		}
	}
	if in.depth+len(in.stack) >= in.lim.MaxDepth {
		return &limit.Error{Name: "MaxDepth", Max: int64(in.lim.MaxDepth), What: "Form XObject nesting"}
	}
	saved := in.gs
	savedOps := in.operands
	savedTm, savedTlm := in.tm, in.tlm
	savedPath := in.path
	in.operands = nil
	in.path = nil
	in.cur = nil
	in.depth++
	in.forms = append(in.forms, x.ID)
	m := x.Matrix
	if !m.Finite() || m == (geom.Matrix{}) {
		m = geom.Identity
	}
	in.gs.ctm = m.Mul(in.gs.ctm)
	if !x.BBox.Empty() {
		in.gs.clip = in.gs.clip.Intersect(x.BBox.Transform(in.gs.ctm))
	}
	fres := x.Resources
	if fres == nil {
		fres = res
	}
	err = in.run(x.Content, fres)
	in.forms = in.forms[:len(in.forms)-1]
	in.depth--
	in.gs = saved
	in.operands = savedOps
	in.tm, in.tlm = savedTm, savedTlm
	in.path, in.cur = savedPath, nil
	return err
}
