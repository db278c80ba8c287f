package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/messages"
)

const testFrom = "Quarry <results@example.com>"

// testBundle is one handler wired to a fresh localaws endpoint (SES and
// S3 through the real SDK) and a Redis backend.
type testBundle struct {
	backend redistest.Backend
	ep      *localawstest.Endpoint
	ses     *sesv2.Client // for the test's own calls to SES
	blobs   *infra.BlobStore
	store   *idempotency.Store
	supp    *memSuppressions
	reg     *prometheus.Registry
	h       *Handler
}

type setupOptions struct {
	localaws localaws.Config
	// ses, when set, builds the handler's SES client (the test's own
	// calls use a plain one).
	ses func(ep *localawstest.Endpoint) SES
	// config adjusts the handler's configuration.
	config func(*HandlerConfig)
}

func setup(t *testing.T, b redistest.Backend, o setupOptions) *testBundle {
	t.Helper()
	ctx := t.Context()
	ep := localawstest.Start(t, o.localaws)
	sesClient := ep.SES()
	if _, err := sesClient.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("example.com")}); err != nil {
		t.Fatalf("CreateEmailIdentity: %v", err)
	}
	if _, err := sesClient.CreateConfigurationSet(ctx, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String(DefaultConfigurationSet)}); err != nil {
		t.Fatalf("CreateConfigurationSet: %v", err)
	}
	blobs := infra.NewBlobStore(ep.S3(), "quarry-test")
	if err := blobs.EnsureBucket(ctx); err != nil {
		t.Fatal(err)
	}
	tb := &testBundle{
		backend: b, ep: ep, ses: sesClient, blobs: blobs,
		store: idempotency.NewStore(b.Client, b.Prefix),
		supp:  &memSuppressions{reasons: map[string][]string{}},
		reg:   prometheus.NewRegistry(),
	}
	var handlerSES SES = sesClient
	if o.ses != nil {
		handlerSES = o.ses(ep)
	}
	cfg := HandlerConfig{
		SES: handlerSES, Blobs: blobs, Suppressions: tb.supp, Effects: tb.store,
		Redis: b.Client, Prefix: b.Prefix, From: testFrom,
		PausePoll: 100 * time.Millisecond, Registerer: tb.reg,
		Logger: zerolog.New(zerolog.NewTestWriter(t)),
	}
	if o.config != nil {
		o.config(&cfg)
	}
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	tb.h = h
	t.Cleanup(func() { deleteRateKeys(t, b.Client, b.Prefix) })
	return tb
}

// deleteRateKeys removes the GCRA keys, which redis_rate keeps under
// "rate:" in front of the test's prefix, outside redistest's cleanup.
func deleteRateKeys(t testing.TB, c redis.UniversalClient, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keys, err := c.Keys(ctx, "rate:"+prefix+"*").Result()
	if err == nil && len(keys) > 0 {
		err = c.Del(ctx, keys...).Err()
	}
	if err != nil {
		t.Errorf("delete rate keys: %v", err)
	}
}

// memSuppressions is an in-memory suppression list.
type memSuppressions struct {
	mu      sync.Mutex // guards reasons
	reasons map[string][]string
}

func (m *memSuppressions) Suppressed(_ context.Context, address string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.reasons[address]), nil
}

// Hash is a plain SHA-256 prefix: tests need no key.
func (m *memSuppressions) Hash(address string) string {
	sum := sha256.Sum256([]byte(address))
	return hex.EncodeToString(sum[:8])
}

func (m *memSuppressions) add(address string, reasons ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reasons[address] = append(m.reasons[address], reasons...)
}

// newJob builds a notify.email job as a producer would.
func newJob(t testing.TB, p messages.NotifyEmail) messages.Job {
	t.Helper()
	job, err := messages.NewJob(messages.TypeNotifyEmail, p)
	if err != nil {
		t.Fatalf("NewJob: %v", err)
	}
	return job
}

// claim takes the job's lease as the worker runtime does.
func (tb *testBundle) claim(t testing.TB, job messages.Job, ttl time.Duration) *idempotency.Lease {
	t.Helper()
	c, err := tb.store.ClaimJob(t.Context(), job, ttl)
	if err != nil {
		t.Fatalf("ClaimJob: %v", err)
	}
	if c.Status != idempotency.StatusAcquired {
		t.Fatalf("ClaimJob: %s, want acquired", c.Status)
	}
	return c.Lease
}

// handle runs the handler under lease.
func (tb *testBundle) handle(ctx context.Context, job messages.Job, lease *idempotency.Lease) (Result, error) {
	out, err := tb.h.Handle(idempotency.WithLease(ctx, lease), job)
	if err != nil {
		return Result{}, err
	}
	var res Result
	if err := json.Unmarshal(out, &res); err != nil {
		return Result{}, err
	}
	return res, nil
}

// run claims the job, runs it and releases the claim (as after a
// retryable failure, so a later run runs the handler again), and returns
// the result.
func (tb *testBundle) run(t testing.TB, job messages.Job) (Result, error) {
	t.Helper()
	lease := tb.claim(t, job, 30*time.Second)
	res, err := tb.handle(t.Context(), job, lease)
	if rerr := tb.store.Release(context.WithoutCancel(t.Context()), lease); rerr != nil {
		t.Fatalf("Release: %v", rerr)
	}
	return res, err
}

// mustRun runs the job and fails the test on an error.
func (tb *testBundle) mustRun(t testing.TB, job messages.Job) Result {
	t.Helper()
	res, err := tb.run(t, job)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return res
}

func (tb *testBundle) putBlob(t testing.TB, key string, data []byte) {
	t.Helper()
	if err := tb.blobs.Put(t.Context(), key, bytes.NewReader(data), nil); err != nil {
		t.Fatalf("Put %s: %v", key, err)
	}
}

// sentMail is a message in the localaws mailbox.
type sentMail struct {
	MessageID        string            `json:"messageId"`
	Timestamp        time.Time         `json:"timestamp"`
	From             string            `json:"from"`
	To               []string          `json:"to"`
	Subject          string            `json:"subject"`
	Content          string            `json:"content"`
	ConfigurationSet string            `json:"configurationSet"`
	Tags             map[string]string `json:"tags"`
}

// mailbox lists what localaws SES accepted, oldest first.
func mailbox(t testing.TB, ep *localawstest.Endpoint) []sentMail {
	t.Helper()
	var out []sentMail
	getJSON(t, ep.URL+"/_localaws/mail", &out)
	return out
}

// mailsTo counts the messages sent to addr.
func mailsTo(t testing.TB, ep *localawstest.Endpoint, addr string) int {
	t.Helper()
	n := 0
	for _, m := range mailbox(t, ep) {
		if slices.ContainsFunc(m.To, func(a string) bool { return strings.EqualFold(a, addr) }) {
			n++
		}
	}
	return n
}

// rawMail fetches a sent message as SES sent it.
func rawMail(t testing.TB, ep *localawstest.Endpoint, id string) []byte {
	t.Helper()
	resp, err := http.Get(ep.URL + "/_localaws/mail/" + id + ".eml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s.eml: %d %v", id, resp.StatusCode, err)
	}
	return b
}

func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// outcomes maps each recipient of a result to its outcome.
func outcomes(res Result) map[string]Outcome {
	m := map[string]Outcome{}
	for _, r := range res.Recipients {
		m[r.Address] = r.Outcome
	}
	return m
}

// counted reads the recipients counter for one outcome.
func (tb *testBundle) counted(outcome string) float64 {
	return metricValue(tb.h.metrics.recipients.WithLabelValues(outcome))
}

// metricValue reads a counter or gauge.
func metricValue(m prometheus.Metric) float64 {
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		return -1
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}

// localawsRate is a localaws whose SES accepts rate recipients a second.
func localawsRate(rate float64) localaws.Config {
	return localaws.Config{SESMaxSendRate: rate}
}
