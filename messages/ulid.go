package messages

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Job ids are ULIDs (https://github.com/ulid/spec): 48 bits of Unix time in
// milliseconds followed by 80 bits of randomness, written as 26 characters of
// Crockford's base32. They sort by creation time, which keeps DLQ listings
// and logs in order, and they carry their own timestamp.
//
// The encoder lives here rather than in a library because this package
// imports only the standard library.

// crockford is Crockford's base32 alphabet: digits and upper-case letters
// without I, L, O and U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ulidLen is the length of an encoded ULID.
const ulidLen = 26

// maxULIDTime is the largest timestamp a ULID can hold (2^48-1 ms, in 10889).
const maxULIDTime = 1<<48 - 1

// ulid is the 128-bit binary form: time in bytes 0-5, randomness in 6-15.
type ulid [16]byte

func (u ulid) String() string {
	hi := binary.BigEndian.Uint64(u[:8])
	lo := binary.BigEndian.Uint64(u[8:])
	var out [ulidLen]byte
	// 26 characters hold 130 bits; the first holds only the top 3 bits.
	for i := ulidLen - 1; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// ms returns the timestamp part.
func (u ulid) ms() uint64 {
	return uint64(u[0])<<40 | uint64(u[1])<<32 | uint64(u[2])<<24 | uint64(u[3])<<16 | uint64(u[4])<<8 | uint64(u[5])
}

func (u *ulid) setMS(ms uint64) {
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
}

// parseULID decodes a canonical ULID: exactly 26 upper-case Crockford
// characters, the first at most '7' so the value fits in 128 bits. Lower
// case is refused on purpose: an id is also the default idempotency key, and
// two spellings of one id would be two keys.
func parseULID(s string) (ulid, error) {
	var u ulid
	if len(s) != ulidLen {
		return u, fmt.Errorf("not a ULID: %d characters, want %d", len(s), ulidLen)
	}
	if s[0] > '7' {
		return u, errors.New("not a ULID: first character above 7 overflows 128 bits")
	}
	var hi, lo uint64
	for i := 0; i < ulidLen; i++ {
		v := crockfordValue(s[i])
		if v < 0 {
			return u, fmt.Errorf("not a ULID: character %q at %d is not upper-case Crockford base32", s[i], i)
		}
		hi = hi<<5 | lo>>59
		lo = lo<<5 | uint64(v)
	}
	binary.BigEndian.PutUint64(u[:8], hi)
	binary.BigEndian.PutUint64(u[8:], lo)
	return u, nil
}

func crockfordValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		for i := 10; i < len(crockford); i++ {
			if crockford[i] == c {
				return i
			}
		}
	}
	return -1
}

// ValidID reports whether s is a canonical ULID (26 upper-case Crockford
// base32 characters).
func ValidID(s string) bool {
	_, err := parseULID(s)
	return err == nil
}

// IDTime returns the creation time encoded in a ULID, in UTC with
// millisecond precision.
func IDTime(id string) (time.Time, error) {
	u, err := parseULID(id)
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(int64(u.ms())).UTC(), nil
}

// NewID returns a new ULID for time now with 80 bits from crypto/rand. Two
// ids made in the same millisecond are distinct but not ordered; use an
// [IDGenerator] where order within a millisecond matters.
func NewID(now time.Time) (string, error) {
	var u ulid
	ms := now.UnixMilli()
	if ms < 0 || ms > maxULIDTime {
		return "", fmt.Errorf("new id: time %s outside the ULID range", now)
	}
	u.setMS(uint64(ms))
	if _, err := io.ReadFull(rand.Reader, u[6:]); err != nil {
		return "", fmt.Errorf("new id: reading randomness: %w", err)
	}
	return u.String(), nil
}

// IDGenerator makes ULIDs that increase strictly: within one millisecond the
// random part of the previous id is incremented, and if the clock steps back
// the generator keeps the last millisecond it used. It is safe for
// concurrent use. The zero value is not usable; call [NewIDGenerator].
type IDGenerator struct {
	now     func() time.Time
	entropy io.Reader

	// mu guards last.
	mu   sync.Mutex
	last ulid
}

// NewIDGenerator returns a generator reading the clock from now (time.Now
// when nil) and randomness from entropy (crypto/rand when nil).
func NewIDGenerator(now func() time.Time, entropy io.Reader) *IDGenerator {
	if now == nil {
		now = time.Now
	}
	if entropy == nil {
		entropy = rand.Reader
	}
	return &IDGenerator{now: now, entropy: entropy}
}

// New returns the next id. It fails only if randomness cannot be read, the
// clock is outside the ULID range, or 2^80 ids were made in one millisecond.
func (g *IDGenerator) New() (string, error) {
	ms := g.now().UnixMilli()
	if ms < 0 || ms > maxULIDTime {
		return "", fmt.Errorf("new id: time %d ms outside the ULID range", ms)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if uint64(ms) <= g.last.ms() && g.last != (ulid{}) {
		next := g.last
		if !increment80(&next) {
			return "", errors.New("new id: random part overflowed within one millisecond")
		}
		g.last = next
		return next.String(), nil
	}
	var u ulid
	u.setMS(uint64(ms))
	if _, err := io.ReadFull(g.entropy, u[6:]); err != nil {
		return "", fmt.Errorf("new id: reading randomness: %w", err)
	}
	g.last = u
	return u.String(), nil
}

// increment80 adds one to the 80-bit random part; false on overflow.
func increment80(u *ulid) bool {
	for i := 15; i >= 6; i-- {
		u[i]++
		if u[i] != 0 {
			return true
		}
	}
	return false
}
