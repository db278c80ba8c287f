package font

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// GlyphText returns the Unicode text of a glyph name: an entry of the Adobe
// Glyph List, a uniXXXX[XXXX…] or uXXXX[XX] name, or a name with a suffix
// (".sc", "_alt") or ligature parts joined by '_'. It returns "" when the
// name means nothing known.
func GlyphText(name string) string {
	if name == "" {
		return ""
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		name = name[:i]
	} else if i == 0 {
		return ""
	}
	if strings.IndexByte(name, '_') > 0 {
		var sb strings.Builder
		for _, part := range strings.Split(name, "_") {
			sb.WriteString(single(part))
		}
		return sb.String()
	}
	return single(name)
}

func single(name string) string {
	i := sort.Search(len(aglEntries), func(i int) bool { return aglEntries[i].name >= name })
	if i < len(aglEntries) && aglEntries[i].name == name {
		return aglEntries[i].text
	}
	if strings.HasPrefix(name, "uni") && len(name) >= 7 && (len(name)-3)%4 == 0 {
		var sb strings.Builder
		for j := 3; j < len(name); j += 4 {
			v, err := strconv.ParseUint(name[j:j+4], 16, 32)
			if err != nil || (v >= 0xD800 && v <= 0xDFFF) {
				return ""
			}
			sb.WriteRune(rune(v))
		}
		return sb.String()
	}
	if strings.HasPrefix(name, "u") && len(name) >= 5 && len(name) <= 7 {
		v, err := strconv.ParseUint(name[1:], 16, 32)
		if err == nil && utf8.ValidRune(rune(v)) {
			return string(rune(v))
		}
	}
	return ""
}

// glyphRune returns the single rune of a glyph name, or 0.
func glyphRune(name string) rune {
	t := GlyphText(name)
	r, n := utf8.DecodeRuneInString(t)
	if n == 0 || n != len(t) || r == utf8.RuneError {
		return 0
	}
	return r
}

// ligatureLetters returns the letters of a ligature glyph name: "fi" for
// "f_i", "uni00660069" or "fi" (U+FB01, spelled out by its compatibility
// decomposition); "" for other names.
func ligatureLetters(name string) string {
	t := GlyphText(name)
	switch r, n := utf8.DecodeRuneInString(t); {
	case n < len(t):
		return t
	case r >= 0xFB00 && r <= 0xFB06:
		return norm.NFKC.String(t)
	}
	return ""
}
