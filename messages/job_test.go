package messages_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/messages"
)

var (
	t0     = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	notify = messages.NotifyEmail{Recipients: []string{"jane@example.org"}, Template: "tables-ready"}
	fetch  = messages.FetchDocument{
		Recipe: "county-permits", Key: "BP-2025-004211",
		Extract: &messages.ExtractOptions{Pages: "1-3"},
		Notify:  &messages.NotifyOptions{Recipients: []string{"ops@example.com"}, Template: "tables-ready"},
	}
)

func mustJob(t *testing.T, typ string, payload any, opts ...messages.JobOption) messages.Job {
	t.Helper()
	j, err := messages.NewJob(typ, payload, opts...)
	if err != nil {
		t.Fatalf("NewJob(%s): %v", typ, err)
	}
	return j
}

func TestNewJobDefaults(t *testing.T) {
	t.Parallel()
	j := mustJob(t, messages.TypeNotifyEmail, notify, messages.WithTime(t0))
	if !messages.ValidID(j.ID) {
		t.Errorf("id %q is not a ULID", j.ID)
	}
	if ts, _ := messages.IDTime(j.ID); !ts.Equal(t0) {
		t.Errorf("id time %v, want %v", ts, t0)
	}
	if j.IdempotencyKey != j.ID {
		t.Errorf("idempotency key %q, want the id %q", j.IdempotencyKey, j.ID)
	}
	if j.Version != messages.CurrentVersion || !j.CreatedAt.Equal(t0) || j.ParentID != "" || j.CorrelationID != "" {
		t.Errorf("unexpected envelope %+v", j)
	}
	if got := string(j.Payload); got != `{"recipients":["jane@example.org"],"template":"tables-ready"}` {
		t.Errorf("payload %s", got)
	}

	k := mustJob(t, messages.TypeNotifyEmail, json.RawMessage(`{ "recipients": ["jane@example.org"],
		"template": "tables-ready" }`), messages.WithIdempotencyKey("import/row-17"), messages.WithCorrelationID("req-9"))
	if k.IdempotencyKey != "import/row-17" || k.CorrelationID != "req-9" {
		t.Errorf("options not applied: %+v", k)
	}
	if string(k.Payload) != string(j.Payload) {
		t.Errorf("raw payload not compacted: %s", k.Payload)
	}
}

func TestNewJobRefusesInvalidJobs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		typ     string
		payload any
		opts    []messages.JobOption
		want    string
	}{
		{"unknown type", "paint.fence", notify, nil, `job.type: unknown job type "paint.fence"`},
		{"bad payload", messages.TypeNotifyEmail, messages.NotifyEmail{Template: "t"}, nil, "job.payload.recipients: at least one recipient required"},
		{"nil payload", messages.TypeNotifyEmail, nil, nil, "job.payload: required"},
		{"raw not JSON", messages.TypeNotifyEmail, []byte("{nope"), nil, "job.payload: not valid JSON"},
		{"bad id", messages.TypeNotifyEmail, notify, []messages.JobOption{messages.WithID("nope")}, "job.id:"},
		{"brace key", messages.TypeNotifyEmail, notify, []messages.JobOption{messages.WithIdempotencyKey("a{b}")}, "job.idempotency_key:"},
		{"oversized", messages.TypeNotifyEmail, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "t", TemplateData: map[string]any{"x": strings.Repeat("x", messages.MaxJobSize)}}, nil, "job.payload: 262"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := messages.NewJob(tc.typ, tc.payload, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if !messages.IsPermanent(err) {
				t.Errorf("%v is not permanent", err)
			}
		})
	}
}

func TestChild(t *testing.T) {
	t.Parallel()
	root := mustJob(t, messages.TypeFetchDocument, fetch, messages.WithTime(t0))
	payload := messages.ExtractTables{PDFKey: "jobs/" + root.ID + "/document.pdf", Pages: "1-3"}
	c1, err := messages.Child(root, messages.TypeExtractTables, payload)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := messages.Child(root, messages.TypeExtractTables, payload) // a retried parent
	if err != nil {
		t.Fatal(err)
	}
	if c1.ID != c2.ID || c1.IdempotencyKey != c1.ID || messages.PayloadHash(c1) != messages.PayloadHash(c2) {
		t.Errorf("a retried parent built a different child: %+v vs %+v", c1, c2)
	}
	wantID, _ := messages.ChildID(root.ID, messages.TypeExtractTables)
	if c1.ID != wantID || c1.ParentID != root.ID || c1.CorrelationID != root.ID {
		t.Errorf("child %+v: want id %s, parent and correlation %s", c1, wantID, root.ID)
	}

	grandchild, err := messages.Child(c1, messages.TypeNotifyEmail, notify)
	if err != nil {
		t.Fatal(err)
	}
	if grandchild.CorrelationID != root.ID || grandchild.ParentID != c1.ID {
		t.Errorf("grandchild %+v: want correlation %s (the root) and parent %s", grandchild, root.ID, c1.ID)
	}
	second, err := messages.Child(c1, messages.TypeNotifyEmail, notify, messages.WithStage("notify.email#2"))
	if err != nil {
		t.Fatal(err)
	}
	if second.ID == grandchild.ID {
		t.Error("WithStage did not change the child id")
	}

	correlated := mustJob(t, messages.TypeFetchDocument, fetch, messages.WithCorrelationID("req-9"))
	c, err := messages.Child(correlated, messages.TypeExtractTables, payload)
	if err != nil {
		t.Fatal(err)
	}
	if c.CorrelationID != "req-9" {
		t.Errorf("child correlation %q, want the parent's req-9", c.CorrelationID)
	}

	if _, err := messages.Child(messages.Job{}, messages.TypeExtractTables, payload); err == nil {
		t.Error("Child of a parent without an id succeeded")
	}
}

func TestValidateNamesTheField(t *testing.T) {
	t.Parallel()
	good := mustJob(t, messages.TypeNotifyEmail, notify, messages.WithTime(t0))
	for _, tc := range []struct {
		name   string
		mutate func(*messages.Job)
		field  string
	}{
		{"missing id", func(j *messages.Job) { j.ID = "" }, "job.id"},
		{"missing type", func(j *messages.Job) { j.Type = "" }, "job.type"},
		{"version 0", func(j *messages.Job) { j.Version = 0 }, "job.version"},
		{"future version", func(j *messages.Job) { j.Version = 2 }, "job.version"},
		{"missing key", func(j *messages.Job) { j.IdempotencyKey = "" }, "job.idempotency_key"},
		{"control char key", func(j *messages.Job) { j.IdempotencyKey = "a\nb" }, "job.idempotency_key"},
		{"long key", func(j *messages.Job) { j.IdempotencyKey = strings.Repeat("k", 513) }, "job.idempotency_key"},
		{"bad parent", func(j *messages.Job) { j.ParentID = "x" }, "job.parent_id"},
		{"long correlation", func(j *messages.Job) { j.CorrelationID = strings.Repeat("c", 129) }, "job.correlation_id"},
		{"no created_at", func(j *messages.Job) { j.CreatedAt = time.Time{} }, "job.created_at"},
		{"ancient created_at", func(j *messages.Job) { j.CreatedAt = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC) }, "job.created_at"},
		{"no payload", func(j *messages.Job) { j.Payload = nil }, "job.payload"},
		{"payload null", func(j *messages.Job) { j.Payload = json.RawMessage("null") }, "job.payload"},
		{"payload string", func(j *messages.Job) { j.Payload = json.RawMessage(`"x"`) }, "job.payload"},
		{"payload for another type", func(j *messages.Job) { j.Type = messages.TypeExtractTables }, "job.payload.pdf_key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := good
			tc.mutate(&j)
			err := j.Validate()
			var ve *messages.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("got %v, want a ValidationError on %s", err, tc.field)
			}
		})
	}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid job: %v", err)
	}
}

func TestDecodeJobRoundTrip(t *testing.T) {
	t.Parallel()
	j := mustJob(t, messages.TypeFetchDocument, fetch, messages.WithIdempotencyKey("import/17"))
	b, err := j.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := messages.DecodeJob(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != j.ID || got.IdempotencyKey != "import/17" || !got.CreatedAt.Equal(j.CreatedAt) || string(got.Payload) != string(j.Payload) {
		t.Errorf("round trip changed the job:\n got %+v\nwant %+v", got, j)
	}
	var p messages.FetchDocument
	if err := got.DecodePayload(&p); err != nil {
		t.Fatal(err)
	}
	if p.Recipe != fetch.Recipe || p.Notify == nil || p.Notify.Template != "tables-ready" {
		t.Errorf("payload %+v", p)
	}
	var wrong messages.NotifyEmail
	err = got.DecodePayload(&wrong) // a fetch payload is not a valid notify payload
	var ve *messages.ValidationError
	if !errors.As(err, &ve) || ve.Field != "job.payload.recipients" {
		t.Errorf("DecodePayload into the wrong type: %v", err)
	}
}

func TestDecodeJobRefusesOversizedInput(t *testing.T) {
	t.Parallel()
	big := `{"pad":"` + strings.Repeat("x", messages.MaxJobSize) + `"}`
	_, err := messages.DecodeJob([]byte(big))
	if err == nil || !strings.Contains(err.Error(), "over the 262144-byte limit") {
		t.Fatalf("got %v", err)
	}
}

func TestDecodeDelivery(t *testing.T) {
	t.Parallel()
	j := mustJob(t, messages.TypeNotifyEmail, notify)
	b, _ := j.Encode()
	got, err := messages.DecodeDelivery(string(b))
	if err != nil || got.ID != j.ID {
		t.Fatalf("DecodeDelivery: %+v, %v", got, err)
	}
	ses := `{"eventType":"Send","mail":{"messageId":"m-1","destination":["a@example.org"]},"send":{}}`
	if _, err := messages.DecodeDelivery(ses); err == nil || !messages.IsPermanent(err) || !strings.Contains(err.Error(), "not a job") {
		t.Fatalf("DecodeDelivery of an SES event: %v", err)
	}
}
