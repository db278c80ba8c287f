package messages

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// PayloadHash returns "sha256:" and the hex SHA-256 of the job's type, a NUL
// byte, and its payload in canonical form (see [Job.Payload]: compacted,
// with <, >, & and U+2028/U+2029 escaped as encoding/json writes them). The idempotency store keeps
// it with a claim and refuses a second job under the same idempotency key
// whose hash differs (a payload conflict): the same key with different work
// is a producer bug, not a duplicate.
//
// The canonical form removes insignificant whitespace and unifies the
// escaping encoding/json applies when it re-encodes a job, so a job that is
// decoded and published again keeps its hash. It does not reorder object
// keys. A producer that re-encodes a payload must therefore encode it
// the same way each time, which encoding/json does for structs and maps.
// The type is hashed too, so two job types whose payloads happen to be
// byte-identical under one key also conflict. The id, times and other
// envelope fields are not hashed: a retried parent's child has a new
// created_at but the same work.
func PayloadHash(j Job) string {
	h := sha256.New()
	h.Write([]byte(j.Type))
	h.Write([]byte{0})
	if isCanonical(j.Payload) {
		// Already canonical (as every decoded or built job's payload is),
		// or not JSON: the bytes as they are, either way.
		h.Write(j.Payload)
	} else if canon, err := canonicalJSON(j.Payload); err == nil {
		h.Write(canon)
	} else {
		// Not JSON: hash the bytes as they are, so the hash is still a
		// function of the payload.
		h.Write(j.Payload)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// canonicalJSON returns raw compacted and HTML-escaped: exactly the bytes
// encoding/json writes for it as a json.RawMessage, so decoding and
// re-encoding a job leaves its payload, and its hash, unchanged.
func canonicalJSON(raw []byte) ([]byte, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	json.HTMLEscape(&out, compact.Bytes())
	return out.Bytes(), nil
}

// isCanonical reports whether canonicalJSON would return raw unchanged,
// were raw valid JSON: it has no whitespace outside strings, and none of
// the characters HTMLEscape escapes (<, >, &, U+2028, U+2029). It only
// scans, so canonical input, the usual case, is not copied twice.
func isCanonical(raw []byte) bool {
	inString := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '"':
			inString = !inString
		case '\\':
			if inString {
				i++ // the escaped byte, which may be a quote
			}
		case ' ', '\t', '\n', '\r':
			if !inString {
				return false
			}
		case '<', '>', '&':
			return false
		case 0xE2: // U+2028 and U+2029 are E2 80 A8 and E2 80 A9 in UTF-8
			if i+2 < len(raw) && raw[i+1] == 0x80 && (raw[i+2] == 0xA8 || raw[i+2] == 0xA9) {
				return false
			}
		}
	}
	return true
}
