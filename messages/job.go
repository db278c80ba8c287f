package messages

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxJobSize is the largest encoded job, in bytes: SNS's publish limit
// (256 KiB; SNS was not raised to SQS's 1 MiB). Large inputs belong in the
// blob store, with their key in the payload.
const MaxJobSize = 256 * 1024

// Limits on the envelope's free-form strings.
const (
	maxIdempotencyKeyLen = 512
	maxCorrelationIDLen  = 128
)

// Job is the envelope every job travels in, on SNS and SQS, as JSON:
//
//	{"id":"01J…","type":"notify.email","version":1,"idempotency_key":"01J…",
//	 "parent_id":"01J…","correlation_id":"01J…","created_at":"2025-06-01T12:00:00Z",
//	 "payload":{…}}
//
// Build jobs with [NewJob] and [Child]; decode them with [DecodeJob] or
// [DecodeQueueBody]. The zero Job is not valid.
type Job struct {
	// ID is the job's ULID. A child's id is derived from its parent's
	// ([ChildID]), so a retried parent republishes the same child.
	ID string `json:"id"`
	// Type is the job type, one of [JobTypes]; it selects the payload type
	// and the queue (SNS routes on it).
	Type string `json:"type"`
	// Version is the payload schema version of Type. A decoded job without
	// one is version 1.
	Version int `json:"version"`
	// IdempotencyKey names the job's effects for deduplication: jobs with the
	// same key run once. It defaults to ID; a producer sets it to collapse
	// separately published copies of one request. Braces and control
	// characters are not allowed; at most 512 bytes.
	IdempotencyKey string `json:"idempotency_key"`
	// ParentID is the id of the job that published this one, if any.
	ParentID string `json:"parent_id,omitempty"`
	// CorrelationID ties together every job of one request: a root job's is
	// empty or set by the producer, and children inherit it (or the root's
	// id). At most 128 bytes.
	CorrelationID string `json:"correlation_id,omitempty"`
	// CreatedAt is when the job was built, in UTC.
	CreatedAt time.Time `json:"created_at"`
	// Payload is the job type's payload as a JSON object. [NewJob], [Child]
	// and [DecodeJob] store it in canonical form: compacted, with <, >, &
	// and U+2028/U+2029 escaped as encoding/json writes them. Decode it with
	// [Job.DecodePayload].
	Payload json.RawMessage `json:"payload"`
}

// DecodeJob decodes and validates one job encoded as JSON. Unknown fields
// are ignored; a missing version means 1 and a missing idempotency key means
// the id. The payload is put in canonical form (compacted, escaped as
// encoding/json escapes), so a decoded job re-encodes to the same bytes
// however it was written. Errors are [*ValidationError]s naming the
// field.
func DecodeJob(data []byte) (Job, error) {
	if j, ok := decodeJobFast(data); ok {
		return j, nil
	}
	return decodeJobGeneral(data)
}

// decodeJobGeneral is DecodeJob's path for any input: each check in turn,
// so that the first failing one is reported.
func decodeJobGeneral(data []byte) (Job, error) {
	if len(data) > MaxJobSize {
		return Job{}, &ValidationError{Field: "job", Reason: fmt.Sprintf("%d bytes, over the %d-byte limit: put large inputs in the blob store and pass their key", len(data), MaxJobSize)}
	}
	if err := mustBeObject("job", data); err != nil {
		return Job{}, err
	}
	var raw json.RawMessage
	w := jobWire{Payload: &raw}
	if err := json.Unmarshal(data, &w); err != nil {
		return Job{}, jsonError("job", err)
	}
	created, err := parseTime("job.created_at", w.CreatedAt)
	if err != nil {
		return Job{}, err
	}
	j := Job{
		ID: w.ID, Type: w.Type, Version: w.Version, IdempotencyKey: w.IdempotencyKey,
		ParentID: w.ParentID, CorrelationID: w.CorrelationID, CreatedAt: created, Payload: raw,
	}
	if j.Version == 0 {
		j.Version = 1
	}
	if j.IdempotencyKey == "" {
		j.IdempotencyKey = j.ID
	}
	// The payload is valid JSON (the decoder checked it), so one that is
	// already canonical is kept as it is.
	if len(j.Payload) > 0 && string(j.Payload) != "null" && !isCanonical(j.Payload) {
		canon, err := canonicalJSON(j.Payload)
		if err != nil {
			return Job{}, jsonError("job.payload", err)
		}
		j.Payload = canon
	}
	if err := j.Validate(); err != nil {
		return Job{}, err
	}
	return j, nil
}

// jobWire is Job as it is decoded: created_at as a string, so a bad time is
// reported with its field name. Payload holds a pointer to what the payload
// decodes into: a *json.RawMessage on the general path, the typed payload
// on the fast one (encoding/json leaves it nil for a JSON null).
type jobWire struct {
	ID             string `json:"id"`
	Type           string `json:"type"`
	Version        int    `json:"version"`
	IdempotencyKey string `json:"idempotency_key"`
	ParentID       string `json:"parent_id"`
	CorrelationID  string `json:"correlation_id"`
	CreatedAt      string `json:"created_at"`
	Payload        any    `json:"payload"`
}

// Encode validates the job and returns its JSON encoding.
func (j Job) Encode() ([]byte, error) {
	if err := j.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("encode job %s: %w", j.ID, err)
	}
	if len(b) > MaxJobSize {
		return nil, &ValidationError{Field: "job", Reason: fmt.Sprintf("%d bytes encoded, over the %d-byte limit: put large inputs in the blob store and pass their key", len(b), MaxJobSize)}
	}
	return b, nil
}

// Validate checks the envelope and the payload of the job's type, and
// returns a [*ValidationError] naming the first bad field, such as
// `job.type: unknown job type "x"`.
func (j Job) Validate() error {
	if err := j.validateEnvelope(); err != nil {
		return err
	}
	return within("job", validatePayload(j.Type, j.Payload))
}

// validateEnvelope checks everything but the payload's content: that it
// is a JSON object of at most MaxJobSize bytes.
func (j Job) validateEnvelope() error {
	if err := mustBeULID("job.id", j.ID); err != nil {
		return err
	}
	if j.Type == "" {
		return &ValidationError{Field: "job.type", Reason: "required"}
	}
	if !knownType(j.Type) {
		return &ValidationError{Field: "job.type", Reason: fmt.Sprintf("unknown job type %q (known: %s)", clip(j.Type), strings.Join(JobTypes(), ", "))}
	}
	if j.Version < 1 || j.Version > CurrentVersion {
		return &ValidationError{Field: "job.version", Reason: fmt.Sprintf("unsupported version %d of %s (this build reads 1 to %d)", j.Version, j.Type, CurrentVersion)}
	}
	if err := checkKey("job.idempotency_key", j.IdempotencyKey, maxIdempotencyKeyLen, true); err != nil {
		return err
	}
	if j.ParentID != "" {
		if err := mustBeULID("job.parent_id", j.ParentID); err != nil {
			return err
		}
	}
	if err := checkKey("job.correlation_id", j.CorrelationID, maxCorrelationIDLen, false); err != nil {
		return err
	}
	if j.CreatedAt.IsZero() {
		return &ValidationError{Field: "job.created_at", Reason: "required"}
	}
	if y := j.CreatedAt.UTC().Year(); y < 1970 || y > 9999 {
		return &ValidationError{Field: "job.created_at", Reason: fmt.Sprintf("year %d is outside 1970 to 9999", y)}
	}
	if len(j.Payload) == 0 || string(j.Payload) == "null" {
		return &ValidationError{Field: "job.payload", Reason: "required"}
	}
	if len(j.Payload) > MaxJobSize {
		return &ValidationError{Field: "job.payload", Reason: fmt.Sprintf("%d bytes, over the %d-byte limit: put large inputs in the blob store and pass their key", len(j.Payload), MaxJobSize)}
	}
	return mustBeObject("job.payload", j.Payload)
}

// DecodePayload decodes the job's payload into v, a pointer to the payload
// type of the job's type ([FetchDocument], [ExtractTables], [NotifyEmail]),
// and validates it when v has a Validate method. Errors are
// [*ValidationError]s, and so permanent.
func (j Job) DecodePayload(v any) error {
	if len(j.Payload) == 0 || string(j.Payload) == "null" {
		return &ValidationError{Field: "job.payload", Reason: "required"}
	}
	if err := json.Unmarshal(j.Payload, v); err != nil {
		return jsonError("job.payload", err)
	}
	if val, ok := v.(interface{ Validate() error }); ok {
		return within("job", val.Validate())
	}
	return nil
}

// checkKey validates a free-form identifier: at most maxLen bytes of valid
// UTF-8, with no control characters and no braces (reserved, so a key can be
// embedded in storage keys that use braces as delimiters).
func checkKey(field, s string, maxLen int, required bool) error {
	switch {
	case s == "":
		if required {
			return &ValidationError{Field: field, Reason: "required"}
		}
		return nil
	case len(s) > maxLen:
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%d bytes, over the %d-byte limit", len(s), maxLen)}
	case !utf8.ValidString(s):
		return &ValidationError{Field: field, Reason: "not valid UTF-8"}
	case strings.ContainsAny(s, "{}"):
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%q contains a brace, which is reserved", clip(s))}
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return &ValidationError{Field: field, Reason: fmt.Sprintf("%q contains a control character", clip(s))}
		}
	}
	return nil
}
