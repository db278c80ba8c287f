package font

import (
	"errors"
	"math"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// objects resolves nothing: test dictionaries hold their values directly.
type objects struct{}

func (objects) Resolve(o types.Object) types.Object { return o }

func (objects) StreamData(o types.Object) ([]byte, error) {
	if sd, ok := o.(types.StreamDict); ok {
		return sd.Raw, nil
	}
	return nil, errors.New("not a stream")
}

func stream(data string) types.StreamDict {
	return types.StreamDict{Dict: types.Dict{}, Raw: []byte(data)}
}

func TestGlyphText(t *testing.T) {
	tests := map[string]string{
		"A": "A", "eacute": "é", "Euro": "€", "quotedblleft": "“", "fi": "ﬁ",
		"uni0041": "A", "uni00410042": "AB", "u1F600": "😀", "a.sc": "a", "f_f_i": "ffi",
		"g123": "", ".notdef": "", "uniD800": "", "": "",
	}
	for name, want := range tests {
		if got := GlyphText(name); got != want {
			t.Errorf("GlyphText(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestEncodings(t *testing.T) {
	if winAnsiEncoding[0x80] != '€' || winAnsiEncoding[0xE9] != 'é' || winAnsiEncoding[0x93] != '“' {
		t.Errorf("WinAnsi: %q %q %q", winAnsiEncoding[0x80], winAnsiEncoding[0xE9], winAnsiEncoding[0x93])
	}
	if macRomanEncoding[0x8E] != 'é' || macRomanEncoding[0xD2] != '“' {
		t.Errorf("MacRoman: %q %q", macRomanEncoding[0x8E], macRomanEncoding[0xD2])
	}
	if standardEncoding[0x27] != '’' || standardEncoding[0xAE] != 'ﬁ' || standardEncoding[0x41] != 'A' {
		t.Errorf("Standard: %q %q %q", standardEncoding[0x27], standardEncoding[0xAE], standardEncoding[0x41])
	}
}

func TestStd14Widths(t *testing.T) {
	tests := []struct {
		font string
		r    rune
		want float64
	}{
		{"Helvetica", 'A', 667}, {"Helvetica-Bold", 'a', 556}, {"Times-Roman", 'a', 444},
		{"Courier", 'W', 600}, {"Symbol", 'α', 631}, {"ArialMT", 'A', 667}, {"ABCDEF+Arial,Bold", 'a', 556},
		{"TimesNewRomanPS-BoldMT", 'a', 500},
	}
	for _, tc := range tests {
		m := lookupStd14(tc.font)
		if m == nil {
			t.Errorf("%s: no metrics", tc.font)
			continue
		}
		if w, ok := m.widthOf(tc.r); !ok || w != tc.want {
			t.Errorf("%s %q: width %v, %v; want %v", tc.font, tc.r, w, ok, tc.want)
		}
	}
	if lookupStd14("Verdana") != nil {
		t.Error("Verdana has standard-14 metrics")
	}
}

func decode(t *testing.T, f *Font, s string) []Glyph {
	t.Helper()
	return f.Decode([]byte(s), nil)
}

func TestSimpleFontStandard14(t *testing.T) {
	f, err := Load(types.Dict{"Type": types.Name("Font"), "Subtype": types.Name("Type1"), "BaseFont": types.Name("Helvetica"), "Encoding": types.Name("WinAnsiEncoding")}, objects{})
	if err != nil {
		t.Fatal(err)
	}
	gs := decode(t, f, "A \x80")
	if len(gs) != 3 || gs[0].Text != "A" || gs[1].Text != " " || !gs[1].Space || gs[2].Text != "€" {
		t.Fatalf("glyphs %+v", gs)
	}
	if math.Abs(gs[0].Width-0.667) > 1e-9 || math.Abs(gs[1].Width-0.278) > 1e-9 || math.Abs(gs[2].Width-0.556) > 1e-9 {
		t.Errorf("widths %v %v %v", gs[0].Width, gs[1].Width, gs[2].Width)
	}
}

func TestSimpleFontDifferencesAndWidths(t *testing.T) {
	d := types.Dict{
		"Subtype":   types.Name("Type1"),
		"BaseFont":  types.Name("ABCDEF+Custom"),
		"FirstChar": types.Integer(65),
		"Widths":    types.Array{types.Integer(600), types.Float(250.5), types.Integer(700)},
		"Encoding": types.Dict{
			"BaseEncoding": types.Name("WinAnsiEncoding"),
			"Differences":  types.Array{types.Integer(65), types.Name("eacute"), types.Name("uni20AC"), types.Name("g99")},
		},
		"FontDescriptor": types.Dict{"MissingWidth": types.Integer(333), "Ascent": types.Integer(900), "Descent": types.Integer(-100), "Flags": types.Integer(32)},
	}
	f, err := Load(d, objects{})
	if err != nil {
		t.Fatal(err)
	}
	gs := decode(t, f, "ABCDZ")
	wantText := []string{"é", "€", "c", "D", "Z"}
	wantW := []float64{0.6, 0.2505, 0.7, 0.333, 0.333}
	for i, g := range gs {
		if g.Text != wantText[i] || math.Abs(g.Width-wantW[i]) > 1e-9 {
			t.Errorf("glyph %d: %q %v, want %q %v", i, g.Text, g.Width, wantText[i], wantW[i])
		}
	}
	if f.Name != "Custom" || f.Ascent != 0.9 || f.Descent != -0.1 {
		t.Errorf("name %q ascent %v descent %v", f.Name, f.Ascent, f.Descent)
	}
}

func TestToUnicodeWins(t *testing.T) {
	tu := stream("1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfchar <01> <0048> endbfchar 1 beginbfrange <02> <03> <0069> endbfrange")
	d := types.Dict{"Subtype": types.Name("TrueType"), "BaseFont": types.Name("LiberationSans"), "ToUnicode": tu,
		"FirstChar": types.Integer(1), "Widths": types.Array{types.Integer(722), types.Integer(222), types.Integer(500)},
		"FontDescriptor": types.Dict{"Flags": types.Integer(4), "FontFile2": stream("")}}
	f, err := Load(d, objects{})
	if err != nil {
		t.Fatal(err)
	}
	gs := decode(t, f, "\x01\x02\x03")
	if got := gs[0].Text + gs[1].Text + gs[2].Text; got != "Hij" {
		t.Errorf("text %q", got)
	}
	if gs[0].Width != 0.722 {
		t.Errorf("width %v", gs[0].Width)
	}
}

func TestLigatureNamesOverAToUnicodeGivingOneLetter(t *testing.T) {
	// Codes 1-5 are named f_i, fi, ffl, f_l and uni00660069 in
	// Differences. The ToUnicode maps 1 to "i" alone (a producer's slip
	// that prints "Paciic"), 2 to "ﬁ", 3 to "x"; 4 and 5 it leaves out.
	tu := stream("1 begincodespacerange <00> <FF> endcodespacerange 3 beginbfchar <01> <0069> <02> <FB01> <03> <0078> endbfchar")
	d := types.Dict{"Subtype": types.Name("Type1"), "BaseFont": types.Name("ABCDEF+MyriadPro-Regular"), "ToUnicode": tu,
		"Encoding": types.Dict{"BaseEncoding": types.Name("WinAnsiEncoding"),
			"Differences": types.Array{types.Integer(1), types.Name("f_i"), types.Name("fi"), types.Name("ffl"), types.Name("f_l"), types.Name("uni00660069")}},
		"FontDescriptor": types.Dict{"Flags": types.Integer(32), "FontFile3": stream("")}}
	f, err := Load(d, objects{})
	if err != nil {
		t.Fatal(err)
	}
	gs := decode(t, f, "P\x01\x02\x03\x04")
	want := []string{"P", "fi", "ﬁ", "x", "fl"}
	for i, g := range gs {
		if g.Text != want[i] {
			t.Errorf("glyph %d: %q, want %q", i, g.Text, want[i])
		}
	}
	// Without a ToUnicode, ligature names give their letters.
	delete(d, "ToUnicode")
	if f, err = Load(d, objects{}); err != nil {
		t.Fatal(err)
	}
	var got string
	for _, g := range decode(t, f, "\x01\x02\x03\x04\x05") {
		got += g.Text + "|"
	}
	if got != "fi|fi|ffl|fl|fi|" {
		t.Errorf("without ToUnicode: %q", got)
	}
}

func TestType0IdentityH(t *testing.T) {
	tu := stream("1 begincodespacerange <0000> <FFFF> endcodespacerange 2 beginbfchar <0024> <0041> <0003> <0020> endbfchar")
	d := types.Dict{
		"Subtype": types.Name("Type0"), "BaseFont": types.Name("XYZABC+Arial"), "Encoding": types.Name("Identity-H"),
		"ToUnicode": tu,
		"DescendantFonts": types.Array{types.Dict{
			"Subtype": types.Name("CIDFontType2"), "DW": types.Integer(1000),
			"W": types.Array{types.Integer(3), types.Array{types.Integer(278)}, types.Integer(36), types.Integer(38), types.Integer(667)},
		}},
	}
	f, err := Load(d, objects{})
	if err != nil {
		t.Fatal(err)
	}
	gs := decode(t, f, "\x00\x24\x00\x03\x00\x25\x00\x99")
	if len(gs) != 4 {
		t.Fatalf("got %d glyphs", len(gs))
	}
	if gs[0].Text != "A" || gs[1].Text != " " || gs[1].Space {
		t.Errorf("texts %q %q space=%v", gs[0].Text, gs[1].Text, gs[1].Space)
	}
	wantW := []float64{0.667, 0.278, 0.667, 1.0}
	for i, g := range gs {
		if math.Abs(g.Width-wantW[i]) > 1e-9 {
			t.Errorf("glyph %d width %v, want %v", i, g.Width, wantW[i])
		}
	}
}

func TestType1BuiltinEncoding(t *testing.T) {
	prog := "%!PS-AdobeFont-1.0: CMR10\n/Encoding 256 array\n0 1 255 {1 index exch /.notdef put} for\ndup 65 /A put\ndup 66 /ffi put\nreadonly def\ncurrentfile eexec\n\x8f\x01binary"
	ff := stream(prog)
	ff.Dict["Length1"] = types.Integer(len(prog) - 8)
	d := types.Dict{"Subtype": types.Name("Type1"), "BaseFont": types.Name("CMR10"), "FontDescriptor": types.Dict{"FontFile": ff}}
	f, _ := Load(d, objects{})
	gs := decode(t, f, "AB")
	if gs[0].Text != "A" || gs[1].Text != "ﬃ" {
		t.Errorf("texts %q %q", gs[0].Text, gs[1].Text)
	}
}

func TestType3FontMatrix(t *testing.T) {
	d := types.Dict{"Subtype": types.Name("Type3"), "FontMatrix": types.Array{types.Float(0.01), types.Integer(0), types.Integer(0), types.Float(0.01), types.Integer(0), types.Integer(0)},
		"FirstChar": types.Integer(97), "Widths": types.Array{types.Integer(50)},
		"Encoding": types.Dict{"Differences": types.Array{types.Integer(97), types.Name("a")}}}
	f, _ := Load(d, objects{})
	gs := decode(t, f, "a")
	if gs[0].Text != "a" || math.Abs(gs[0].Width-0.5) > 1e-9 {
		t.Errorf("glyph %+v", gs[0])
	}
}
