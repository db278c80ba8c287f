package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/rs/zerolog"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/internal/samplesite"
)

// devApp is the app `quarry dev` runs with in a test: the configuration
// from the environment, warnings and errors in the test log.
func devApp(t *testing.T) *app {
	t.Helper()
	url := os.Getenv(redistest.EnvURL)
	if url == "" {
		// An embedded Redis of the test's, so that claims outlive one run.
		url = "redis://" + miniredis.RunT(t).Addr()
	}
	t.Setenv("QUARRY_REDIS_URL", url)
	t.Setenv("QUARRY_REDIS_PREFIX", redistest.Prefix(t))
	_ = redistest.Client(t) // removes the test's keys when it ends
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	return &app{cfg: cfg, stdout: logWriter{t}, stderr: logWriter{t},
		log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel).With().Timestamp().Logger()}
}

// runDevBatch runs `quarry dev` in the test on free ports and returns its
// report.
func runDevBatch(t *testing.T, o devOptions) (*devReport, error) {
	t.Helper()
	return runDevBatchCtx(t, context.Background(), devApp(t), o)
}

func runDevBatchCtx(t *testing.T, ctx context.Context, a *app, o devOptions) (*devReport, error) {
	t.Helper()
	if o.addr == "" {
		o.addr = "127.0.0.1:0"
	}
	o.records = max(o.records, 1)
	o.interval = 100 * time.Millisecond
	var rep *devReport
	ctx, cancel := context.WithTimeout(ctx, 7*time.Minute)
	defer cancel()
	err := runDev(ctx, a, o, func(r *devReport) error { rep = r; return nil })
	if rep == nil {
		t.Fatalf("quarry dev made no report: %v", err)
	}
	return rep, err
}

// TestDevBurst publishes 1,000 fetch.document jobs at once through the
// whole pipeline (fetch → extract → notify → ses-events) with 5 % duplicate
// deliveries and 1 % of AWS calls failing: every job ends done or in a DLQ
// with its reason, every mail goes out exactly once, no claim is left in
// progress, and no host of the sample portal saw more requests in a second
// than its recipe allows.
func TestDevBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("the burst drains 1,000 jobs; skipped with -short")
	}
	const jobs = 1000
	rep, err := runDevBatch(t, devOptions{
		// Under 2 minutes on an idle 2-core machine with -race; the
		// timeout leaves room for a machine busy with other tests.
		jobs: jobs, sites: 25, records: 200, mailEvery: 5, exitWhenDone: true, timeout: 6 * time.Minute,
		chaos: true, sesRate: 500,
		// The portal's wait between selecting and downloading a document
		// stays above the recipe's wait, as it is in dev.
		site: samplesite.Config{DownloadDelay: 300 * time.Millisecond},
	})
	if err != nil {
		t.Fatalf("quarry dev: %v", err)
	}
	if !rep.Drained || rep.Done+rep.DeadLettered != jobs || len(rep.Unaccounted) != 0 {
		t.Fatalf("not every job is accounted for: done %d, dead-lettered %d, unaccounted %v", rep.Done, rep.DeadLettered, rep.Unaccounted)
	}
	for _, d := range rep.DLQ {
		if d.Reason == "" || d.JobID == "" {
			t.Errorf("a DLQ message without its job or reason: %+v", d)
		}
	}
	if rep.DeadLettered > jobs/100 {
		t.Errorf("%d jobs dead-lettered, more than 1 %% faults explain: %+v", rep.DeadLettered, rep.DLQ)
	}

	// Every mail effect happened exactly once: each recipient address is
	// used by one job only, so the mailbox holds one mail for each done
	// job that asked for mail, and none twice.
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	rdb, err := infra.OpenRedis(context.Background(), cfg.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	for addr, n := range rep.MailsByRecipient {
		if n != 1 {
			t.Errorf("%s was mailed %d times", addr, n)
		}
	}
	// (The report is read before the fleet stops; its fates say which
	// jobs were done.)
	if rep.MailsSent == 0 || rep.AddressesSuppressed == 0 || rep.TablesExtracted < rep.Done {
		t.Errorf("mails sent %d, suppressed %d, tables %d for %d jobs done", rep.MailsSent, rep.AddressesSuppressed, rep.TablesExtracted, rep.Done)
	}
	wantMails := 0
	for i := range jobs {
		if i%5 == 0 {
			wantMails++
		}
	}
	// A send answered with an injected 500 may have reached SES: it is
	// unknown until an SES event names it or the quiet period passes
	// without one; then it is sent. Either way once, and none is left.
	if len(rep.UnknownEffects) != 0 {
		t.Errorf("unknown effects left: %+v", rep.UnknownEffects)
	}
	if rep.MailsSent > wantMails || rep.MailsSent < wantMails-rep.DeadLettered {
		t.Errorf("mails sent %d, want %d (less at most the %d dead-lettered jobs)", rep.MailsSent, wantMails, rep.DeadLettered)
	}

	// No claim is left in progress.
	store := idempotency.NewStore(rdb.Client, cfg.RedisPrefix)
	inProgress := 0
	for _, key := range claimKeys(t, rdb, cfg.RedisPrefix) {
		rec, err := store.Lookup(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		if rec.State == idempotency.StateInProgress {
			inProgress++
		}
	}
	if inProgress != 0 {
		t.Errorf("%d claims left in progress", inProgress)
	}

	// Politeness: no host saw more requests in one second than its recipe
	// allows. The gate spaces the permissions; a request then still waits
	// for a connection and the scheduler before it arrives, which on a
	// busy machine under the race detector bunches arrivals by up to one
	// interval: one request of slack. A fleet that ignored the gate would
	// bring 4 sessions' worth (40 and more).
	dups := 0
	for _, s := range rep.Stages {
		dups += s.Duplicates
	}
	if dups == 0 {
		t.Error("no duplicate delivery was skipped: were the faults on?")
	}
	if len(rep.Hosts) != 25 {
		t.Fatalf("%d hosts reported, want 25", len(rep.Hosts))
	}
	for _, h := range rep.Hosts {
		if h.MaxPerSecond > h.Limit+1 || h.Requests == 0 {
			t.Errorf("host %s: %d requests, at most %d in one second, recipe allows %d", h.Host, h.Requests, h.MaxPerSecond, h.Limit)
		}
	}
	t.Logf("%d jobs in %v: %d done, %d dead-lettered, %d tables, %d mails, %d suppressed, %d duplicates skipped",
		jobs, rep.Elapsed, rep.Done, rep.DeadLettered, rep.TablesExtracted, rep.MailsSent, rep.AddressesSuppressed, dups)
}

// claimKeys lists the idempotency keys of every job claim under prefix.
func claimKeys(t *testing.T, rdb *infra.Redis, prefix string) []string {
	t.Helper()
	var keys []string
	iter := rdb.Client.Scan(context.Background(), 0, prefix+"idem:{*}", 1000).Iterator()
	for iter.Next(context.Background()) {
		k := iter.Val()
		if strings.Contains(k, "}:") { // an effect of a job, not its claim
			continue
		}
		keys = append(keys, k[strings.Index(k, "{")+1:len(k)-1])
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestDevExitsNonZeroNamingUnaccountedJobs: a batch that cannot drain
// within --timeout ends with status 3 and names the jobs.
func TestDevExitsNonZeroNamingUnaccountedJobs(t *testing.T) {
	rep, err := runDevBatch(t, devOptions{jobs: 6, sites: 1, mailEvery: 0, exitWhenDone: true, timeout: 300 * time.Millisecond, sesRate: 100})
	if exitCode(err) != exitUnaccounted {
		t.Fatalf("err = %v, want an exit status %d", err, exitUnaccounted)
	}
	if len(rep.Unaccounted) == 0 || rep.Drained {
		t.Fatalf("report: %+v", rep)
	}
	for _, j := range rep.Unaccounted {
		if !strings.Contains(err.Error(), j.ID) {
			t.Errorf("the error does not name job %s: %v", j.ID, err)
		}
	}
}

// TestDevStopAndGoOnLosesNothing: Ctrl-C in the middle of a batch run with
// --state-dir stops the fleet and the endpoint in order; the next run with
// the same directory goes on with the same batch (publishing no other) and
// drains it, every job done and every mail sent once.
func TestDevStopAndGoOnLosesNothing(t *testing.T) {
	a := devApp(t)
	o := devOptions{jobs: 40, sites: 4, mailEvery: 2, sesRate: 100, stateDir: t.TempDir(),
		addr: "127.0.0.1:" + freePort(t), port: 0}
	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	first := o
	first.onProgress = func(p progress) {
		if p.Stages[0].Done >= 10 {
			interrupt() // Ctrl-C
		}
	}
	rep, err := runDevBatchCtx(t, ctx, a, first)
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	if rep.Drained || rep.Jobs != 40 {
		t.Fatalf("the first run was to be stopped before the batch drained: %+v", rep)
	}

	second := o
	second.jobs, second.exitWhenDone, second.timeout = 7, true, 2*time.Minute
	rep, err = runDevBatchCtx(t, context.Background(), a, second)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if rep.Jobs != 40 || rep.Done != 40 || !rep.Drained {
		t.Fatalf("second run: %d jobs, %d done, drained %v, unaccounted %v", rep.Jobs, rep.Done, rep.Drained, rep.Unaccounted)
	}
	if rep.MailsSent != 20 {
		t.Errorf("%d mails sent over both runs, want 20", rep.MailsSent)
	}
	for addr, n := range rep.MailsByRecipient {
		if n != 1 {
			t.Errorf("%s was mailed %d times", addr, n)
		}
	}
}

// TestDevServesTheAPIWithThePrintedToken: quarry dev serves the HTTP API
// beside the fleet; the token it prints reads the queues, a token it did
// not sign gets 401, and the summary names the console.
func TestDevServesTheAPIWithThePrintedToken(t *testing.T) {
	var calls []string
	rep, err := runDevBatch(t, devOptions{jobs: 2, sites: 1, mailEvery: 0, exitWhenDone: true, timeout: 3 * time.Minute, sesRate: 100,
		apiAddr: "127.0.0.1:0", onAPI: func(api devAPI) {
			call := func(method, path, token, body string) int {
				req, err := http.NewRequest(method, api.URL+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+token)
				if body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("%s %s: %v", method, path, err)
					return 0
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				calls = append(calls, fmt.Sprintf("%s %s: %d %s", method, path, resp.StatusCode, b))
				return resp.StatusCode
			}
			if got := call("GET", "v1/queues", api.Token, ""); got != http.StatusOK {
				t.Errorf("GET /v1/queues with the printed token: %d", got)
			}
			if got := call("GET", "v1/queues", api.Token+"x", ""); got != http.StatusUnauthorized {
				t.Errorf("GET /v1/queues with a forged token: %d, want 401", got)
			}
		}})
	for _, c := range calls {
		t.Log(c)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 {
		t.Fatalf("the API was called %d times, want 2: onAPI never ran?", len(calls))
	}
	if rep.API == nil || rep.API.Token == "" || !strings.HasPrefix(rep.API.URL, "http://127.0.0.1:") {
		t.Errorf("the report does not name the API: %+v", rep.API)
	}
	if rep.Done != 2 {
		t.Errorf("%d jobs done, want 2", rep.Done)
	}
}
