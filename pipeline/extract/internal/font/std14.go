package font

import (
	"sort"
	"strings"
)

// std14Metrics holds what text extraction needs of one standard-14 font.
type std14Metrics struct {
	name            string
	ascent, descent int
	// codeWidths and codeRunes describe the font's built-in encoding.
	codeWidths [256]uint16
	codeRunes  [256]rune
	// runes (sorted) and widths give the advance of each glyph by Unicode.
	runes  []rune
	widths []uint16
}

// widthOf returns the advance of r in glyph units (1/1000 em), or false.
func (m *std14Metrics) widthOf(r rune) (float64, bool) {
	i := sort.Search(len(m.runes), func(i int) bool { return m.runes[i] >= r })
	if i < len(m.runes) && m.runes[i] == r {
		return float64(m.widths[i]), true
	}
	return 0, false
}

// std14Aliases maps the names under which PDF producers refer to the
// standard-14 fonts (and their common metric-compatible substitutes) to the
// canonical name. Keys are lower-case with spaces, hyphens and commas removed.
var std14Aliases = map[string]string{
	"courier":                     "Courier",
	"couriernew":                  "Courier",
	"couriernewpsmt":              "Courier",
	"courierbold":                 "Courier-Bold",
	"couriernewbold":              "Courier-Bold",
	"couriernewpsboldmt":          "Courier-Bold",
	"courieroblique":              "Courier-Oblique",
	"courieritalic":               "Courier-Oblique",
	"couriernewitalic":            "Courier-Oblique",
	"couriernewpsitalicmt":        "Courier-Oblique",
	"courierboldoblique":          "Courier-BoldOblique",
	"courierbolditalic":           "Courier-BoldOblique",
	"couriernewbolditalic":        "Courier-BoldOblique",
	"couriernewpsbolditalicmt":    "Courier-BoldOblique",
	"helvetica":                   "Helvetica",
	"arial":                       "Helvetica",
	"arialmt":                     "Helvetica",
	"liberationsans":              "Helvetica",
	"helveticabold":               "Helvetica-Bold",
	"arialbold":                   "Helvetica-Bold",
	"arialboldmt":                 "Helvetica-Bold",
	"liberationsansbold":          "Helvetica-Bold",
	"helveticaoblique":            "Helvetica-Oblique",
	"helveticaitalic":             "Helvetica-Oblique",
	"arialitalic":                 "Helvetica-Oblique",
	"arialitalicmt":               "Helvetica-Oblique",
	"liberationsansitalic":        "Helvetica-Oblique",
	"helveticaboldoblique":        "Helvetica-BoldOblique",
	"helveticabolditalic":         "Helvetica-BoldOblique",
	"arialbolditalic":             "Helvetica-BoldOblique",
	"arialbolditalicmt":           "Helvetica-BoldOblique",
	"liberationsansbolditalic":    "Helvetica-BoldOblique",
	"timesroman":                  "Times-Roman",
	"times":                       "Times-Roman",
	"timesnewroman":               "Times-Roman",
	"timesnewromanps":             "Times-Roman",
	"timesnewromanpsmt":           "Times-Roman",
	"liberationserif":             "Times-Roman",
	"timesbold":                   "Times-Bold",
	"timesnewromanbold":           "Times-Bold",
	"timesnewromanpsboldmt":       "Times-Bold",
	"liberationserifbold":         "Times-Bold",
	"timesitalic":                 "Times-Italic",
	"timesnewromanitalic":         "Times-Italic",
	"timesnewromanpsitalicmt":     "Times-Italic",
	"liberationserifitalic":       "Times-Italic",
	"timesbolditalic":             "Times-BoldItalic",
	"timesnewromanbolditalic":     "Times-BoldItalic",
	"timesnewromanpsbolditalicmt": "Times-BoldItalic",
	"liberationserifbolditalic":   "Times-BoldItalic",
	"symbol":                      "Symbol",
	"symbolmt":                    "Symbol",
	"zapfdingbats":                "ZapfDingbats",
}

// stripSubset removes a subset tag ("ABCDEF+") from a base font name.
func stripSubset(name string) string {
	if len(name) > 7 && name[6] == '+' {
		for i := 0; i < 6; i++ {
			if name[i] < 'A' || name[i] > 'Z' {
				return name
			}
		}
		return name[7:]
	}
	return name
}

// lookupStd14 returns the metrics of the standard-14 font that base names
// (or that it is a common substitute for), or nil.
func lookupStd14(base string) *std14Metrics {
	key := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', ',', '_':
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, stripSubset(base))
	canon, ok := std14Aliases[key]
	if !ok {
		return nil
	}
	for i := range std14Fonts {
		if std14Fonts[i].name == canon {
			return &std14Fonts[i]
		}
	}
	return nil
}
