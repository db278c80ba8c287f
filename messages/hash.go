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
	if canon, err := canonicalJSON(j.Payload); err == nil {
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
