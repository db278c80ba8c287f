// Package lex splits PDF content streams and CMap programs into tokens:
// numbers, names, literal and hexadecimal strings, array, dictionary and
// procedure brackets, and keywords (operators). Comments are skipped. The
// lexer never fails: malformed input yields the best token it can and every
// call makes progress, so a caller looping until EOF always terminates.
package lex

import (
	"bytes"
	"strconv"
)

// Kind is the type of a token.
type Kind uint8

// Token kinds.
const (
	EOF        Kind = iota
	Number          // Num holds the value
	Name            // Bytes holds the name without '/', #xx escapes decoded
	String          // Bytes holds the decoded bytes of a (literal) or <hex> string
	ArrayOpen       // [
	ArrayClose      // ]
	DictOpen        // <<
	DictClose       // >>
	ProcOpen        // {
	ProcClose       // }
	Keyword         // Bytes holds the keyword, e.g. "Tj", "true", "null"
)

var kindNames = [...]string{"EOF", "Number", "Name", "String", "[", "]", "<<", ">>", "{", "}", "Keyword"}

// String returns a readable name of the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Token is one lexical element.
type Token struct {
	Kind Kind
	// Num is the value of a Number.
	Num float64
	// Bytes is the content of a Name, String or Keyword. For names and
	// keywords without escapes it aliases the input; for strings it is a
	// fresh slice the caller may keep.
	Bytes []byte
	// Hex reports that a String was written in hexadecimal form.
	Hex bool
}

// Lexer reads tokens from a byte slice.
type Lexer struct {
	data []byte
	pos  int
}

// New returns a lexer over data.
func New(data []byte) *Lexer { return &Lexer{data: data} }

// Pos returns the offset of the next unread byte.
func (l *Lexer) Pos() int { return l.pos }

// Reset makes the lexer read data from the start.
func (l *Lexer) Reset(data []byte) { l.data, l.pos = data, 0 }

// class of each byte: 0 regular, 1 white space, 2 delimiter.
var class = func() (c [256]uint8) {
	for _, b := range []byte{0, '\t', '\n', '\f', '\r', ' '} {
		c[b] = 1
	}
	for _, b := range []byte("()<>[]{}/%") {
		c[b] = 2
	}
	return c
}()

// IsSpace reports whether b is PDF white space.
func IsSpace(b byte) bool { return class[b] == 1 }

func (l *Lexer) skipSpaceAndComments() {
	for l.pos < len(l.data) {
		b := l.data[l.pos]
		if class[b] == 1 {
			l.pos++
			continue
		}
		if b == '%' {
			for l.pos < len(l.data) && l.data[l.pos] != '\n' && l.data[l.pos] != '\r' {
				l.pos++
			}
			continue
		}
		return
	}
}

// Next returns the next token, or a token of kind EOF at the end.
func (l *Lexer) Next() Token {
	l.skipSpaceAndComments()
	if l.pos >= len(l.data) {
		return Token{Kind: EOF}
	}
	b := l.data[l.pos]
	switch b {
	case '[':
		l.pos++
		return Token{Kind: ArrayOpen}
	case ']':
		l.pos++
		return Token{Kind: ArrayClose}
	case '{':
		l.pos++
		return Token{Kind: ProcOpen}
	case '}':
		l.pos++
		return Token{Kind: ProcClose}
	case '(':
		l.pos++
		return Token{Kind: String, Bytes: l.literalString()}
	case '<':
		if l.pos+1 < len(l.data) && l.data[l.pos+1] == '<' {
			l.pos += 2
			return Token{Kind: DictOpen}
		}
		l.pos++
		return Token{Kind: String, Bytes: l.hexString(), Hex: true}
	case '>':
		l.pos++
		if l.pos < len(l.data) && l.data[l.pos] == '>' {
			l.pos++
			return Token{Kind: DictClose}
		}
		// A stray '>' is not a token; treat it as an empty keyword-like
		// token so the caller can discard it.
		return Token{Kind: Keyword, Bytes: l.data[l.pos-1 : l.pos]}
	case ')':
		l.pos++
		return Token{Kind: Keyword, Bytes: l.data[l.pos-1 : l.pos]}
	case '/':
		l.pos++
		return Token{Kind: Name, Bytes: l.name()}
	}
	start := l.pos
	for l.pos < len(l.data) && class[l.data[l.pos]] == 0 {
		l.pos++
	}
	word := l.data[start:l.pos]
	if n, ok := parseNumber(word); ok {
		return Token{Kind: Number, Num: n}
	}
	return Token{Kind: Keyword, Bytes: word}
}

// parseNumber parses PDF integers and reals ("12", "-3.5", ".5", "4.").
// PDF forbids exponents; producers sometimes write "--1" or "1.2.3", which
// readers tolerate by taking the longest numeric prefix with one sign.
func parseNumber(w []byte) (float64, bool) {
	if len(w) == 0 {
		return 0, false
	}
	i := 0
	neg := false
	for i < len(w) && (w[i] == '+' || w[i] == '-') {
		neg = neg != (w[i] == '-')
		i++
	}
	var v float64
	digits := 0
	for i < len(w) && w[i] >= '0' && w[i] <= '9' {
		v = v*10 + float64(w[i]-'0')
		i++
		digits++
	}
	if i < len(w) && w[i] == '.' {
		i++
		scale := 0.1
		for i < len(w) && w[i] >= '0' && w[i] <= '9' {
			v += float64(w[i]-'0') * scale
			scale /= 10
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i != len(w) {
		// Trailing garbage: accept only if the rest is numeric junk such
		// as a second '.', otherwise it is a keyword like "1Tf".
		for _, c := range w[i:] {
			if !(c == '.' || c == '-' || (c >= '0' && c <= '9')) {
				return 0, false
			}
		}
	}
	if neg {
		v = -v
	}
	return v, true
}

func (l *Lexer) name() []byte {
	start := l.pos
	escaped := false
	for l.pos < len(l.data) && class[l.data[l.pos]] == 0 {
		if l.data[l.pos] == '#' {
			escaped = true
		}
		l.pos++
	}
	raw := l.data[start:l.pos]
	if !escaped {
		return raw
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '#' && i+2 < len(raw) {
			if h, ok := unhex2(raw[i+1], raw[i+2]); ok {
				out = append(out, h)
				i += 2
				continue
			}
		}
		out = append(out, raw[i])
	}
	return out
}

func unhexDigit(b byte) (byte, bool) {
	switch {
	case b >= '0' && b <= '9':
		return b - '0', true
	case b >= 'a' && b <= 'f':
		return b - 'a' + 10, true
	case b >= 'A' && b <= 'F':
		return b - 'A' + 10, true
	}
	return 0, false
}

func unhex2(a, b byte) (byte, bool) {
	x, ok1 := unhexDigit(a)
	y, ok2 := unhexDigit(b)
	return x<<4 | y, ok1 && ok2
}

// literalString reads after '(' up to the balancing ')', decoding escapes.
func (l *Lexer) literalString() []byte {
	out := make([]byte, 0, 16)
	depth := 1
	for l.pos < len(l.data) {
		b := l.data[l.pos]
		l.pos++
		switch b {
		case '(':
			depth++
			out = append(out, b)
		case ')':
			depth--
			if depth == 0 {
				return out
			}
			out = append(out, b)
		case '\r':
			// An end-of-line in a string is read as a single '\n'.
			if l.pos < len(l.data) && l.data[l.pos] == '\n' {
				l.pos++
			}
			out = append(out, '\n')
		case '\\':
			if l.pos >= len(l.data) {
				return out
			}
			e := l.data[l.pos]
			l.pos++
			switch e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case '\r':
				// Line continuation.
				if l.pos < len(l.data) && l.data[l.pos] == '\n' {
					l.pos++
				}
			case '\n':
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && l.pos < len(l.data); k++ {
						d := l.data[l.pos]
						if d < '0' || d > '7' {
							break
						}
						v = v*8 + int(d-'0')
						l.pos++
					}
					out = append(out, byte(v))
				} else {
					// \( \) \\ and unknown escapes yield the character.
					out = append(out, e)
				}
			}
		default:
			out = append(out, b)
		}
	}
	return out
}

// hexString reads after '<' up to '>', ignoring white space; an odd final
// digit is read as if followed by 0.
func (l *Lexer) hexString() []byte {
	out := make([]byte, 0, 8)
	var hi byte
	half := false
	for l.pos < len(l.data) {
		b := l.data[l.pos]
		l.pos++
		if b == '>' {
			break
		}
		d, ok := unhexDigit(b)
		if !ok {
			continue
		}
		if half {
			out = append(out, hi<<4|d)
			half = false
		} else {
			hi, half = d, true
		}
	}
	if half {
		out = append(out, hi<<4)
	}
	return out
}

// SkipInlineImage moves past the data of an inline image: it is called
// after the ID operator and stops after the matching EI. length, when
// positive, is the data length from the image dictionary (/L or /Length);
// otherwise the end is found by looking for "EI" between white space.
// It reports false when no end was found (the lexer is then at EOF).
func (l *Lexer) SkipInlineImage(length int) bool {
	// One white-space byte follows ID.
	if l.pos < len(l.data) && IsSpace(l.data[l.pos]) {
		l.pos++
	}
	if length > 0 && l.pos+length <= len(l.data) {
		end := l.pos + length
		rest := l.data[end:]
		i := 0
		for i < len(rest) && IsSpace(rest[i]) {
			i++
		}
		if bytes.HasPrefix(rest[i:], []byte("EI")) && (i+2 == len(rest) || class[rest[i+2]] != 0) {
			l.pos = end + i + 2
			return true
		}
	}
	for {
		j := bytes.Index(l.data[l.pos:], []byte("EI"))
		if j < 0 {
			l.pos = len(l.data)
			return false
		}
		at := l.pos + j
		before := at == 0 || IsSpace(l.data[at-1])
		after := at+2 >= len(l.data) || class[l.data[at+2]] != 0
		l.pos = at + 2
		if before && after {
			return true
		}
	}
}
