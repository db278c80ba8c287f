// Package cmap parses PDF CMaps: the ToUnicode CMaps that map character
// codes to Unicode text (bfchar, bfrange including its array form) and the
// encoding CMaps of composite fonts that split a string into codes of one
// to four bytes (codespace ranges) and map codes to CIDs (cidchar,
// cidrange). Parsing is tolerant: unknown or broken parts are skipped, and
// a hostile CMap cannot make the parser allocate more than it read.
package cmap

import (
	"slices"
	"unicode/utf16"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/lex"
)

// maxEntries bounds the mappings one CMap may define, against CMaps that
// repeat entries without end.
const maxEntries = 1 << 20

// CMap is a parsed CMap. The zero value maps nothing and reads one-byte
// codes.
type CMap struct {
	// Name is the /CMapName, if given.
	Name string
	// UseCMap names the CMap this one extends (usecmap), if any.
	UseCMap string
	// Vertical reports /WMode 1.
	Vertical bool

	space     []codespace
	uni       map[uint64]string
	uniRanges []uniRange
	cid       map[uint64]uint32
	cidRanges []cidRange
	identity  bool
	entries   int
}

type codespace struct {
	lo, hi [4]byte
	n      int
}

type uniRange struct {
	lo, hi uint32
	n      int
	// dst is the UTF-16 text of lo; codes above lo add to its last unit.
	dst []uint16
	// list holds the per-code texts of the array form.
	list []string
}

type cidRange struct {
	lo, hi uint32
	n      int
	cid    uint32
}

func key(code uint32, n int) uint64 { return uint64(code) | uint64(n)<<32 }

// Identity returns the predefined Identity-H (or Identity-V) CMap: two-byte
// codes that are their own CIDs.
func Identity(vertical bool) *CMap {
	name := "Identity-H"
	if vertical {
		name = "Identity-V"
	}
	return &CMap{
		Name:     name,
		Vertical: vertical,
		identity: true,
		space:    []codespace{{lo: [4]byte{0, 0}, hi: [4]byte{0xff, 0xff}, n: 2}},
	}
}

// HasCodespace reports whether the CMap defines codespace ranges.
func (c *CMap) HasCodespace() bool { return len(c.space) > 0 }

// Empty reports whether the CMap maps no code to text or CID.
func (c *CMap) Empty() bool {
	return !c.identity && len(c.uni) == 0 && len(c.uniRanges) == 0 && len(c.cid) == 0 && len(c.cidRanges) == 0
}

// Next reads the first code of b by the codespace ranges and returns it
// with its length in bytes. Bytes that match no range are read as a code
// of the shortest defined length (one byte without ranges), as readers do.
// Next returns n = 0 only for empty b.
func (c *CMap) Next(b []byte) (code uint32, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	shortest := 0
	for _, s := range c.space {
		if shortest == 0 || s.n < shortest {
			shortest = s.n
		}
		if len(b) < s.n {
			continue
		}
		ok := true
		for i := 0; i < s.n; i++ {
			if b[i] < s.lo[i] || b[i] > s.hi[i] {
				ok = false
				break
			}
		}
		if ok {
			return readCode(b[:s.n]), s.n
		}
	}
	if shortest == 0 {
		shortest = 1
	}
	n = min(shortest, len(b))
	return readCode(b[:n]), n
}

func readCode(b []byte) uint32 {
	var v uint32
	for _, x := range b {
		v = v<<8 | uint32(x)
	}
	return v
}

// Unicode returns the text the code of n bytes maps to.
func (c *CMap) Unicode(code uint32, n int) (string, bool) {
	if s, ok := c.uni[key(code, n)]; ok {
		return s, true
	}
	if r, ok := findRange(c.uniRanges, code, n, func(r uniRange) (uint32, uint32, int) { return r.lo, r.hi, r.n }); ok {
		off := code - r.lo
		if r.list != nil {
			if int(off) < len(r.list) {
				return r.list[off], true
			}
			return "", false
		}
		if len(r.dst) == 0 {
			return "", false
		}
		if len(r.dst) == 1 {
			if v := rune(r.dst[0]) + rune(off); v < 0xD800 || (v > 0xDFFF && v <= 0xFFFF) {
				return string(v), true
			}
		}
		u := slices.Clone(r.dst)
		u[len(u)-1] += uint16(off)
		return string(utf16.Decode(u)), true
	}
	// Some producers write bfchar codes with fewer bytes than the font's
	// codes (e.g. <20> for a two-byte code 0x0020); accept those too.
	if n > 1 {
		for m := 1; m < n; m++ {
			if code < 1<<(8*m) {
				if s, ok := c.uni[key(code, m)]; ok {
					return s, true
				}
			}
		}
	}
	return "", false
}

// CID returns the CID the code of n bytes selects.
func (c *CMap) CID(code uint32, n int) (uint32, bool) {
	if c.identity {
		return code, true
	}
	if v, ok := c.cid[key(code, n)]; ok {
		return v, true
	}
	if r, ok := findRange(c.cidRanges, code, n, func(r cidRange) (uint32, uint32, int) { return r.lo, r.hi, r.n }); ok {
		return r.cid + (code - r.lo), true
	}
	return 0, false
}

// findRange finds a range holding code among ranges sorted by lo. It looks
// at a few ranges left of the insertion point so that overlapping ranges
// are found too.
func findRange[R any](rs []R, code uint32, n int, f func(R) (uint32, uint32, int)) (R, bool) {
	i, _ := slices.BinarySearchFunc(rs, code, func(r R, c uint32) int {
		lo, _, _ := f(r)
		switch {
		case lo < c:
			return -1
		case lo > c:
			return 1
		}
		return 0
	})
	// i is the first range with lo >= code; include equal lo ranges.
	for i < len(rs) {
		lo, _, _ := f(rs[i])
		if lo != code {
			break
		}
		i++
	}
	for k := i - 1; k >= 0 && k >= i-16; k-- {
		lo, hi, m := f(rs[k])
		if code >= lo && code <= hi && (m == n || m == 0) {
			return rs[k], true
		}
	}
	var zero R
	return zero, false
}

// Merge adds the mappings and codespace of parent that c does not define
// itself, as usecmap asks.
func (c *CMap) Merge(parent *CMap) {
	if parent == nil {
		return
	}
	if len(c.space) == 0 {
		c.space = append(c.space, parent.space...)
	}
	if parent.identity && c.cid == nil && len(c.cidRanges) == 0 {
		c.identity = true
	}
	for k, v := range parent.uni {
		if c.uni == nil {
			c.uni = map[uint64]string{}
		}
		if _, ok := c.uni[k]; !ok {
			c.uni[k] = v
		}
	}
	for k, v := range parent.cid {
		if c.cid == nil {
			c.cid = map[uint64]uint32{}
		}
		if _, ok := c.cid[k]; !ok {
			c.cid[k] = v
		}
	}
	c.uniRanges = append(c.uniRanges, parent.uniRanges...)
	c.cidRanges = append(c.cidRanges, parent.cidRanges...)
	c.sortRanges()
}

func (c *CMap) sortRanges() {
	slices.SortStableFunc(c.uniRanges, func(a, b uniRange) int { return cmpU32(a.lo, b.lo) })
	slices.SortStableFunc(c.cidRanges, func(a, b cidRange) int { return cmpU32(a.lo, b.lo) })
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Parse reads a CMap program. It returns an error only when data holds
// nothing a CMap defines.
func Parse(data []byte) (*CMap, error) {
	c := &CMap{}
	p := parser{lx: lex.New(data), c: c}
	p.run()
	c.sortRanges()
	if c.Empty() && len(c.space) == 0 && c.UseCMap == "" {
		return c, errNoMappings
	}
	return c, nil
}

type parseError string

func (e parseError) Error() string { return string(e) }

const errNoMappings = parseError("cmap: no codespace or mappings found")
