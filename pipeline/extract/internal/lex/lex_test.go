package lex

import (
	"bytes"
	"testing"
)

func tokens(s string) []Token {
	l := New([]byte(s))
	var out []Token
	for {
		t := l.Next()
		if t.Kind == EOF {
			return out
		}
		out = append(out, t)
	}
}

func TestLexer(t *testing.T) {
	tests := []struct {
		in   string
		want []Token
	}{
		{"12 -3.5 .5 4. +7", []Token{{Kind: Number, Num: 12}, {Kind: Number, Num: -3.5}, {Kind: Number, Num: .5}, {Kind: Number, Num: 4}, {Kind: Number, Num: 7}}},
		{"--2 1.2.3", []Token{{Kind: Number, Num: 2}, {Kind: Number, Num: 1.2}}},
		{"/Name /A#20B /", []Token{{Kind: Name, Bytes: []byte("Name")}, {Kind: Name, Bytes: []byte("A B")}, {Kind: Name, Bytes: []byte("")}}},
		{`(a\(b\)c) (nest (ed)) (\101\60x) (l1\
l2) (\n\t\\)`, []Token{
			{Kind: String, Bytes: []byte("a(b)c")},
			{Kind: String, Bytes: []byte("nest (ed)")},
			{Kind: String, Bytes: []byte("A0x")},
			{Kind: String, Bytes: []byte("l1l2")},
			{Kind: String, Bytes: []byte("\n\t\\")},
		}},
		{"(a\r\nb)", []Token{{Kind: String, Bytes: []byte("a\nb")}}},
		{"<48 65 6c6C6f> <123>", []Token{{Kind: String, Bytes: []byte("Hello"), Hex: true}, {Kind: String, Bytes: []byte{0x12, 0x30}, Hex: true}}},
		{"[1 (a)] << /K 1 >> { }", []Token{{Kind: ArrayOpen}, {Kind: Number, Num: 1}, {Kind: String, Bytes: []byte("a")}, {Kind: ArrayClose}, {Kind: DictOpen}, {Kind: Name, Bytes: []byte("K")}, {Kind: Number, Num: 1}, {Kind: DictClose}, {Kind: ProcOpen}, {Kind: ProcClose}}},
		{"BT % comment ( not a string\nET", []Token{{Kind: Keyword, Bytes: []byte("BT")}, {Kind: Keyword, Bytes: []byte("ET")}}},
		{"1Tf T* '", []Token{{Kind: Keyword, Bytes: []byte("1Tf")}, {Kind: Keyword, Bytes: []byte("T*")}, {Kind: Keyword, Bytes: []byte("'")}}},
		{"(unterminated", []Token{{Kind: String, Bytes: []byte("unterminated")}}},
	}
	for _, tc := range tests {
		got := tokens(tc.in)
		if len(got) != len(tc.want) {
			t.Fatalf("%q: got %d tokens %v, want %d", tc.in, len(got), got, len(tc.want))
		}
		for i := range got {
			g, w := got[i], tc.want[i]
			if g.Kind != w.Kind || g.Num != w.Num || !bytes.Equal(g.Bytes, w.Bytes) || g.Hex != w.Hex {
				t.Errorf("%q token %d: got %+v, want %+v", tc.in, i, g, w)
			}
		}
	}
}

func TestSkipInlineImage(t *testing.T) {
	data := []byte("BI /W 2 /H 1 /BPC 8 /CS /G ID \x00EIx\xff EI Q (after) Tj")
	l := New(data)
	for {
		tk := l.Next()
		if tk.Kind == Keyword && string(tk.Bytes) == "ID" {
			break
		}
	}
	if !l.SkipInlineImage(0) {
		t.Fatal("end of image not found")
	}
	if tk := l.Next(); tk.Kind != Keyword || string(tk.Bytes) != "Q" {
		t.Fatalf("after image got %+v, want Q", tk)
	}
	// With a length the data may contain "EI" between white space.
	data = []byte("ID 12 EI 45 EI Q")
	l = New(data)
	l.Next()
	if !l.SkipInlineImage(8) {
		t.Fatal("end of image not found with length")
	}
	if tk := l.Next(); string(tk.Bytes) != "Q" {
		t.Fatalf("after image got %+v, want Q", tk)
	}
}

func FuzzLexer(f *testing.F) {
	for _, s := range []string{
		"BT /F1 12 Tf 72 712 Td (Hello) Tj ET",
		"[(A) 120 (B)] TJ <414243> Tj",
		"q 1 0 0 1 0 0 cm 0 0 10 10 re f Q",
		"BI /W 1 /H 1 ID x EI",
		"(\\(\\)\\\\\\101) /A#41 << /K [1 2] >>",
		"% comment\n<< <<",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l := New(data)
		for i := 0; ; i++ {
			pos := l.Pos()
			tk := l.Next()
			if tk.Kind == EOF {
				return
			}
			if l.Pos() <= pos {
				t.Fatalf("no progress at %d", pos)
			}
			if tk.Kind == Keyword && string(tk.Bytes) == "ID" {
				l.SkipInlineImage(0)
			}
			if i > len(data)+1 {
				t.Fatalf("more tokens than bytes")
			}
		}
	})
}
