package font

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/cmap"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/lex"
)

// Resolver gives access to the objects of the document a font dictionary
// belongs to.
type Resolver interface {
	// Resolve follows indirect references; it returns nil for a missing
	// object.
	Resolve(o types.Object) types.Object
	// StreamData returns the decoded data of a stream object.
	StreamData(o types.Object) ([]byte, error)
}

// Load reads a font dictionary. Missing or broken parts fall back to
// defaults (a missing ToUnicode CMap leaves the encoding to give the text);
// the error is only for an object that is not a font dictionary.
func Load(d types.Dict, r Resolver) (*Font, error) {
	if d == nil {
		return nil, fmt.Errorf("font: not a dictionary")
	}
	f := &Font{scale: 0.001, missing: 0}
	f.Subtype = nameOf(r, d["Subtype"])
	f.Name = stripSubset(nameOf(r, d["BaseFont"]))
	f.Bold = strings.Contains(strings.ToLower(f.Name), "bold")
	if tu := r.Resolve(d["ToUnicode"]); tu != nil {
		if data, err := r.StreamData(d["ToUnicode"]); err == nil {
			if c, err := cmap.Parse(data); err == nil && !c.Empty() {
				f.toUnicode = c
			}
		} else if n, ok := tu.(types.Name); ok && strings.HasPrefix(string(n), "Identity") {
			// A ToUnicode of /Identity-H: codes are Unicode (UCS-2).
			f.unicodeCodes = true
		}
	}
	if f.Subtype == "Type0" {
		loadComposite(f, d, r)
	} else {
		loadSimple(f, d, r)
	}
	return f, nil
}

func loadComposite(f *Font, d types.Dict, r Resolver) {
	f.composite = true
	f.dw = 1000
	enc := r.Resolve(d["Encoding"])
	switch e := enc.(type) {
	case types.Name:
		f.codes = predefinedCMap(string(e), f)
	case types.StreamDict:
		if data, err := r.StreamData(d["Encoding"]); err == nil {
			if c, err := cmap.Parse(data); err == nil || c.HasCodespace() {
				if c.UseCMap != "" {
					c.Merge(predefinedCMap(c.UseCMap, f))
				} else if parent, ok := e.Dict["UseCMap"]; ok {
					if n, ok := r.Resolve(parent).(types.Name); ok {
						c.Merge(predefinedCMap(string(n), f))
					}
				}
				f.codes = c
			}
		}
	}
	if f.codes == nil {
		f.codes = cmap.Identity(false)
	}
	f.Vertical = f.codes.Vertical
	var desc types.Dict
	if a, ok := r.Resolve(d["DescendantFonts"]).(types.Array); ok && len(a) > 0 {
		desc, _ = r.Resolve(a[0]).(types.Dict)
	}
	if desc == nil {
		return
	}
	if f.Name == "" {
		f.Name = stripSubset(nameOf(r, desc["BaseFont"]))
	}
	if v, ok := number(r, desc["DW"]); ok {
		f.dw = v
	}
	f.cidWidths = parseW(r, desc["W"])
	fd, _ := r.Resolve(desc["FontDescriptor"]).(types.Dict)
	setMetrics(f, fd, r)
	// Without a ToUnicode CMap the CIDs of the Adobe character
	// collections would need their CID-to-Unicode tables, which are not
	// carried: such glyphs keep their positions but have no text.
}

// predefinedCMap returns the code structure of a predefined CMap name. The
// Unicode-keyed ones (Uni…-UCS2-…, Uni…-UTF16-…) make codes their own
// text; the others are read as two-byte codes.
func predefinedCMap(name string, f *Font) *cmap.CMap {
	vertical := strings.HasSuffix(name, "-V")
	if strings.HasPrefix(name, "Uni") && (strings.Contains(name, "UCS2") || strings.Contains(name, "UTF16")) {
		f.unicodeCodes = true
	}
	return cmap.Identity(vertical)
}

// parseW reads a CIDFont W array: "c [w1 w2 …]" and "cfirst clast w".
func parseW(r Resolver, o types.Object) map[uint32]float64 {
	a, ok := r.Resolve(o).(types.Array)
	if !ok {
		return nil
	}
	m := map[uint32]float64{}
	const maxCIDs = 1 << 17
	for i := 0; i < len(a); {
		first, ok := number(r, a[i])
		if !ok || first < 0 {
			i++
			continue
		}
		if i+1 >= len(a) {
			break
		}
		if ws, ok := r.Resolve(a[i+1]).(types.Array); ok {
			for k, w := range ws {
				if v, ok := number(r, w); ok && len(m) < maxCIDs {
					m[uint32(first)+uint32(k)] = v
				}
			}
			i += 2
			continue
		}
		if i+2 >= len(a) {
			break
		}
		last, ok1 := number(r, a[i+1])
		w, ok2 := number(r, a[i+2])
		if ok1 && ok2 && last >= first {
			for c := first; c <= last && len(m) < maxCIDs; c++ {
				m[uint32(c)] = w
			}
		}
		i += 3
	}
	return m
}

func loadSimple(f *Font, d types.Dict, r Resolver) {
	fd, _ := r.Resolve(d["FontDescriptor"]).(types.Dict)
	if f.Subtype == "Type3" {
		if m, ok := r.Resolve(d["FontMatrix"]).(types.Array); ok && len(m) >= 1 {
			if v, ok := number(r, m[0]); ok && v != 0 && !math.IsInf(v, 0) {
				f.scale = math.Abs(v)
			}
		}
	}
	if fd == nil || fd["FontFile"] == nil && fd["FontFile2"] == nil && fd["FontFile3"] == nil {
		f.std = lookupStd14(f.Name)
	}
	flags := 0
	if fd != nil {
		if v, ok := number(r, fd["Flags"]); ok {
			flags = int(v)
		}
	}
	symbolic := flags&4 != 0
	// Base encoding.
	var base *[256]rune
	var diffs types.Array
	switch e := r.Resolve(d["Encoding"]).(type) {
	case types.Name:
		base = namedEncoding(string(e))
	case types.Dict:
		if n, ok := r.Resolve(e["BaseEncoding"]).(types.Name); ok {
			base = namedEncoding(string(n))
		}
		diffs, _ = r.Resolve(e["Differences"]).(types.Array)
	}
	if base == nil {
		switch {
		case f.std != nil && (f.std.name == "Symbol" || f.std.name == "ZapfDingbats"):
			f.enc = f.std.codeRunes
		case fd != nil && fd["FontFile"] != nil:
			if enc, ok := type1Encoding(r, fd["FontFile"]); ok {
				f.enc = enc
			} else {
				f.enc = standardEncoding
			}
		case f.Subtype == "TrueType" && symbolic:
			f.directCode = true
		case f.Subtype == "TrueType":
			f.enc = winAnsiEncoding
		case f.Subtype == "Type3":
			// Type3 fonts name their glyphs in Differences.
		default:
			f.enc = standardEncoding
		}
	} else {
		f.enc = *base
	}
	if symbolic && base == nil {
		f.directCode = true
	}
	code := -1
	for _, o := range diffs {
		switch v := r.Resolve(o).(type) {
		case types.Integer:
			code = int(v)
		case types.Float:
			code = int(v)
		case types.Name:
			if code >= 0 && code < 256 {
				f.ligatures[code] = ligatureLetters(string(v))
				f.enc[code] = glyphRune(string(v))
				if f.enc[code] == 0 {
					f.names[code] = string(v)
					if t := GlyphText(string(v)); t == "" {
						f.enc[code] = guessRune(string(v))
					}
				}
			}
			code++
		}
	}
	// Widths.
	first := 0
	if v, ok := number(r, d["FirstChar"]); ok {
		first = int(v)
	}
	if ws, ok := r.Resolve(d["Widths"]).(types.Array); ok {
		for i, w := range ws {
			c := first + i
			if c < 0 || c > 255 {
				continue
			}
			if v, ok := number(r, w); ok {
				f.widths[c], f.hasWidth[c] = v, true
			}
		}
	}
	if fd != nil {
		if v, ok := number(r, fd["MissingWidth"]); ok {
			f.missing = v
		}
	}
	if f.missing == 0 && f.std == nil {
		f.missing = averageWidth(f)
	}
	setMetrics(f, fd, r)
	if f.std != nil && (fd == nil || f.Ascent == 0.8) {
		f.Ascent = float64(f.std.ascent) / 1000
		f.Descent = float64(f.std.descent) / 1000
	}
	if flags&(1<<18) != 0 {
		f.Bold = true
	}
}

// averageWidth gives unmapped codes the mean width of the font's glyphs,
// or 500 units.
func averageWidth(f *Font) float64 {
	sum, n := 0.0, 0
	for c := range f.widths {
		if f.hasWidth[c] && f.widths[c] > 0 {
			sum += f.widths[c]
			n++
		}
	}
	if n == 0 {
		return 500
	}
	return sum / float64(n)
}

// guessRune maps glyph names that some producers invent for subset fonts
// ("g65", "G65", "c65", "cid65", "glyph65" with a decimal character code)
// to that code when it is printable ASCII.
func guessRune(name string) rune {
	for _, p := range []string{"glyph", "cid", "g", "G", "c", "C"} {
		if !strings.HasPrefix(name, p) {
			continue
		}
		v := 0
		digits := name[len(p):]
		if digits == "" || len(digits) > 3 {
			return 0
		}
		for _, ch := range digits {
			if ch < '0' || ch > '9' {
				return 0
			}
			v = v*10 + int(ch-'0')
		}
		if v >= 32 && v < 127 {
			return rune(v)
		}
		return 0
	}
	return 0
}

func namedEncoding(name string) *[256]rune {
	switch name {
	case "WinAnsiEncoding":
		return &winAnsiEncoding
	case "MacRomanEncoding":
		return &macRomanEncoding
	case "StandardEncoding":
		return &standardEncoding
	}
	return nil
}

// setMetrics reads ascent and descent from a font descriptor, keeping sane
// defaults when the values are missing or zero (as some producers write).
func setMetrics(f *Font, fd types.Dict, r Resolver) {
	f.Ascent, f.Descent = 0.8, -0.2
	if fd == nil {
		return
	}
	if v, ok := number(r, fd["Ascent"]); ok && v > 300 && v < 1500 {
		f.Ascent = v / 1000
	}
	if v, ok := number(r, fd["Descent"]); ok && v < -50 && v > -600 {
		f.Descent = v / 1000
	}
	if f.composite && f.missing == 0 {
		f.missing = f.dw
	}
}

// type1Encoding reads the built-in encoding from the clear-text part of an
// embedded Type1 font program ("dup 65 /A put" entries).
func type1Encoding(r Resolver, o types.Object) ([256]rune, bool) {
	var enc [256]rune
	data, err := r.StreamData(o)
	if err != nil || len(data) == 0 {
		return enc, false
	}
	if sd, ok := r.Resolve(o).(types.StreamDict); ok {
		if v, ok := number(r, sd.Dict["Length1"]); ok && int(v) > 0 && int(v) < len(data) {
			data = data[:int(v)]
		}
	}
	i := bytes.Index(data, []byte("/Encoding"))
	if i < 0 {
		return enc, false
	}
	data = data[i+len("/Encoding"):]
	if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("StandardEncoding")) {
		return standardEncoding, true
	}
	lx := lex.New(data)
	var prev [3]lex.Token
	found := false
	for n := 0; n < 1<<14; n++ {
		t := lx.Next()
		if t.Kind == lex.EOF {
			break
		}
		if t.Kind == lex.Keyword {
			switch string(t.Bytes) {
			case "put":
				if prev[0].Kind == lex.Keyword && string(prev[0].Bytes) == "dup" &&
					prev[1].Kind == lex.Number && prev[2].Kind == lex.Name {
					c := int(prev[1].Num)
					if c >= 0 && c < 256 {
						enc[c] = glyphRune(string(prev[2].Bytes))
						found = true
					}
				}
			case "readonly", "def":
				if found {
					return enc, true
				}
			}
		}
		prev[0], prev[1], prev[2] = prev[1], prev[2], t
	}
	return enc, found
}

func nameOf(r Resolver, o types.Object) string {
	switch v := r.Resolve(o).(type) {
	case types.Name:
		return string(v)
	case types.StringLiteral:
		return string(v)
	}
	return ""
}

func number(r Resolver, o types.Object) (float64, bool) {
	switch v := r.Resolve(o).(type) {
	case types.Integer:
		return float64(v), true
	case types.Float:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, false
		}
		return f, true
	}
	return 0, false
}
