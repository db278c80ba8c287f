package content

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/font"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/geom"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/limit"
)

// res is a resource set for tests: every font is Helvetica (WinAnsi) and
// forms come from a map.
type res struct {
	forms map[string]*XObject
}

func (r res) Font(string) (*font.Font, error) { return font.Default(), nil }

func (r res) XObject(name string) (*XObject, error) {
	if x, ok := r.forms[name]; ok {
		return x, nil
	}
	return nil, errors.New("no such xobject")
}

func (r res) ColorSpace(name string) (string, int) {
	if name == "Sep" {
		return "Separation", 1
	}
	return "", 0
}

// letter interprets content on a US Letter page.
func letter(t *testing.T, content string, r Resources) *Page {
	t.Helper()
	ctm, w, h := PageMatrix(geom.Rect{X1: 612, Y1: 792}, 0)
	p, err := Interpret(context.Background(), []byte(content), r, ctm, geom.Rect{X1: w, Y1: h}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func text(p *Page) string {
	var sb strings.Builder
	for _, g := range p.Glyphs {
		sb.WriteString(g.Text)
	}
	return sb.String()
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.01 }

func TestTextPositions(t *testing.T) {
	p := letter(t, "BT /F1 10 Tf 100 700 Td (AB) Tj ET", res{})
	if text(p) != "AB" {
		t.Fatalf("text %q", text(p))
	}
	a, b := p.Glyphs[0], p.Glyphs[1]
	// Display space: y = 792 - 700.
	if !near(a.X, 100) || !near(a.Y, 92) || !near(a.Size, 10) {
		t.Errorf("A at %v,%v size %v", a.X, a.Y, a.Size)
	}
	// Helvetica A is 667 units wide.
	if !near(b.X, 106.67) || !near(a.Adv, 6.67) {
		t.Errorf("B at %v, A advance %v", b.X, a.Adv)
	}
	if !near(a.Box.Y1, 92+2.07) || !near(a.Box.Y0, 92-7.18) {
		t.Errorf("A box %+v", a.Box)
	}
}

func TestTextState(t *testing.T) {
	// TJ kerning, character and word spacing, horizontal scaling, leading
	// and the ' and " operators.
	p := letter(t, `BT /F1 10 Tf 14 TL 0 700 Td [(A) -1000 (B)] TJ T* 2 Tc (C) Tj 50 Tz ( D) Tj
	 5 1 (E) " ET`, res{})
	if text(p) != "ABC DE" {
		t.Fatalf("text %q", text(p))
	}
	g := p.Glyphs
	if !near(g[1].X, 6.67+10) {
		t.Errorf("B after kerning at %v", g[1].X)
	}
	if !near(g[2].Y, 92+14) || !near(g[2].X, 0) {
		t.Errorf("C after T* at %v,%v", g[2].X, g[2].Y)
	}
	// C advance 7.22 + Tc 2; space 2.78 + 2 scaled by 0.5.
	if !near(g[3].X, 9.22) || !near(g[4].X, 9.22+(2.78+2)*0.5) {
		t.Errorf("space at %v, D at %v", g[3].X, g[4].X)
	}
	if !near(g[5].Y, 92+28) {
		t.Errorf("E after \" at y %v", g[5].Y)
	}
}

func TestGraphicsStateAndPaths(t *testing.T) {
	p := letter(t, `q 2 0 0 2 10 10 cm 0 0 m 100 0 l S Q
	0 0 m 0 50 l S
	1 w 10 100 200 0.5 re f
	10 200 100 50 re f
	1 1 1 RG 0 300 m 100 300 l S
	0 G 20 20 30 40 re S
	10 400 m 50 420 80 420 100 400 c S`, res{})
	want := []Segment{
		{X0: 10, Y0: 782, X1: 210, Y1: 782, Width: 2},
		{X0: 0, Y0: 742, X1: 0, Y1: 792, Width: 1},
		{X0: 10, Y0: 691.75, X1: 210, Y1: 691.75, Width: 0.5},
		{X0: 20, Y0: 772, X1: 50, Y1: 772, Width: 1},
		{X0: 50, Y0: 732, X1: 50, Y1: 772, Width: 1},
		{X0: 20, Y0: 732, X1: 50, Y1: 732, Width: 1},
		{X0: 20, Y0: 732, X1: 20, Y1: 772, Width: 1},
	}
	if len(p.Segments) != len(want) {
		t.Fatalf("segments %+v", p.Segments)
	}
	for i, s := range p.Segments {
		w := want[i]
		if !near(s.X0, w.X0) || !near(s.Y0, w.Y0) || !near(s.X1, w.X1) || !near(s.Y1, w.Y1) || !near(s.Width, w.Width) {
			t.Errorf("segment %d: %+v, want %+v", i, s, w)
		}
	}
	if len(p.Fills) != 1 || p.Fills[0] != (geom.Rect{X0: 10, Y0: 542, X1: 110, Y1: 592}) {
		t.Errorf("fills %+v", p.Fills)
	}
}

func TestInvisibleAndClipped(t *testing.T) {
	p := letter(t, `1 g 0 0 100 1 re f 0 g
	/Sep cs 0 sc 0 10 100 1 re f 1 sc 0 20 100 1 re f
	0 0 1 0 k 0 30 100 1 re f
	0 0 0 0 k 0 40 100 1 re f
	q 0 0 50 50 re W n BT /F1 10 Tf 10 10 Td (in) Tj 100 0 Td (out) Tj ET 60 5 m 70 5 l S Q
	BT /F1 10 Tf 300 300 Td (after) Tj ET`, res{})
	if len(p.Segments) != 2 {
		t.Errorf("want the tinted and the cyan line only, got %+v", p.Segments)
	}
	if text(p) != "inafter" {
		t.Errorf("text %q", text(p))
	}
}

func TestFormXObjectAndInlineImage(t *testing.T) {
	form := &XObject{Form: true, ID: 7, Matrix: geom.Matrix{1, 0, 0, 1, 100, 100}, BBox: geom.Rect{X1: 50, Y1: 50},
		Content: []byte("BT /F1 10 Tf 0 0 Td (F) Tj 100 0 Td (X) Tj ET /Self Do")}
	r := res{forms: map[string]*XObject{"Fm": form}}
	form.Resources = res{forms: map[string]*XObject{"Self": form}}
	p := letter(t, "BI /W 4 /H 1 /BPC 8 /CS /G ID \x01\x02EI\x03 EI /Fm Do BT /F1 10 Tf (Y) Tj ET /Missing Do", r)
	if text(p) != "FY" {
		t.Fatalf("text %q", text(p))
	}
	if !near(p.Glyphs[0].X, 100) || !near(p.Glyphs[0].Y, 692) {
		t.Errorf("form glyph at %v,%v", p.Glyphs[0].X, p.Glyphs[0].Y)
	}
}

func TestRotation(t *testing.T) {
	ctm, w, h := PageMatrix(geom.Rect{X1: 612, Y1: 792}, 90)
	if w != 792 || h != 612 {
		t.Fatalf("rotated size %vx%v", w, h)
	}
	p, err := Interpret(context.Background(), []byte("BT /F1 10 Tf 100 700 Td (A) Tj ET"), res{}, ctm, geom.Rect{X1: w, Y1: h}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	g := p.Glyphs[0]
	// Rotating the page clockwise puts user (100, 700), 92 below the top,
	// at (792-92, 100), and
	// the text runs down the display.
	if !near(g.X, 700) || !near(g.Y, 100) || g.Dir != 1 {
		t.Errorf("glyph at %v,%v dir %d", g.X, g.Y, g.Dir)
	}
}

func TestLimits(t *testing.T) {
	ctm, w, h := PageMatrix(geom.Rect{X1: 612, Y1: 792}, 0)
	clip := geom.Rect{X1: w, Y1: h}
	_, err := Interpret(context.Background(), []byte(strings.Repeat("q ", 100)), res{}, ctm, clip, Limits{MaxDepth: 10})
	var le *limit.Error
	if !errors.As(err, &le) || le.Name != "MaxDepth" {
		t.Errorf("deep q: %v", err)
	}
	forms := map[string]*XObject{}
	for i := 0; i < 20; i++ {
		forms[string(rune('a'+i))] = &XObject{Form: true, ID: i + 1, Matrix: geom.Identity, Content: []byte("/" + string(rune('a'+i+1)) + " Do")}
	}
	_, err = Interpret(context.Background(), []byte("/a Do"), res{forms: forms}, ctm, clip, Limits{MaxDepth: 8})
	if !errors.As(err, &le) || le.Name != "MaxDepth" {
		t.Errorf("deep forms: %v", err)
	}
	_, err = Interpret(context.Background(), []byte(strings.Repeat("0 0 m 10 0 l S ", 100)), res{}, ctm, clip, Limits{MaxItems: 50})
	if !errors.As(err, &le) || le.Name != "MaxItems" {
		t.Errorf("items: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	_, err = Interpret(ctx, []byte(strings.Repeat("1 0 0 1 0 0 cm ", 1000)), res{}, ctm, clip, Limits{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: %v", err)
	}
}

func TestMalformedStreams(t *testing.T) {
	for _, s := range []string{
		"BT /F1 Tf (x) Tj ET", "Tj TJ ' \" cm re m l", "[ (a) 1 ] ] >> << /K [ 1 2 ] >> BDC EMC",
		"BT 1 2 3 4 5 6 Tm [(a) (b) /N] TJ (unterminated", "q Q Q Q 1 0 0 0 0 0 cm (x) Tj",
		"BT /F1 1e308 Tf 1e308 1e308 Td (x) Tj ET", "BI /W 1 ID", "0 0 m 1 1 l W* n q",
	} {
		letter(t, s, res{})
	}
}
