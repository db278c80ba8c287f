package samplesite

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"hash/fnv"
)

// macLen is the length of the truncated HMAC appended to view state and
// event validation, as ASP.NET appends a truncated MAC to its own.
const macLen = 20

// errStateMAC is returned when view state or event validation fails its MAC
// check or cannot be decoded.
var errStateMAC = errors.New("samplesite: state MAC validation failed")

// pageState is what the search page keeps in __VIEWSTATE: which page it is,
// the last search and the record ids of the grid rows in display order.
type pageState struct {
	Page    string   `json:"p"`
	Key     string   `json:"k,omitempty"`
	DocType string   `json:"t,omitempty"`
	Rows    []string `json:"r,omitempty"`
}

// signer signs and verifies page state with a machine key.
type signer struct {
	key []byte
}

func (s signer) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		m.Write(n[:])
		m.Write([]byte(p))
	}
	return m.Sum(nil)[:macLen]
}

// viewState encodes st for a page, signed together with the session id (like
// ViewStateUserKey) and the page's generator, so state from another session
// or another page does not verify.
func (s signer) viewState(sessionID, generator string, st pageState) string {
	payload, _ := json.Marshal(st) // pageState has only strings: Marshal cannot fail
	mac := s.mac("viewstate", sessionID, generator, string(payload))
	return base64.StdEncoding.EncodeToString(append(payload, mac...))
}

// openViewState verifies and decodes a posted __VIEWSTATE.
func (s signer) openViewState(sessionID, generator, v string) (pageState, error) {
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(raw) < macLen {
		return pageState{}, errStateMAC
	}
	payload, mac := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	if !hmac.Equal(mac, s.mac("viewstate", sessionID, generator, string(payload))) {
		return pageState{}, errStateMAC
	}
	var st pageState
	if err := json.Unmarshal(payload, &st); err != nil {
		return pageState{}, errStateMAC
	}
	return st, nil
}

// eventValidation encodes the (control, argument) pairs a page rendered,
// signed together with the page's view state so the two must come from the
// same response.
func (s signer) eventValidation(sessionID, viewState string, pairs [][2]string) string {
	hashes := make([]byte, 0, 4*len(pairs))
	for _, p := range pairs {
		hashes = binary.BigEndian.AppendUint32(hashes, pairHash(p[0], p[1]))
	}
	mac := s.mac("eventvalidation", sessionID, viewState, string(hashes))
	return base64.StdEncoding.EncodeToString(append(hashes, mac...))
}

// openEventValidation verifies a posted __EVENTVALIDATION and returns the
// set of pairs it allows.
func (s signer) openEventValidation(sessionID, viewState, v string) (eventSet, error) {
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(raw) < macLen || (len(raw)-macLen)%4 != 0 {
		return nil, errStateMAC
	}
	hashes, mac := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	if !hmac.Equal(mac, s.mac("eventvalidation", sessionID, viewState, string(hashes))) {
		return nil, errStateMAC
	}
	set := make(eventSet, len(hashes)/4)
	for i := 0; i < len(hashes); i += 4 {
		set[binary.BigEndian.Uint32(hashes[i:])] = true
	}
	return set, nil
}

// eventSet holds the hashes of allowed (control, argument) pairs.
type eventSet map[uint32]bool

func (e eventSet) allows(control, argument string) bool {
	return e[pairHash(control, argument)]
}

func pairHash(control, argument string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(control))
	h.Write([]byte{0})
	h.Write([]byte(argument))
	return h.Sum32()
}

// generator derives the 8 hex characters of __VIEWSTATEGENERATOR from the
// page path, as ASP.NET derives it from the page class.
func generator(path string) string {
	const hex = "0123456789ABCDEF"
	c := crc32.ChecksumIEEE([]byte(path))
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = hex[c&0xf]
		c >>= 4
	}
	return string(b[:])
}
