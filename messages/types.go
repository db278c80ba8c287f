package messages

import "encoding/json"

// Job types. Each has a payload type with its own Validate, and a queue the
// SNS subscription's job_type filter routes it to.
const (
	// TypeFetchDocument runs a site recipe to fetch a PDF; payload
	// [FetchDocument].
	TypeFetchDocument = "fetch.document"
	// TypeExtractTables extracts the tables of a PDF in the blob store;
	// payload [ExtractTables].
	TypeExtractTables = "extract.tables"
	// TypeNotifyEmail mails a templated message through SES, once per
	// recipient; payload [NotifyEmail].
	TypeNotifyEmail = "notify.email"
)

// CurrentVersion is the payload schema version this build writes, and the
// highest it reads, for every job type. A change that old workers cannot
// read raises it; old workers then refuse the new jobs (to the DLQ, to be
// redriven once they are upgraded) instead of misreading them.
const CurrentVersion = 1

// JobTypes returns the known job types, sorted.
func JobTypes() []string {
	return []string{TypeExtractTables, TypeFetchDocument, TypeNotifyEmail}
}

func knownType(t string) bool {
	switch t {
	case TypeFetchDocument, TypeExtractTables, TypeNotifyEmail:
		return true
	}
	return false
}

// validatePayload decodes raw as the payload of type t and validates it.
// Field names are relative to the job ("payload.recipients[0]").
func validatePayload(t string, raw json.RawMessage) error {
	p := newPayload(t)
	if p == nil {
		return &ValidationError{Field: "type", Reason: "unknown job type"}
	}
	if err := json.Unmarshal(raw, p); err != nil {
		return jsonError("payload", err)
	}
	return p.Validate()
}

// newPayload returns a new zero payload of job type t to decode into, or
// nil for an unknown type.
func newPayload(t string) interface{ Validate() error } {
	switch t {
	case TypeFetchDocument:
		return new(FetchDocument)
	case TypeExtractTables:
		return new(ExtractTables)
	case TypeNotifyEmail:
		return new(NotifyEmail)
	}
	return nil
}
