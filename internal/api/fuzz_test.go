package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/quarry-dev/quarry/internal/api"
)

// FuzzPublishBody sends arbitrary bodies to POST /v1/jobs: the answer is
// always a decision (202, 400, 413), with a JSON body, never a failure of
// the server, and a 400 names a field.
func FuzzPublishBody(f *testing.F) {
	for _, seed := range []string{
		`{"type":"notify.email","payload":{"recipients":["a@example.org"],"template":"t"}}`,
		`{"jobs":[{"type":"fetch.document","payload":{"recipe":"r","key":"k"},"idempotency_key":"x"}]}`,
		`{"type":"extract.tables","payload":{"pdf_key":"jobs/x/doc.pdf"}}`,
		`{"jobs":[]}`, `{"type":1}`, `[]`, `null`, `{"payload":{"id":"\u0000"}}`, `{"type":"notify.email","payload":{},"jobs":[{}]}`,
	} {
		f.Add(seed)
	}
	b := setup(f, func(c *api.Config) { c.RatePerMinute, c.RateBurst = 1_000_000, 1_000_000 })
	token := b.keys.Token(f, "admin")
	f.Fuzz(func(t *testing.T, body string) {
		if body == "" {
			return
		}
		status, out := b.do(t, token, "POST", "/v1/jobs", body)
		switch status {
		case http.StatusAccepted:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			var e struct{ Error, Field string }
			if err := json.Unmarshal(out, &e); err != nil || e.Error == "" || e.Field == "" {
				t.Fatalf("%d without a field: %s", status, out)
			}
		default:
			t.Fatalf("body %q: %d %s", body, status, out)
		}
	})
}

// BenchmarkRejectedPublish is the cost a request pays before its handler:
// the RS256 token, the subject's rate (Redis), its permissions (Redis),
// reading the body and the OpenAPI validation, which refuses it.
func BenchmarkRejectedPublish(b *testing.B) {
	tb := setup(b, func(c *api.Config) { c.RatePerMinute, c.RateBurst = 1<<30, 1<<30 })
	token := tb.keys.Token(b, "admin")
	for b.Loop() {
		if status, _ := tb.do(b, token, "POST", "/v1/jobs", `{"type":"nope","payload":{}}`); status != http.StatusBadRequest {
			b.Fatalf("status %d", status)
		}
	}
}

// BenchmarkQueues is one GET /v1/queues: the request path and the depth of
// every queue and DLQ (two SQS calls each) from localaws.
func BenchmarkQueues(b *testing.B) {
	tb := setup(b, func(c *api.Config) { c.RatePerMinute, c.RateBurst = 1<<30, 1<<30 })
	token := tb.keys.Token(b, "reader")
	for b.Loop() {
		if status, _ := tb.do(b, token, "GET", "/v1/queues", ""); status != http.StatusOK {
			b.Fatalf("status %d", status)
		}
	}
}
