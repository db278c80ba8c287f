package messages

import (
	"bytes"
	"encoding/json"
	"strings"
)

// decodeJobFast decodes a well-formed job in one pass of encoding/json:
// the envelope and the typed payload together, the payload's bytes taken
// as written from a scan of the top-level members. It returns ok only when
// the job is valid and the result is exactly what the general path
// (DecodeJob's checks one after the other) returns; for anything unusual
// (an error of any kind, a payload not in canonical form, a member name
// that encoding/json would match without regard to case, a member given
// twice, a body with the top-level keys of an SNS envelope or an SES
// notification) it returns false and the caller takes the general path,
// which also words the error.
//
// A worker decodes every message it receives, so this is on the hot path:
// it saves the separate validity scan, the second decoding of the payload
// and its second validity scan.
func decodeJobFast(data []byte) (Job, bool) {
	if len(data) > MaxJobSize {
		return Job{}, false
	}
	var typ, payload []byte
	seen := 0 // bits of the members taken from the scan
	odd := false
	scanMembers(data, func(key, value []byte) {
		name := memberName(key)
		var bit int
		switch name {
		case "type":
			bit, typ = 1, value
		case "payload":
			bit, payload = 2, value
		case "Type", "TopicArn", "eventType", "notificationType":
			// Another shape of queue body.
			odd = true
		default:
			// encoding/json matches member names to fields without regard
			// to case: a "Payload" would fill the typed payload but not
			// the scanned bytes.
			if strings.EqualFold(name, "type") || strings.EqualFold(name, "payload") {
				odd = true
			}
		}
		if seen&bit != 0 {
			odd = true
		}
		seen |= bit
	})
	if odd || typ == nil || len(payload) == 0 || payload[0] != '{' || !isCanonical(payload) {
		return Job{}, false
	}
	if len(typ) < 2 || typ[0] != '"' || bytes.IndexByte(typ, '\\') >= 0 {
		return Job{}, false
	}
	p := newPayload(string(typ[1 : len(typ)-1]))
	if p == nil {
		return Job{}, false
	}
	w := jobWire{Payload: p}
	// Unmarshal checks that all of data is valid JSON first, so the scan
	// above (which assumes it) saw the members encoding/json sees.
	if err := json.Unmarshal(data, &w); err != nil || w.Payload != p {
		return Job{}, false
	}
	created, err := parseTime("job.created_at", w.CreatedAt)
	if err != nil {
		return Job{}, false
	}
	j := Job{
		ID: w.ID, Type: w.Type, Version: w.Version, IdempotencyKey: w.IdempotencyKey,
		ParentID: w.ParentID, CorrelationID: w.CorrelationID, CreatedAt: created,
		// A copy: the caller may reuse data.
		Payload: json.RawMessage(bytes.Clone(payload)),
	}
	if j.Version == 0 {
		j.Version = 1
	}
	if j.IdempotencyKey == "" {
		j.IdempotencyKey = j.ID
	}
	if j.validateEnvelope() != nil || p.Validate() != nil {
		return Job{}, false
	}
	return j, true
}
