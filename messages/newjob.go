package messages

import (
	"cmp"
	"encoding/json"
	"fmt"
	"time"
)

// JobOption sets an optional field of a job built by [NewJob] or [Child].
type JobOption func(*jobOptions)

type jobOptions struct {
	id             string
	idempotencyKey string
	correlationID  string
	stage          string
	now            time.Time
	ids            *IDGenerator
}

// WithIdempotencyKey sets the job's idempotency key, so separately published
// copies of one request (a retried HTTP call, a re-run import) run once.
// Without it the key is the job's id.
func WithIdempotencyKey(key string) JobOption {
	return func(o *jobOptions) { o.idempotencyKey = key }
}

// WithCorrelationID sets the id that ties the jobs of one request together
// in logs. [Child] inherits it; it cannot be changed for a child.
func WithCorrelationID(id string) JobOption {
	return func(o *jobOptions) { o.correlationID = id }
}

// WithID sets the job's id instead of generating one; for republishing a
// job under its original id. It must be a ULID. [Child] ignores it: a
// child's id is always derived.
func WithID(id string) JobOption {
	return func(o *jobOptions) { o.id = id }
}

// WithTime sets created_at instead of time.Now; without [WithIDGenerator]
// it also sets the generated id's timestamp.
func WithTime(t time.Time) JobOption {
	return func(o *jobOptions) { o.now = t }
}

// WithIDGenerator generates the id with g, so ids of jobs built in one
// millisecond are ordered.
func WithIDGenerator(g *IDGenerator) JobOption {
	return func(o *jobOptions) { o.ids = g }
}

// WithStage names the child among its parent's children for [ChildID];
// without it the stage is the child's job type. A parent that publishes
// several children of one type gives each a distinct stage
// ("notify.email#2").
func WithStage(stage string) JobOption {
	return func(o *jobOptions) { o.stage = stage }
}

// NewJob builds a root job of type typ with payload, which is a payload
// struct ([FetchDocument], [ExtractTables], [NotifyEmail]) or its JSON as
// json.RawMessage or []byte. The job gets a new ULID, version
// [CurrentVersion], created_at now, and its id as idempotency key unless
// options say otherwise. The result is validated.
func NewJob(typ string, payload any, opts ...JobOption) (Job, error) {
	o := applyOptions(opts)
	id := o.id
	if id == "" {
		var err error
		if o.ids != nil {
			id, err = o.ids.New()
		} else {
			id, err = NewID(o.now)
		}
		if err != nil {
			return Job{}, fmt.Errorf("new %s job: %w", typ, err)
		}
	}
	raw, err := encodePayload(payload)
	if err != nil {
		return Job{}, fmt.Errorf("new %s job: %w", typ, err)
	}
	j := Job{
		ID:             id,
		Type:           typ,
		Version:        CurrentVersion,
		IdempotencyKey: cmp.Or(o.idempotencyKey, id),
		CorrelationID:  o.correlationID,
		CreatedAt:      o.now.UTC(),
		Payload:        raw,
	}
	if err := j.Validate(); err != nil {
		return Job{}, err
	}
	return j, nil
}

// Child builds the job a parent publishes for its next stage. The child's id
// is [ChildID](parent.ID, stage), where stage is typ unless [WithStage] says
// otherwise, so a retried parent builds the same child; its idempotency key
// is that id (unless [WithIdempotencyKey]), its ParentID the parent's id and
// its CorrelationID the parent's (or, for a root parent without one, the
// parent's id).
//
// For the copies to be swallowed as duplicates rather than refused as
// payload conflicts, the parent must build the same payload on every retry:
// derive it from the parent's payload and from stable names (blob keys made
// from the job id), not from the clock.
func Child(parent Job, typ string, payload any, opts ...JobOption) (Job, error) {
	o := applyOptions(opts)
	id, err := ChildID(parent.ID, cmp.Or(o.stage, typ))
	if err != nil {
		return Job{}, fmt.Errorf("child %s of job %s: %w", typ, parent.ID, err)
	}
	raw, err := encodePayload(payload)
	if err != nil {
		return Job{}, fmt.Errorf("child %s of job %s: %w", typ, parent.ID, err)
	}
	j := Job{
		ID:             id,
		Type:           typ,
		Version:        CurrentVersion,
		IdempotencyKey: cmp.Or(o.idempotencyKey, id),
		ParentID:       parent.ID,
		CorrelationID:  cmp.Or(parent.CorrelationID, parent.ID),
		CreatedAt:      o.now.UTC(),
		Payload:        raw,
	}
	if err := j.Validate(); err != nil {
		return Job{}, err
	}
	return j, nil
}

func applyOptions(opts []JobOption) jobOptions {
	var o jobOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.now.IsZero() {
		if o.ids != nil {
			o.now = o.ids.now()
		} else {
			o.now = time.Now()
		}
	}
	return o
}

// encodePayload returns the canonical JSON of a payload value.
func encodePayload(payload any) (json.RawMessage, error) {
	var raw []byte
	switch p := payload.(type) {
	case json.RawMessage:
		raw = p
	case []byte:
		raw = p
	default:
		b, err := json.Marshal(payload)
		if err != nil {
			return nil, fmt.Errorf("encode payload: %w", err)
		}
		return b, nil
	}
	canon, err := canonicalJSON(raw)
	if err != nil {
		return nil, jsonError("job.payload", err)
	}
	return canon, nil
}
