package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/internal/api"
	"github.com/quarry-dev/quarry/internal/jobstatus"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/pipeline/suppression"
)

// TestPublishThenFollowTheJob publishes one job and a batch, sees them in
// the queue view, and reads a dead-lettered job's report, which is the
// report `quarry status JOB_ID` prints.
func TestPublishThenFollowTheJob(t *testing.T) {
	b := setup(t)
	pub, reader := b.keys.Token(t, "publisher"), b.keys.Token(t, "reader")
	one := `{"type":"notify.email","payload":{"recipients":["a@example.org"],"template":"tables-ready","id":"order-1"}}`
	status, body := b.do(t, pub, "POST", "/v1/jobs", one)
	if status != http.StatusAccepted {
		t.Fatalf("publish one: %d %s", status, body)
	}
	var res struct {
		Jobs []api.PublishedJob
	}
	decode := func(body []byte) {
		t.Helper()
		res.Jobs = nil
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatal(err)
		}
	}
	decode(body)
	if len(res.Jobs) != 1 || !res.Jobs[0].Published || res.Jobs[0].MessageID == "" || res.Jobs[0].IdempotencyKey != "publish:notify.email:id:order-1" {
		t.Fatalf("publish one: %s", body)
	}
	var batch []string
	for i := range 12 {
		batch = append(batch, `{"type":"fetch.document","payload":{"recipe":"sample-records","key":"K-`+string(rune('a'+i))+`"},"idempotency_key":"k-`+string(rune('a'+i))+`"}`)
	}
	status, body = b.do(t, pub, "POST", "/v1/jobs", `{"jobs":[`+strings.Join(batch, ",")+`]}`)
	if status != http.StatusAccepted {
		t.Fatalf("publish a batch: %d %s", status, body)
	}
	decode(body)
	if len(res.Jobs) != 12 || res.Jobs[11].IdempotencyKey != "k-l" || !res.Jobs[11].Published {
		t.Fatalf("batch: %s", body)
	}
	if n := b.visible(t, "fetch"); n != 12 {
		t.Errorf("fetch queue: %d messages, want 12", n)
	}
	// The publisher may not read, the reader may not publish.
	if status, _ := b.do(t, pub, "GET", "/v1/queues", ""); status != http.StatusForbidden {
		t.Errorf("publisher reads the queues: %d", status)
	}
	if status, _ := b.do(t, reader, "POST", "/v1/jobs", one); status != http.StatusForbidden {
		t.Errorf("reader publishes: %d", status)
	}

	status, body = b.do(t, reader, "GET", "/v1/queues", "")
	var qs jobstatus.Queues
	if err := json.Unmarshal(body, &qs); status != http.StatusOK || err != nil {
		t.Fatalf("queues: %d %s", status, body)
	}
	for _, q := range qs.Queues {
		want, ok := map[string]int{"fetch": 12, "notify": 1, "extract": 0}[q.Role]
		if ok && (q.Queue.Visible != want || q.Queue.OldestAgeSeconds == nil) {
			t.Errorf("queue %s: %+v, want %d visible and an age from localaws", q.Role, q.Queue, want)
		}
	}

	dead := b.deadLetter(t, "notify", "permanent: template not found")
	status, body = b.do(t, reader, "GET", "/v1/jobs/"+dead.ID, "")
	var rep jobstatus.Report
	if err := json.Unmarshal(body, &rep); status != http.StatusOK || err != nil {
		t.Fatalf("job report: %d %s", status, body)
	}
	if !rep.Found || len(rep.Stages) != 1 || rep.Stages[0].State != jobstatus.StateDeadLettered ||
		rep.Stages[0].DeadLetter == nil || rep.Stages[0].DeadLetter.Reason != "permanent: template not found" {
		t.Fatalf("job report: %s", body)
	}
	unknown, err := messages.NewJob(messages.TypeNotifyEmail, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if status, body := b.do(t, reader, "GET", "/v1/jobs/"+unknown.ID, ""); status != http.StatusNotFound || !strings.Contains(string(body), `"found":false`) {
		t.Errorf("unknown job: %d %s", status, body)
	}
	// The claim records are read too: a job a worker completed is done.
	ctx := context.Background()
	claims := idempotency.NewStore(b.rdb, b.prefix)
	c, err := claims.ClaimJob(ctx, unknown, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := claims.Complete(ctx, c.Lease, []byte(`{"template":"t","recipients":[]}`), 0); err != nil {
		t.Fatal(err)
	}
	status, body = b.do(t, reader, "GET", "/v1/jobs/"+unknown.ID, "")
	rep = jobstatus.Report{}
	if err := json.Unmarshal(body, &rep); status != http.StatusOK || err != nil || len(rep.Stages) != 1 ||
		rep.Stages[0].State != jobstatus.StateDone || rep.Stages[0].Stage != "notify" || !rep.Stages[0].Asked {
		t.Fatalf("completed job: %d %s", status, body)
	}
}

// TestPeekAndDeleteADeadLetter reads a DLQ with its reasons and deletes
// one message by id.
func TestPeekAndDeleteADeadLetter(t *testing.T) {
	b := setup(t)
	admin := b.keys.Token(t, "admin")
	first := b.deadLetter(t, "extract", "permanent: not a PDF")
	second := b.deadLetter(t, "extract", "permanent: no tables")
	peek := func() []infra.DeadLetter {
		t.Helper()
		status, body := b.do(t, admin, "GET", "/v1/dlq/quarry-extract-dlq?n=10", "")
		var out struct {
			Queue    string
			Messages []infra.DeadLetter
		}
		if err := json.Unmarshal(body, &out); status != http.StatusOK || err != nil || out.Queue != "quarry-extract-dlq" {
			t.Fatalf("peek: %d %s", status, body)
		}
		return out.Messages
	}
	letters := peek()
	if len(letters) != 2 {
		t.Fatalf("peek: %d letters", len(letters))
	}
	byJob := map[string]infra.DeadLetter{}
	for _, l := range letters {
		if l.Job == nil {
			t.Fatalf("undecoded letter: %+v", l)
		}
		byJob[l.Job.ID] = l
	}
	if byJob[first.ID].Reason != "permanent: not a PDF" || byJob[second.ID].Reason != "permanent: no tables" {
		t.Fatalf("reasons: %+v", byJob)
	}
	if status, body := b.do(t, admin, "DELETE", "/v1/dlq/extract/"+url.PathEscape(byJob[first.ID].MessageID), ""); status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", status, body)
	}
	if left := peek(); len(left) != 1 || left[0].Job.ID != second.ID {
		t.Fatalf("after delete: %+v", left)
	}
	if !strings.Contains(b.logs.String(), `"message_id":"`+byJob[first.ID].MessageID+`"`) {
		t.Errorf("the delete has no audit line:\n%s", b.logs.String())
	}
}

// TestSuppressionsKeepTheCLIRules adds, checks, lists and lifts
// suppressions, with the caller as the actor and the second approver a
// complaint removal needs.
func TestSuppressionsKeepTheCLIRules(t *testing.T) {
	var ses *sesv2.Client
	b := setup(t, func(c *api.Config) {
		c.Mirror = func(ctx context.Context, address string, r suppression.Reason, add bool) error {
			return infra.MirrorSuppression(ctx, ses, address, string(r), add)
		}
	})
	ses = b.clients.SES
	inSES := func() bool {
		t.Helper()
		_, err := ses.GetSuppressedDestination(context.Background(), &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String("ann@example.org")})
		if _, missing := errors.AsType[*sestypes.NotFoundException](err); missing {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		return true
	}
	admin := b.keys.Token(t, "admin")
	if status, body := b.do(t, admin, "POST", "/v1/suppressions", `{"address":"Ann@Example.org","reason":"asked by phone","kind":"complaint"}`); status != http.StatusCreated {
		t.Fatalf("add: %d %s", status, body)
	}
	if status, _ := b.do(t, admin, "POST", "/v1/suppressions", `{"address":"ann@example.org","reason":"again","kind":"complaint"}`); status != http.StatusOK {
		t.Fatalf("add again: %d", status)
	}
	if !inSES() {
		t.Fatal("the complaint was not mirrored into SES's suppression list")
	}
	status, body := b.do(t, b.keys.Token(t, "reader"), "GET", "/v1/suppressions?address=ann@example.org", "")
	var check struct {
		Suppressed bool
		Active     []string
		Record     struct {
			Entries []struct {
				CreatedBy string `json:"created_by"`
			}
		}
		Audit []struct{ Actor string }
	}
	if err := json.Unmarshal(body, &check); status != http.StatusOK || err != nil || !check.Suppressed || check.Active[0] != "complaint" ||
		check.Record.Entries[0].CreatedBy != "admin" || len(check.Audit) != 1 || check.Audit[0].Actor != "admin" {
		t.Fatalf("check: %d %s", status, body)
	}
	if status, body := b.do(t, admin, "GET", "/v1/suppressions?reason=complaint", ""); status != http.StatusOK || !strings.Contains(string(body), `"address":"ann@example.org"`) {
		t.Fatalf("list: %d %s", status, body)
	}
	// Without kind=complaint the complaint stays; without a second person
	// it cannot go; the caller cannot approve their own removal.
	if status, body := b.do(t, admin, "DELETE", "/v1/suppressions?address=ann@example.org&reason=consent", ""); status != http.StatusOK || !strings.Contains(string(body), `"active":["complaint"]`) {
		t.Fatalf("remove without kind: %d %s", status, body)
	}
	if status, _ := b.do(t, admin, "DELETE", "/v1/suppressions?address=ann@example.org&reason=consent&kind=complaint&approved_by=admin", ""); status != http.StatusBadRequest {
		t.Fatalf("self-approved complaint removal: %d", status)
	}
	if status, body := b.do(t, admin, "DELETE", "/v1/suppressions?address=ann@example.org&reason=consent+renewed&kind=complaint&approved_by=bob", ""); status != http.StatusOK || !strings.Contains(string(body), `"lifted":["complaint"]`) || !strings.Contains(string(body), `"active":[]`) {
		t.Fatalf("approved complaint removal: %d %s", status, body)
	}
	if inSES() {
		t.Fatal("the lifted complaint is still in SES's suppression list")
	}
	if strings.Contains(b.logs.String(), "ann@example.org") {
		t.Errorf("the audit log carries the address in clear:\n%s", b.logs.String())
	}
}

// TestPublishNeedsThePermissionOfEachJobType: jobs:publish:TYPE grants one
// job type; a batch holding a job of another type publishes nothing.
func TestPublishNeedsThePermissionOfEachJobType(t *testing.T) {
	b := setup(t)
	mailer := b.keys.Token(t, "mailer")
	mail := `{"type":"notify.email","payload":{"recipients":["a@example.org"],"template":"tables-ready"}}`
	fetch := `{"type":"fetch.document","payload":{"recipe":"sample-records","key":"K-1"}}`
	if status, body := b.do(t, mailer, "POST", "/v1/jobs", mail); status != http.StatusAccepted {
		t.Fatalf("a notify.email job with jobs:publish:notify.email: %d %s", status, body)
	}
	status, body := b.do(t, mailer, "POST", "/v1/jobs", fetch)
	var e struct{ Error, Field string }
	if err := json.Unmarshal(body, &e); status != http.StatusForbidden || err != nil || e.Field != "type" || !strings.Contains(e.Error, "jobs:publish:fetch.document") {
		t.Errorf("a fetch.document job with jobs:publish:notify.email: %d %s", status, body)
	}
	status, body = b.do(t, mailer, "POST", "/v1/jobs", `{"jobs":[`+mail+`,`+fetch+`]}`)
	if err := json.Unmarshal(body, &e); status != http.StatusForbidden || err != nil || e.Field != "jobs.1.type" {
		t.Errorf("a batch with a fetch.document job: %d %s", status, body)
	}
	if n := b.visible(t, "notify"); n != 1 {
		t.Errorf("notify queue: %d messages, want the one job published alone (the refused batch publishes nothing)", n)
	}
	if n := b.visible(t, "fetch"); n != 0 {
		t.Errorf("fetch queue: %d messages, want 0", n)
	}
	// A subject with no publish permission at all is refused before its
	// body is read.
	if status, _ := b.do(t, b.keys.Token(t, "reader"), "POST", "/v1/jobs", `{`); status != http.StatusForbidden {
		t.Errorf("reader with a broken body: %d, want 403", status)
	}
}
