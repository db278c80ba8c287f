package messages

import (
	"encoding/json"
	"strconv"
)

// ContentKey is an idempotency key that comes from a job's content, so the
// same job published twice is one job: prefix (empty means "publish:" and
// the job's type, which `quarry publish --file` and the HTTP API share, so
// a job published through both is still one job), ":", then "id:" and the
// payload's own "id" field (a string or a number) when it has one, else
// [PayloadHash] cut to 128 bits. `quarry publish --file` keys each line
// with it, and the HTTP API each job that comes without a key.
func ContentKey(prefix string, job Job) string {
	var doc struct {
		ID json.RawMessage `json:"id"`
	}
	part := ""
	if json.Unmarshal(job.Payload, &doc) == nil && len(doc.ID) > 0 {
		var s string
		if json.Unmarshal(doc.ID, &s) == nil && s != "" {
			part = "id:" + s
		} else if _, err := strconv.ParseFloat(string(doc.ID), 64); err == nil {
			part = "id:" + string(doc.ID)
		}
	}
	if part == "" {
		// The claims' own payload hash (type and compacted payload), cut
		// to 128 bits.
		part = PayloadHash(job)
		if len(part) > len("sha256:")+32 {
			part = part[:len("sha256:")+32]
		}
	}
	if prefix == "" {
		prefix = "publish:" + job.Type
	}
	return prefix + ":" + part
}
