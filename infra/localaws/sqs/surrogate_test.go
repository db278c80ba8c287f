package sqs

import (
	"encoding/json"
	"fmt"
	"testing"
	"unicode/utf16"
)

// FuzzHasLoneSurrogate checks the scanner against encoding/json: text Go
// encodes has no escaped surrogates at all; a pair Go would write for a
// rune past U+FFFF passes, and either half alone does not, wherever it
// sits in the text.
func FuzzHasLoneSurrogate(f *testing.F) {
	f.Add("plain", rune(0x1F600), 0)
	f.Add(`back\slash "quote"`, rune(0x10000), 3)
	f.Add("", rune(0x10FFFF), 0)
	f.Fuzz(func(t *testing.T, s string, r rune, at int) {
		enc, _ := json.Marshal(s)
		if hasLoneSurrogate(enc) {
			t.Fatalf("%s: a lone surrogate in text encoding/json wrote", enc)
		}
		if r < 0x10000 || r > 0x10FFFF {
			return
		}
		hi, lo := utf16.EncodeRune(r)
		inner := string(enc[1 : len(enc)-1])
		// Insert at a boundary outside any escape: the start or the end.
		pair := fmt.Sprintf(`\u%04x\u%04X`, hi, lo)
		if at%2 == 1 {
			pair = fmt.Sprintf(`\u%04X\u%04x`, hi, lo)
		}
		for _, text := range []string{`"` + pair + inner + `"`, `"` + inner + pair + `"`} {
			if hasLoneSurrogate([]byte(text)) {
				t.Fatalf("%s: a pair taken for a lone surrogate", text)
			}
			for _, half := range []rune{hi, lo} {
				lone := `"` + inner + fmt.Sprintf(`\u%04x`, half) + `"`
				if !hasLoneSurrogate([]byte(lone)) {
					t.Fatalf("%s: a lone surrogate missed", lone)
				}
			}
		}
		if !hasLoneSurrogate([]byte(fmt.Sprintf(`"\u%04x\u%04x"`, lo, hi))) {
			t.Fatalf("a reversed pair passed")
		}
	})
}
