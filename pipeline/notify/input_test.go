package notify

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/messages"
)

// rawJob builds a notify.email job around a payload that NewJob would
// refuse, as a broken producer might publish it.
func rawJob(t *testing.T, payload string) messages.Job {
	t.Helper()
	id, err := messages.NewID(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return messages.Job{
		ID: id, Type: messages.TypeNotifyEmail, Version: 1, IdempotencyKey: id,
		CreatedAt: time.Now().UTC(), Payload: json.RawMessage(payload),
	}
}

func TestBadInputIsPermanent(t *testing.T) {
	t.Parallel()
	tb := setup(t, redistest.Open(t)[0], setupOptions{config: func(c *HandlerConfig) { c.MaxMessageBytes = 20_000 }})
	tb.putBlob(t, "jobs/x/small.csv", []byte("a,b\r\n1,2\r\n"))
	tb.putBlob(t, "jobs/x/big.xlsx", bytes.Repeat([]byte{0xAB}, 16_000))
	tb.putBlob(t, "jobs/x/half.xlsx", bytes.Repeat([]byte{0xAB}, 9_000))
	tb.putBlob(t, "jobs/x/half.pdf", bytes.Repeat([]byte{0xAB}, 10_000))
	tb.putBlob(t, "jobs/x/run.exe", []byte("MZ"))
	data := tablesData()
	missingKey := tablesData()
	delete(missingKey, "pages")
	wrongType := tablesData()
	wrongType["outputs"] = 5

	for _, tc := range []struct {
		name string
		job  messages.Job
		want []string // in the error
	}{
		{
			name: "address that is not one",
			job:  rawJob(t, `{"recipients":["a@example.org","not an address"],"template":"tables-ready"}`),
			want: []string{"payload.recipients[1]", "not an address"},
		},
		{
			name: "address SES cannot send to",
			job:  newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org", "josé@example.org"}, Template: "tables-ready", TemplateData: data}),
			want: []string{"payload.recipients[1]", "josé@example.org", "non-ASCII local part"},
		},
		{
			name: "missing template",
			job:  newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "no-such-template", TemplateData: data}),
			want: []string{`template "no-such-template" not found`, "tables-ready"},
		},
		{
			name: "data without a key the template uses",
			job:  newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: missingKey}),
			want: []string{`template "tables-ready"`, `map has no entry for key "pages"`},
		},
		{
			name: "data of the wrong type",
			job:  newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: wrongType}),
			want: []string{`template "tables-ready"`, "range can't iterate over 5"},
		},
		{
			name: "attachment over the size limit",
			job:  newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: data, Attachments: []string{"jobs/x/small.csv", "jobs/x/big.xlsx"}}),
			want: []string{`attachment "jobs/x/big.xlsx" is more than 15000 bytes`, "at most 20000 bytes"},
		},
		{
			name: "attachments together over the size limit",
			job:  newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: data, Attachments: []string{"jobs/x/half.xlsx", "jobs/x/half.pdf"}}),
			want: []string{`largest attachment is "jobs/x/half.pdf", 10000 bytes (13686 in base64)`, "over the limit of 20000 bytes", "2 attachments totalling 26000 bytes"},
		},
		{
			name: "missing attachment",
			job:  newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: data, Attachments: []string{"jobs/x/small.csv", "jobs/x/gone.csv"}}),
			want: []string{`attachment "jobs/x/gone.csv" is not in the blob store`},
		},
		{
			name: "file type SES refuses",
			job:  newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready", TemplateData: data, Attachments: []string{"jobs/x/run.exe"}}),
			want: []string{"run.exe", "SES refuses .exe files"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tb.run(t, tc.job)
			if !messages.IsPermanent(err) {
				t.Fatalf("got %v, want a permanent error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			// Nothing was sent or claimed.
			lease := tb.claim(t, tc.job, time.Minute)
			defer tb.store.Release(t.Context(), lease)
			c, err := tb.store.ClaimEffect(t.Context(), lease, "email:a@example.org")
			if err != nil || c.Status != idempotency.EffectAcquired {
				t.Errorf("effect after a bad job: %v %v, want never claimed", c.Status, err)
			}
		})
	}
	if n := len(mailbox(t, tb.ep)); n != 0 {
		t.Errorf("%d messages sent for bad jobs", n)
	}
}

func TestRejectedMessageIsPermanentAfterTheOthers(t *testing.T) {
	t.Parallel()
	b := redistest.Open(t)[0]
	// An unverified sender: SES rejects each message (MessageRejected).
	tb := setup(t, b, setupOptions{config: func(c *HandlerConfig) { c.From = "Quarry <results@unverified.example>" }})
	job := newJob(t, messages.NotifyEmail{Recipients: []string{"a@example.org", "b@example.org"}, Template: "tables-ready", TemplateData: tablesData()})
	_, err := tb.run(t, job)
	if !messages.IsPermanent(err) {
		t.Fatalf("got %v, want a permanent error", err)
	}
	for _, w := range []string{"SES rejected the message to recipient " + tb.supp.Hash("a@example.org"), "SES rejected the message to recipient " + tb.supp.Hash("b@example.org"), "not verified"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "a@example.org") || strings.Contains(err.Error(), "b@example.org") {
		t.Errorf("error %q names a recipient's address (logs and DLQ attributes carry it)", err)
	}
	if tb.counted(metricRejected) != 2 {
		t.Errorf("rejected counter %v, want 2", tb.counted(metricRejected))
	}
}
