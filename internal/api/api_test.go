package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/internal/api"
	"github.com/quarry-dev/quarry/internal/apiauth"
	"github.com/quarry-dev/quarry/internal/apiauth/apiauthtest"
	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/pipeline/suppression"
)

// testBundle is a running API over localaws (topology applied) and Redis.
type testBundle struct {
	url       string
	keys      *apiauthtest.Keys
	permsFile string
	cache     *apiauth.Cache
	clients   infra.Clients
	topology  infra.Topology
	logs      *syncBuffer
	rdb       redis.UniversalClient
	prefix    string
}

// syncBuffer is a log sink the handlers write to while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The permissions file of every test: subjects by what they may do.
const testPerms = `
admin: ["*"]
reader: [queues:read, dlq:read, jobs:read, suppressions:read]
publisher: ["jobs:publish:*"]
mailer: [jobs:publish:notify.email]
`

func setup(t testing.TB, tweak ...func(*api.Config)) *testBundle {
	t.Helper()
	ctx := context.Background()
	ep := localawstest.Start(t, localaws.Config{})
	clients := infra.NewClients(ep.Config)
	top := infra.DefaultTopology()
	if _, err := infra.Apply(ctx, clients, top); err != nil {
		t.Fatal(err)
	}
	arn, err := infra.FindTopic(ctx, clients.SNS, top.JobsTopic)
	if err != nil {
		t.Fatal(err)
	}
	rdb, prefix := redistest.Client(t), redistest.Prefix(t)
	b := &testBundle{keys: apiauthtest.New(t), permsFile: filepath.Join(t.TempDir(), "perms.yaml"), clients: clients, topology: top, logs: &syncBuffer{}, rdb: rdb, prefix: prefix}
	b.writePerms(t, testPerms)
	b.cache, err = apiauth.NewCache(apiauth.CacheConfig{Redis: rdb, Prefix: prefix, Source: apiauth.FileSource{Path: b.permsFile}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	list, err := suppression.New(suppression.Config{Redis: rdb, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{
		Verifier: b.keys.Verifier(t), Permissions: b.cache, Redis: rdb, Prefix: prefix,
		SQS: clients.SQS, Topology: top, Endpoint: ep.URL,
		Publisher: infra.NewPublisher(clients.SNS, arn), Claims: idempotency.NewStore(rdb, prefix), Suppressions: list,
		MaxBatch: 20, MaxBodyBytes: 64 << 10,
		Logger: zerolog.New(b.logs),
	}
	for _, f := range tweak {
		f(&cfg)
	}
	srv, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	b.url = hs.URL
	return b
}

func (b *testBundle) writePerms(t testing.TB, s string) {
	t.Helper()
	if err := os.WriteFile(b.permsFile, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// do sends a request with the token (none when empty) and returns the
// status and the body.
func (b *testBundle) do(t testing.TB, token, method, path, body string) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(strings.TrimPrefix(body, "form:"))
	}
	req, err := http.NewRequestWithContext(context.Background(), method, b.url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" && !strings.HasPrefix(body, "form:") {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// apiError decodes an error body.
func apiError(t *testing.T, body []byte) (msg, field string) {
	t.Helper()
	var e struct{ Error, Field string }
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
		t.Fatalf("not an error body: %s", body)
	}
	return e.Error, e.Field
}

// deadLetter puts a job in a role's DLQ as the runtime would, with its
// reason, and returns the job.
func (b *testBundle) deadLetter(t *testing.T, role, reason string) messages.Job {
	t.Helper()
	ctx := context.Background()
	job, err := messages.NewJob(messages.TypeNotifyEmail, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "tables-ready"})
	if err != nil {
		t.Fatal(err)
	}
	body, err := job.Encode()
	if err != nil {
		t.Fatal(err)
	}
	url, err := b.topology.DLQURL(ctx, b.clients.SQS, role)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.clients.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(body)),
		MessageAttributes: map[string]types.MessageAttributeValue{
			messages.DLQAttrError: {DataType: aws.String("String"), StringValue: aws.String(reason)},
			infra.AttrJobType:     {DataType: aws.String("String"), StringValue: aws.String(job.Type)},
		}}); err != nil {
		t.Fatal(err)
	}
	return job
}

// visible is how many messages a role's queue holds, visible, as SQS says.
func (b *testBundle) visible(t *testing.T, role string) int {
	t.Helper()
	ctx := context.Background()
	url, err := b.topology.QueueURL(ctx, b.clients.SQS, role)
	if err != nil {
		t.Fatal(err)
	}
	out, err := b.clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSpecIsValidAndCoversEveryRoute(t *testing.T) {
	spec, err := api.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	inRouter := map[string]bool{}
	for _, rt := range api.Routes() {
		key := rt.Method + " " + rt.Path
		inRouter[key] = true
		item := spec.Paths.Find(rt.Path)
		if item == nil || item.GetOperation(rt.Method) == nil {
			t.Errorf("route %s is not in openapi.yaml", key)
			continue
		}
		op := item.GetOperation(rt.Method)
		public := op.Security != nil && len(*op.Security) == 0
		if public != (rt.Permission == "") {
			t.Errorf("route %s: permission %q, but the document says public=%v", key, rt.Permission, public)
		}
		// A family of permissions (ending in ":") is named with its
		// placeholder: jobs:publish:TYPE.
		named := rt.Permission
		if strings.HasSuffix(named, ":") {
			named += "TYPE"
		}
		if rt.Permission != "" && !strings.Contains(op.Description, "`"+named+"`") {
			t.Errorf("route %s: the document does not name its permission %s", key, named)
		}
	}
	for path, item := range spec.Paths.Map() {
		for method := range item.Operations() {
			if !inRouter[method+" "+path] {
				t.Errorf("openapi.yaml has %s %s, which the router does not serve", method, path)
			}
		}
	}
	b := setup(t)
	if status, body := b.do(t, "", "GET", "/openapi.yaml", ""); status != 200 || !bytes.Equal(body, api.Spec()) {
		t.Errorf("GET /openapi.yaml: %d", status)
	}
}

func TestBadTokensGet401(t *testing.T) {
	b := setup(t)
	for name, tok := range apiauthtest.BadTokens(t, b.keys) {
		t.Run(name, func(t *testing.T) {
			status, body := b.do(t, tok, "GET", "/v1/queues", "")
			if status != http.StatusUnauthorized {
				t.Fatalf("got %d %s, want 401", status, body)
			}
			if _, field := apiError(t, body); field != "Authorization" {
				t.Errorf("field %q", field)
			}
		})
	}
	if status, _ := b.do(t, "", "GET", "/v1/queues", ""); status != http.StatusUnauthorized {
		t.Errorf("no token: %d", status)
	}
	if status, body := b.do(t, b.keys.Token(t, "reader"), "GET", "/v1/queues", ""); status != http.StatusOK {
		t.Errorf("a good token: %d %s", status, body)
	}
}

func TestRedriveWithoutDLQWriteIs403(t *testing.T) {
	b := setup(t)
	b.deadLetter(t, "notify", "permanent: template not found")
	status, body := b.do(t, b.keys.Token(t, "reader"), "POST", "/v1/dlq/notify/redrive", "")
	if status != http.StatusForbidden {
		t.Fatalf("reader redrive: %d %s", status, body)
	}
	if msg, _ := apiError(t, body); !strings.Contains(msg, "dlq:write") {
		t.Errorf("message %q does not name the permission", msg)
	}
	// A token scoped to reading cannot write even for a subject who may.
	if status, _ := b.do(t, b.keys.Token(t, "admin", "dlq:read"), "POST", "/v1/dlq/notify/redrive", ""); status != http.StatusForbidden {
		t.Errorf("scoped admin token: %d", status)
	}
	if status, body := b.do(t, b.keys.Token(t, "admin"), "POST", "/v1/dlq/notify/redrive", `{"job_type":"notify.email"}`); status != http.StatusOK || !strings.Contains(string(body), `"moved":1`) {
		t.Errorf("admin redrive: %d %s", status, body)
	}
	if !strings.Contains(b.logs.String(), `"audit":"api","subject":"admin"`) || !strings.Contains(b.logs.String(), `"status":403`) {
		t.Errorf("no audit lines for the writes:\n%s", b.logs.String())
	}
}

func TestRevocationCountsFromTheNextRequest(t *testing.T) {
	if os.Getenv(redistest.EnvURL) == "" {
		t.Logf("%s is not set: the permission cache runs on miniredis", redistest.EnvURL)
	}
	b := setup(t)
	tok := b.keys.Token(t, "reader")
	if status, _ := b.do(t, tok, "GET", "/v1/queues", ""); status != http.StatusOK {
		t.Fatalf("before: %d", status)
	}
	b.writePerms(t, "reader: [dlq:read]\n")
	if status, _ := b.do(t, tok, "GET", "/v1/queues", ""); status != http.StatusOK {
		t.Fatalf("cached permissions were not used: %d", status)
	}
	if ok, err := b.cache.Revoke(context.Background(), "reader"); !ok || err != nil {
		t.Fatalf("revoke: %v %v", ok, err)
	}
	if status, _ := b.do(t, tok, "GET", "/v1/queues", ""); status != http.StatusForbidden {
		t.Fatalf("after revocation: %d, want 403", status)
	}
	if status, _ := b.do(t, tok, "GET", "/v1/dlq/fetch", ""); status != http.StatusOK {
		t.Fatalf("what is still granted: %d", status)
	}
}

func TestBadInputIs400NamingTheField(t *testing.T) {
	b := setup(t)
	admin := b.keys.Token(t, "admin")
	for _, tc := range []struct {
		name, method, path, body, field string
	}{
		{"unknown job type", "POST", "/v1/jobs", `{"type":"nope","payload":{}}`, "type"},
		{"no type", "POST", "/v1/jobs", `{"payload":{}}`, "type"},
		{"no payload", "POST", "/v1/jobs", `{"type":"notify.email"}`, "payload"},
		{"payload not an object", "POST", "/v1/jobs", `{"type":"notify.email","payload":[1]}`, "payload"},
		{"batch job without payload", "POST", "/v1/jobs", `{"jobs":[{"type":"notify.email","payload":{"recipients":["a@example.org"],"template":"t"}},{"type":"notify.email"}]}`, "jobs.1.payload"},
		{"invalid payload", "POST", "/v1/jobs", `{"type":"notify.email","payload":{"template":"t"}}`, "payload.recipients"},
		{"one job and a batch", "POST", "/v1/jobs", `{"type":"notify.email","payload":{},"jobs":[]}`, "jobs"},
		{"unknown field", "POST", "/v1/jobs", `{"type":"notify.email","payload":{},"priority":1}`, "priority"},
		{"not JSON", "POST", "/v1/jobs", `{"type":`, "body"},
		{"not declared JSON", "POST", "/v1/jobs", `form:{"type":"notify.email","payload":{}}`, "Content-Type"},
		{"job id", "GET", "/v1/jobs/not-a-ulid", "", "id"},
		{"peek count", "GET", "/v1/dlq/fetch?n=0", "", "n"},
		{"peek count not a number", "GET", "/v1/dlq/fetch?n=ten", "", "n"},
		{"redrive max", "POST", "/v1/dlq/fetch/redrive", `{"max":0}`, "max"},
		{"suppression without reason", "POST", "/v1/suppressions", `{"address":"a@example.org"}`, "reason"},
		{"suppression kind", "POST", "/v1/suppressions", `{"address":"a@example.org","reason":"r","kind":"bored"}`, "kind"},
		{"suppression address", "POST", "/v1/suppressions", `{"address":"not an address","reason":"r"}`, "address"},
		{"complaint removal without approver", "DELETE", "/v1/suppressions?address=a@example.org&reason=consent&kind=complaint", "", "approved_by"},
		{"removal without reason", "DELETE", "/v1/suppressions?address=a@example.org", "", "reason"},
		{"list limit", "GET", "/v1/suppressions?limit=5000", "", "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := b.do(t, admin, tc.method, tc.path, tc.body)
			if status != http.StatusBadRequest {
				t.Fatalf("got %d %s, want 400", status, body)
			}
			msg, field := apiError(t, body)
			t.Logf("%s", body)
			if !strings.HasSuffix(field, tc.field) {
				t.Errorf("field %q (%s), want %q", field, msg, tc.field)
			}
		})
	}
}

func TestUnknownQueueIs404(t *testing.T) {
	b := setup(t)
	admin := b.keys.Token(t, "admin")
	for _, r := range [][2]string{{"GET", "/v1/dlq/nope"}, {"POST", "/v1/dlq/nope/redrive"}, {"DELETE", "/v1/dlq/nope/0123-abcd"}} {
		status, body := b.do(t, admin, r[0], r[1], "")
		if status != http.StatusNotFound {
			t.Errorf("%s %s: %d %s", r[0], r[1], status, body)
			continue
		}
		if msg, field := apiError(t, body); field != "queue" || !strings.Contains(msg, "fetch") {
			t.Errorf("%s %s: %q %q", r[0], r[1], field, msg)
		}
	}
	if status, _ := b.do(t, admin, "DELETE", "/v1/dlq/fetch/no-such-message", ""); status != http.StatusNotFound {
		t.Errorf("unknown message: %d", status)
	}
	if status, _ := b.do(t, admin, "GET", "/v1/nothing", ""); status != http.StatusNotFound {
		t.Errorf("unknown route: %d", status)
	}
	if status, body := b.do(t, admin, "POST", "/v1/dlq/unroutable/redrive", ""); status != http.StatusConflict {
		t.Errorf("redriving the unroutable queue: %d %s", status, body)
	}
}

func TestOversizedBodyAndBatchAreRefused(t *testing.T) {
	b := setup(t)
	admin := b.keys.Token(t, "admin")
	big := `{"type":"notify.email","payload":{"template":"` + strings.Repeat("x", 70<<10) + `"}}`
	if status, body := b.do(t, admin, "POST", "/v1/jobs", big); status != http.StatusRequestEntityTooLarge {
		t.Errorf("big body: %d %s", status, body)
	}
	var jobs []string
	for range 21 {
		jobs = append(jobs, `{"type":"notify.email","payload":{"recipients":["a@example.org"],"template":"t"}}`)
	}
	status, body := b.do(t, admin, "POST", "/v1/jobs", `{"jobs":[`+strings.Join(jobs, ",")+`]}`)
	if status != http.StatusRequestEntityTooLarge {
		t.Fatalf("big batch: %d %s", status, body)
	}
	if _, field := apiError(t, body); field != "jobs" {
		t.Errorf("field %q", field)
	}
}

func TestRateLimitPerSubject(t *testing.T) {
	b := setup(t, func(c *api.Config) { c.RatePerMinute, c.RateBurst = 2, 2 })
	tok := b.keys.Token(t, "reader")
	var last int
	for range 3 {
		last, _ = b.do(t, tok, "GET", "/v1/dlq/fetch?n=1", "")
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("third request: %d, want 429", last)
	}
	// Another subject has its own schedule.
	if status, _ := b.do(t, b.keys.Token(t, "admin"), "GET", "/v1/dlq/fetch?n=1", ""); status != http.StatusOK {
		t.Fatalf("another subject: %d", status)
	}
}

// panickingPublisher stands in for the publisher at the API's small
// interface, to see what a handler's panic does.
type panickingPublisher struct{}

func (panickingPublisher) Publish(context.Context, messages.Job) (string, error) {
	panic("publisher broke")
}
func (panickingPublisher) PublishBatch(context.Context, []messages.Job) error {
	panic("publisher broke")
}

func TestAHandlersPanicIsA500(t *testing.T) {
	b := setup(t, func(c *api.Config) { c.Publisher = panickingPublisher{} })
	status, body := b.do(t, b.keys.Token(t, "admin"), "POST", "/v1/jobs", `{"type":"notify.email","payload":{"recipients":["a@example.org"],"template":"t"}}`)
	if status != http.StatusInternalServerError {
		t.Fatalf("got %d %s", status, body)
	}
	apiError(t, body)
	if !strings.Contains(b.logs.String(), "api handler panicked") {
		t.Errorf("the panic was not logged:\n%s", b.logs.String())
	}
	if status, _ := b.do(t, b.keys.Token(t, "admin"), "GET", "/v1/queues", ""); status != http.StatusOK {
		t.Errorf("the server after a panic: %d", status)
	}
}
