package cmap

import (
	"unicode/utf16"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/lex"
)

// parser walks the tokens of a CMap program and fills c. It keeps the last
// operands seen so that "/CMapName /X def", "/X usecmap" and "/WMode 1
// def" are understood, and reads the begin…end sections by their shape.
type parser struct {
	lx   *lex.Lexer
	c    *CMap
	prev [2]lex.Token
}

func (p *parser) push(t lex.Token) { p.prev[0], p.prev[1] = p.prev[1], t }

func (p *parser) run() {
	for {
		t := p.lx.Next()
		switch t.Kind {
		case lex.EOF:
			return
		case lex.Keyword:
			switch string(t.Bytes) {
			case "begincodespacerange":
				p.codespace()
			case "beginbfchar":
				p.bfchar()
			case "beginbfrange":
				p.bfrange()
			case "begincidchar":
				p.cidchar()
			case "begincidrange":
				p.cidrange()
			case "usecmap":
				if p.prev[1].Kind == lex.Name {
					p.c.UseCMap = string(p.prev[1].Bytes)
				}
			case "def":
				if p.prev[0].Kind == lex.Name {
					switch string(p.prev[0].Bytes) {
					case "CMapName":
						if p.prev[1].Kind == lex.Name {
							p.c.Name = string(p.prev[1].Bytes)
						}
					case "WMode":
						p.c.Vertical = p.prev[1].Kind == lex.Number && p.prev[1].Num == 1
					}
				}
			}
			p.push(t)
		default:
			p.push(t)
		}
		if p.c.entries > maxEntries {
			return
		}
	}
}

// section reads operand tokens up to the keyword end and calls f with each
// group of size operands; a group of the wrong shape is skipped.
func (p *parser) section(end string, size int, f func([]lex.Token)) {
	group := make([]lex.Token, 0, size)
	for {
		t := p.lx.Next()
		switch t.Kind {
		case lex.EOF:
			return
		case lex.Keyword:
			if string(t.Bytes) == end {
				return
			}
			// Any other keyword inside a section means the section is
			// broken; drop the partial group and go on.
			group = group[:0]
			continue
		case lex.ArrayOpen:
			t = p.array()
		}
		group = append(group, t)
		if len(group) == size {
			f(group)
			group = group[:0]
			p.c.entries++
			if p.c.entries > maxEntries {
				return
			}
		}
	}
}

// array reads the strings of an array after '[' into a token whose Bytes
// are unused; the strings are kept in arrayItems.
func (p *parser) array() lex.Token {
	var items [][]byte
	for {
		t := p.lx.Next()
		switch t.Kind {
		case lex.EOF, lex.ArrayClose:
			return lex.Token{Kind: lex.ArrayOpen, Bytes: joinItems(items)}
		case lex.String:
			if len(items) < 1<<16 {
				items = append(items, t.Bytes)
			}
		}
	}
}

// joinItems packs strings as a sequence of (length byte pair, bytes) so an
// array fits in one token.
func joinItems(items [][]byte) []byte {
	var out []byte
	for _, it := range items {
		if len(it) > 0xffff {
			it = it[:0xffff]
		}
		out = append(out, byte(len(it)>>8), byte(len(it)))
		out = append(out, it...)
	}
	return out
}

func splitItems(b []byte) [][]byte {
	var items [][]byte
	for len(b) >= 2 {
		n := int(b[0])<<8 | int(b[1])
		b = b[2:]
		if n > len(b) {
			n = len(b)
		}
		items = append(items, b[:n])
		b = b[n:]
	}
	return items
}

func (p *parser) codespace() {
	p.section("endcodespacerange", 2, func(g []lex.Token) {
		lo, hi := g[0], g[1]
		if lo.Kind != lex.String || hi.Kind != lex.String {
			return
		}
		n := len(lo.Bytes)
		if n == 0 || n > 4 || len(hi.Bytes) != n {
			return
		}
		var s codespace
		s.n = n
		copy(s.lo[:], lo.Bytes)
		copy(s.hi[:], hi.Bytes)
		p.c.space = append(p.c.space, s)
	})
}

func codeOf(t lex.Token) (uint32, int, bool) {
	if t.Kind != lex.String || len(t.Bytes) == 0 || len(t.Bytes) > 4 {
		return 0, 0, false
	}
	return readCode(t.Bytes), len(t.Bytes), true
}

// utf16Units reads destination bytes as UTF-16BE code units; a single odd
// byte is taken as one unit.
func utf16Units(b []byte) []uint16 {
	if len(b) == 1 {
		return []uint16{uint16(b[0])}
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return u
}

func utf16Text(b []byte) string { return string(utf16.Decode(utf16Units(b))) }

func (p *parser) bfchar() {
	p.section("endbfchar", 2, func(g []lex.Token) {
		code, n, ok := codeOf(g[0])
		if !ok || g[1].Kind != lex.String {
			return
		}
		if p.c.uni == nil {
			p.c.uni = map[uint64]string{}
		}
		p.c.uni[key(code, n)] = utf16Text(g[1].Bytes)
	})
}

func (p *parser) bfrange() {
	p.section("endbfrange", 3, func(g []lex.Token) {
		lo, n, ok1 := codeOf(g[0])
		hi, m, ok2 := codeOf(g[1])
		if !ok1 || !ok2 || n != m || hi < lo {
			return
		}
		r := uniRange{lo: lo, hi: hi, n: n}
		switch g[2].Kind {
		case lex.String:
			r.dst = utf16Units(g[2].Bytes)
		case lex.ArrayOpen:
			for _, it := range splitItems(g[2].Bytes) {
				r.list = append(r.list, utf16Text(it))
			}
			if r.list == nil {
				return
			}
		default:
			return
		}
		p.c.uniRanges = append(p.c.uniRanges, r)
	})
}

func (p *parser) cidchar() {
	p.section("endcidchar", 2, func(g []lex.Token) {
		code, n, ok := codeOf(g[0])
		if !ok || g[1].Kind != lex.Number || g[1].Num < 0 {
			return
		}
		if p.c.cid == nil {
			p.c.cid = map[uint64]uint32{}
		}
		p.c.cid[key(code, n)] = uint32(g[1].Num)
	})
}

func (p *parser) cidrange() {
	p.section("endcidrange", 3, func(g []lex.Token) {
		lo, n, ok1 := codeOf(g[0])
		hi, m, ok2 := codeOf(g[1])
		if !ok1 || !ok2 || n != m || hi < lo || g[2].Kind != lex.Number || g[2].Num < 0 {
			return
		}
		p.c.cidRanges = append(p.c.cidRanges, cidRange{lo: lo, hi: hi, n: n, cid: uint32(g[2].Num)})
	})
}
