// Package font turns the bytes of PDF text-showing operators into glyphs:
// character codes with their Unicode text and advance widths. It reads
// simple fonts (Type1, TrueType, Type3, with StandardEncoding,
// WinAnsiEncoding, MacRomanEncoding, Differences and built-in encodings of
// embedded Type1 programs), composite Type0 fonts with Identity and
// embedded CMaps, ToUnicode CMaps, the Adobe Glyph List, Widths and W
// arrays, and the metrics of the standard-14 fonts.
package font

import (
	"strings"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/cmap"
)

// Glyph is one character code of a shown string.
type Glyph struct {
	// Code is the character code.
	Code uint32
	// Text is the Unicode text of the glyph; empty when unknown.
	Text string
	// Width is the horizontal advance in text space units before scaling
	// by the font size (a 500-unit glyph of a 1000-unit font gives 0.5).
	Width float64
	// Space reports a single-byte code 32, to which word spacing applies.
	Space bool
}

// Font is a loaded font. It is safe for concurrent use once loaded.
type Font struct {
	// Name is the base font name without a subset tag.
	Name string
	// Subtype is Type1, TrueType, Type3, Type0, MMType1 or CIDFontType*.
	Subtype string
	// Ascent and Descent are the glyph extent above and below the baseline
	// in text space units (positive and negative, like 0.8 and -0.2).
	Ascent, Descent float64
	// Vertical reports a composite font with vertical writing mode.
	Vertical bool
	// Bold reports a bold weight by name or descriptor flags.
	Bold bool

	composite bool
	codes     *cmap.CMap // composite fonts: code lengths and CIDs
	toUnicode *cmap.CMap
	// unicodeCodes reports composite encodings whose codes are Unicode
	// (the predefined Uni…-UCS2 and Uni…-UTF16 CMaps).
	unicodeCodes bool

	enc        [256]rune
	names      [256]string // Differences names with no Unicode mapping
	ligatures  [256]string // letters of Differences names that are ligatures ("f_i", "fi")
	widths     [256]float64
	hasWidth   [256]bool
	cidWidths  map[uint32]float64
	dw         float64
	missing    float64
	scale      float64 // glyph space to text space, 0.001 except for Type3
	std        *std14Metrics
	directCode bool // unmapped codes of symbolic fonts read as Latin-1
}

// Decode splits s into glyphs, appending them to dst.
func (f *Font) Decode(s []byte, dst []Glyph) []Glyph {
	if f.composite {
		for len(s) > 0 {
			code, n := f.codes.Next(s)
			if n <= 0 {
				break
			}
			s = s[n:]
			dst = append(dst, Glyph{
				Code:  code,
				Text:  f.compositeText(code, n),
				Width: f.compositeWidth(code, n),
				Space: n == 1 && code == 32,
			})
		}
		return dst
	}
	for _, b := range s {
		dst = append(dst, Glyph{
			Code:  uint32(b),
			Text:  f.simpleText(b),
			Width: f.simpleWidth(b),
			Space: b == 32,
		})
	}
	return dst
}

func (f *Font) simpleText(b byte) string {
	if f.toUnicode != nil {
		if s, ok := f.toUnicode.Unicode(uint32(b), 1); ok {
			if lig := f.ligatures[b]; partOf(s, lig) {
				return lig
			}
			return s
		}
	}
	if lig := f.ligatures[b]; lig != "" {
		return lig
	}
	if r := f.enc[b]; r != 0 {
		return string(r)
	}
	if n := f.names[b]; n != "" {
		return ""
	}
	if f.directCode && b >= 32 {
		return string(rune(b))
	}
	return ""
}

// partOf reports that the ToUnicode text s of a ligature glyph is one of
// its letters only ("i" for f_i): a producer's slip that would print
// "Paciic" for "Pacific". The glyph's name says what is drawn.
func partOf(s, lig string) bool {
	return lig != "" && s != "" && len(s) < len(lig) && strings.Contains(lig, s)
}

func (f *Font) simpleWidth(b byte) float64 {
	if f.hasWidth[b] {
		return f.widths[b] * f.scale
	}
	if f.std != nil {
		if r := f.enc[b]; r != 0 {
			if w, ok := f.std.widthOf(r); ok {
				return w / 1000
			}
		}
		if w := f.std.codeWidths[b]; w != 0 {
			return float64(w) / 1000
		}
	}
	return f.missing * f.scale
}

func (f *Font) compositeText(code uint32, n int) string {
	if f.toUnicode != nil {
		if s, ok := f.toUnicode.Unicode(code, n); ok {
			return s
		}
	}
	if f.codes != nil {
		if s, ok := f.codes.Unicode(code, n); ok {
			return s
		}
	}
	if f.unicodeCodes && code < 0x110000 && (code < 0xD800 || code > 0xDFFF) {
		return string(rune(code))
	}
	return ""
}

func (f *Font) compositeWidth(code uint32, n int) float64 {
	cid, ok := f.codes.CID(code, n)
	if !ok {
		return f.dw * f.scale
	}
	if w, ok := f.cidWidths[cid]; ok {
		return w * f.scale
	}
	return f.dw * f.scale
}

// Default returns a font used when a content stream names a font that
// cannot be loaded: Helvetica metrics and WinAnsi text, so that the text
// still takes space and is readable when the codes are Latin.
func Default() *Font {
	f := &Font{Name: "Helvetica", Subtype: "Type1", scale: 0.001, missing: 500, Ascent: 0.718, Descent: -0.207}
	f.enc = winAnsiEncoding
	f.std = lookupStd14("Helvetica")
	return f
}
