package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/redis/go-redis/v9"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/internal/jobstatus"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/pipeline/extract"
	"github.com/quarry-dev/quarry/pipeline/fetch"
	"github.com/quarry-dev/quarry/pipeline/notify"
	"github.com/quarry-dev/quarry/workers"
)

// TestStatusShowsQueueDepthsAndOldestAge publishes jobs through SNS,
// receives one, dead-letters one, lets time pass on localaws's clock, and
// reads `quarry status`: counts per queue and DLQ, and the oldest message's
// age, which localaws answers and another endpoint shows as n/a.
func TestStatusShowsQueueDepthsAndOldestAge(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Now().UTC().Truncate(time.Second)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	ep := localawstest.Start(t, localaws.Config{Now: clock})
	runQuarry(t, "infra", "apply", "--endpoint-url", ep.URL)

	for i := range 3 {
		runQuarry(t, "publish", "notify.email", "--endpoint-url", ep.URL,
			"--payload", fmt.Sprintf(`{"recipients":["r%d@example.org"],"template":"tables-ready"}`, i))
	}
	advance(90 * time.Second)
	runQuarry(t, "publish", "fetch.document", "--endpoint-url", ep.URL, "--payload", `{"recipe":"sample-records","key":"42"}`)
	env := &awsEnv{clients: infra.NewClients(ep.Config), topology: infra.DefaultTopology()}
	notifyURL, err := env.queueURL(ctx, "notify")
	if err != nil {
		t.Fatal(err)
	}
	got, err := env.clients.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(notifyURL), MaxNumberOfMessages: 1, VisibilityTimeout: 60})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("receive: %v, %d messages", err, len(got.Messages))
	}
	dlqURL, err := env.dlqURL(ctx, "extract")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.clients.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(dlqURL), MessageBody: aws.String("not a job")}); err != nil {
		t.Fatal(err)
	}
	advance(5 * time.Second)

	var rep jobstatus.Queues
	if err := json.Unmarshal([]byte(runQuarry(t, "status", "--json", "--endpoint-url", ep.URL)), &rep); err != nil {
		t.Fatalf("status --json: %v", err)
	}
	if rep.AgeSource != "localaws" || rep.AgeNote != "" || len(rep.Queues) != len(infra.DefaultTopology().Queues) {
		t.Fatalf("report: %+v", rep)
	}
	byRole := map[string]jobstatus.RoleQueue{}
	for _, q := range rep.Queues {
		byRole[q.Role] = q
	}
	age := func(d jobstatus.Depth) float64 {
		t.Helper()
		if d.OldestAgeSeconds == nil {
			t.Fatalf("%s: no oldest age from localaws", d.Name)
		}
		return *d.OldestAgeSeconds
	}
	if n := byRole["notify"].Queue; n.Name != "quarry-notify" || n.Visible != 2 || n.InFlight != 1 || n.Delayed != 0 || age(n) != 95 {
		t.Errorf("notify queue: %+v (age %v)", n, age(n))
	}
	if f := byRole["fetch"].Queue; f.Visible != 1 || f.InFlight != 0 || age(f) != 5 {
		t.Errorf("fetch queue: %+v (age %v)", f, age(f))
	}
	if d := byRole["extract"].DLQ; d.Name != "quarry-extract-dlq" || d.Visible != 1 || age(d) != 5 {
		t.Errorf("extract DLQ: %+v", d)
	}
	if d := byRole["extract"].Queue; d.Total() != 0 || age(d) != 0 {
		t.Errorf("extract queue: %+v", d)
	}
	if s := byRole["ses-events"]; s.Queue.Name != "quarry-ses-events" || s.DLQ.Name != "quarry-ses-events-dlq" {
		t.Errorf("ses-events: %+v", s)
	}

	text := runQuarry(t, "status", "--endpoint-url", ep.URL)
	if !strings.Contains(text, "quarry-notify") || !strings.Contains(text, "1m35s") || strings.Contains(text, "n/a") {
		t.Errorf("status:\n%s", text)
	}

	// Another SQS endpoint (here localaws without its own view): the
	// counts are the same, the age is n/a and the report says why.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_localaws/") {
			http.NotFound(w, r)
			return
		}
		ep.Server.ServeHTTP(w, r)
	}))
	defer other.Close()
	rep = jobstatus.Queues{}
	if err := json.Unmarshal([]byte(runQuarry(t, "status", "--json", "--endpoint-url", other.URL)), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.AgeSource != "" || !strings.Contains(rep.AgeNote, "not localaws") || rep.Queues[2].Queue.Visible != 2 || rep.Queues[2].Queue.OldestAgeSeconds != nil {
		t.Errorf("report from another endpoint: %+v", rep)
	}
	if text := runQuarry(t, "status", "--endpoint-url", other.URL); !strings.Contains(text, "n/a") {
		t.Errorf("status from another endpoint:\n%s", text)
	}
}

// TestStatusTracesAJobThroughItsStages follows one fetch.document job and
// its children through their claim records (driven with the idempotency
// store, as the runtime drives them) until the notify child fails in the
// real worker runtime and is dead-lettered; at each step `quarry status`
// shows each stage's state, and what it left, asked by any stage's id.
func TestStatusTracesAJobThroughItsStages(t *testing.T) {
	ctx := context.Background()
	ep := localawstest.Start(t, localaws.Config{})
	useRedis(t)
	runQuarry(t, "infra", "apply", "--endpoint-url", ep.URL)
	opts, err := redis.ParseURL(os.Getenv("QUARRY_REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	store := idempotency.NewStore(rdb, cmp.Or(os.Getenv("QUARRY_REDIS_PREFIX"), "quarry:"))

	root, err := messages.NewJob(messages.TypeFetchDocument, messages.FetchDocument{
		Recipe: "sample-records", Key: "K-1",
		Extract: &messages.ExtractOptions{Formats: []string{"json"}},
		Notify:  &messages.NotifyOptions{Recipients: []string{"Ann@Example.org", "bob@example.org"}, Template: "missing-template"},
	})
	if err != nil {
		t.Fatal(err)
	}
	pdfKey := fetch.DocumentKey(root.ID)
	ext, err := messages.Child(root, messages.TypeExtractTables, messages.ExtractTables{PDFKey: pdfKey, Formats: []string{"json"},
		Notify: &messages.NotifyOptions{Recipients: []string{"Ann@Example.org", "bob@example.org"}, Template: "missing-template"}})
	if err != nil {
		t.Fatal(err)
	}
	_, jsonKey, _ := extract.OutputKeys(pdfKey, 1)
	ntf, err := messages.Child(ext, messages.TypeNotifyEmail, messages.NotifyEmail{
		Recipients: []string{"Ann@Example.org", "bob@example.org"}, Template: "missing-template", Attachments: []string{jsonKey}})
	if err != nil {
		t.Fatal(err)
	}
	status := func(id string) jobstatus.Report {
		t.Helper()
		var rep jobstatus.Report
		if err := json.Unmarshal([]byte(runQuarry(t, "status", id, "--json", "--endpoint-url", ep.URL)), &rep); err != nil {
			t.Fatalf("status %s --json: %v", id, err)
		}
		if rep.JobID != id || !rep.Found {
			t.Fatalf("status %s: %+v", id, rep)
		}
		return rep
	}
	states := func(rep jobstatus.Report) string {
		var s []string
		for _, st := range rep.Stages {
			s = append(s, st.Stage+":"+st.State)
		}
		return strings.Join(s, " ")
	}

	// Unknown until a worker claims it.
	out, err := quarryErr(t, "status", root.ID, "--json", "--endpoint-url", ep.URL)
	if exitCode(err) != exitUnknownJob || !errors.Is(err, jobstatus.ErrUnknownJob) {
		t.Fatalf("status of an unclaimed job: err %v, exit %d, want %d", err, exitCode(err), exitUnknownJob)
	}
	var unknown jobstatus.Report
	if err := json.Unmarshal([]byte(out), &unknown); err != nil || unknown.Found || unknown.JobID != root.ID {
		t.Fatalf("status --json of an unknown job: %v: %s", err, out)
	}

	// Fetch runs: in progress, its stage not yet known from the record.
	fc, err := store.ClaimJob(ctx, root, time.Minute)
	if err != nil || fc.Lease == nil {
		t.Fatalf("claim: %+v, %v", fc, err)
	}
	rep := status(root.ID)
	if got := states(rep); got != ":in_progress" || rep.Stages[0].Attempts != 1 || !rep.Stages[0].LeaseUntil.After(rep.Stages[0].ClaimedAt) || !rep.Stages[0].Asked {
		t.Fatalf("while fetching: %s %+v", got, rep)
	}

	// Fetch done: the extract child is queued.
	fres, _ := json.Marshal(fetch.HandlerResult{PDFKey: pdfKey, Size: 1234, SHA256: "ab12", FinalURL: "https://records.example/doc", ExtractJobID: ext.ID})
	if err := store.Complete(ctx, fc.Lease, fres, 0); err != nil {
		t.Fatal(err)
	}
	rep = status(root.ID)
	if got := states(rep); got != "fetch:done extract:queued notify:not_started" || rep.Stages[0].Fetch == nil ||
		rep.Stages[0].Fetch.PDFKey != pdfKey || rep.Stages[1].JobID != ext.ID {
		t.Fatalf("after fetch: %s %+v", got, rep)
	}

	// Extract fails once and is released for retry.
	ec, err := store.ClaimJob(ctx, ext, time.Minute)
	if err != nil || ec.Lease == nil {
		t.Fatalf("claim extract: %+v, %v", ec, err)
	}
	if got := states(status(root.ID)); got != "fetch:done extract:in_progress notify:not_started" {
		t.Fatalf("while extracting: %s", got)
	}
	if err := store.Release(ctx, ec.Lease); err != nil {
		t.Fatal(err)
	}
	rep = status(root.ID)
	if got := states(rep); got != "fetch:done extract:released notify:not_started" || rep.Stages[1].ReleasedAt.IsZero() {
		t.Fatalf("after a failed extract: %s %+v", got, rep)
	}
	if text := runQuarry(t, "status", root.ID, "--endpoint-url", ep.URL); !strings.Contains(text, "released") || !strings.Contains(text, pdfKey) {
		t.Fatalf("status text after a failed extract:\n%s", text)
	}

	// The retry completes and publishes the notify child.
	ec, err = store.ClaimJob(ctx, ext, time.Minute)
	if err != nil || ec.Lease == nil || ec.Lease.Fence != 2 {
		t.Fatalf("claim extract again: %+v, %v", ec, err)
	}
	eres, _ := json.Marshal(extract.HandlerResult{Tables: 1, Pages: 2, Keys: []string{jsonKey}, NotifyJobID: ntf.ID})
	if err := store.Complete(ctx, ec.Lease, eres, 0); err != nil {
		t.Fatal(err)
	}
	// Asked by the extract job's id: its parent is found from its outputs.
	rep = status(ext.ID)
	if got := states(rep); got != "fetch:done extract:done notify:queued" || !rep.Stages[1].Asked || rep.Stages[0].Asked ||
		rep.Stages[1].Attempts != 2 || rep.Stages[1].Extract == nil || rep.Stages[1].Extract.Keys[0] != jsonKey || rep.Stages[2].JobID != ntf.ID {
		t.Fatalf("asked by the extract id: %s %+v", got, rep)
	}

	// Notify runs in the worker runtime: one mail goes out, then the job
	// fails for good and is dead-lettered.
	clients := infra.NewClients(ep.Config)
	env := &awsEnv{clients: clients, topology: infra.DefaultTopology()}
	queue, err := env.queueURL(ctx, "notify")
	if err != nil {
		t.Fatal(err)
	}
	runner, err := workers.New(workers.Config{
		SQS: clients.SQS, QueueURL: queue, Role: "notify", WaitTime: time.Second, Claims: store,
		Handlers: map[string]workers.Handler{messages.TypeNotifyEmail: workers.HandlerFunc(
			func(ctx context.Context, j messages.Job) ([]byte, error) {
				ec, err := store.ClaimEffect(ctx, idempotency.LeaseFrom(ctx), "email:ann@example.org")
				if err != nil {
					return nil, err
				}
				if ec.Status == idempotency.EffectAcquired {
					if err := store.CompleteEffect(ctx, ec.Effect, []byte("ses-0001")); err != nil {
						return nil, err
					}
				}
				return nil, messages.Permanent(errors.New(`template "missing-template" not found`))
			})},
	})
	if err != nil {
		t.Fatal(err)
	}
	topic, err := env.jobsTopicARN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := infra.NewPublisher(clients.SNS, topic).Publish(ctx, ntf); err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runner.Run(rctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		rep = status(ntf.ID)
		if len(rep.Stages) == 3 && rep.Stages[2].State == jobstatus.StateDeadLettered {
			break
		}
		if time.Now().After(deadline) {
			stop()
			<-done
			t.Fatalf("notify not dead-lettered after 20s: %s", states(rep))
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Asked by the notify job's id: the dead letter names its parent, whose
	// outputs name the fetch job.
	rep = status(ntf.ID)
	n := rep.Stages[2]
	if got := states(rep); got != "fetch:done extract:done notify:dead_lettered" || !n.Asked || n.DeadLetter == nil ||
		n.DeadLetter.Queue != "quarry-notify-dlq" || !strings.Contains(n.DeadLetter.Reason, `template "missing-template" not found`) ||
		n.DeadLetter.Stage != "notify" || n.Attempts != 1 {
		t.Fatalf("dead-lettered: %s %+v", got, rep)
	}
	wantMails := []jobstatus.Mail{{Address: "ann@example.org", State: "sent", MessageID: "ses-0001"}, {Address: "bob@example.org", State: "not_sent"}}
	if fmt.Sprint(n.Mails) != fmt.Sprint(wantMails) {
		t.Fatalf("mails: %+v, want %+v", n.Mails, wantMails)
	}
	text := runQuarry(t, "status", root.ID, "--endpoint-url", ep.URL)
	for _, want := range []string{"dead_lettered", "quarry-notify-dlq", `template "missing-template" not found`, "ann@example.org sent ses-0001", jsonKey} {
		if !strings.Contains(text, want) {
			t.Errorf("status text lacks %q:\n%s", want, text)
		}
	}
	// Reading the DLQ left the message there.
	if out := runQuarry(t, "dlq", "peek", "notify", "--json", "--endpoint-url", ep.URL); !strings.Contains(out, ntf.ID) {
		t.Fatalf("the dead letter is gone after status:\n%s", out)
	}

	// Run again (as after a redrive), notify completes: its result lists
	// the mails; a done job's DLQs are not searched, so the copy left in
	// the DLQ is not shown.
	nc, err := store.ClaimJob(ctx, ntf, time.Minute)
	if err != nil || nc.Lease == nil || nc.Lease.Fence != 2 {
		t.Fatalf("claim notify again: %+v, %v", nc, err)
	}
	nres, _ := json.Marshal(notify.Result{Template: "tables-ready", Recipients: []notify.RecipientResult{
		{Address: "ann@example.org", Outcome: notify.OutcomeAlreadySent, MessageID: "ses-0001"},
		{Address: "bob@example.org", Outcome: notify.OutcomeSent, MessageID: "ses-0002"}}})
	if err := store.Complete(ctx, nc.Lease, nres, 0); err != nil {
		t.Fatal(err)
	}
	rep = status(root.ID)
	if n := rep.Stages[2]; states(rep) != "fetch:done extract:done notify:done" || n.Notify == nil || len(n.Notify.Recipients) != 2 ||
		n.Notify.Recipients[1].MessageID != "ses-0002" || n.Mails != nil || n.DeadLetter != nil {
		t.Fatalf("notify done: %s %+v", states(rep), n)
	}

	// A well-formed id nothing is known of; and a malformed one.
	other, _ := messages.NewJob(messages.TypeNotifyEmail, messages.NotifyEmail{Recipients: []string{"c@example.org"}, Template: "t"})
	if _, err := quarryErr(t, "status", other.ID, "--endpoint-url", ep.URL); exitCode(err) != exitUnknownJob {
		t.Errorf("unknown id: %v (exit %d)", err, exitCode(err))
	}

	// A claim whose worker went away: its lease ends (by Redis's clock)
	// and nobody has taken it over yet.
	if c, err := store.ClaimJob(ctx, other, 20*time.Millisecond); err != nil || c.Lease == nil {
		t.Fatalf("claim: %+v, %v", c, err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for rep = status(other.ID); rep.Stages[0].State != jobstatus.StateLeaseExpired; rep = status(other.ID) {
		if rep.Stages[0].State != jobstatus.StateInProgress || time.Now().After(deadline) {
			t.Fatalf("abandoned claim: %s %+v", states(rep), rep)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(rep.Notes) == 0 || rep.Stages[0].Stage != "" {
		t.Errorf("a claim of no known stage: %+v", rep)
	}
	if _, err := quarryErr(t, "status", "not-a-job", "--endpoint-url", ep.URL); err == nil || exitCode(err) != exitError {
		t.Errorf("malformed id: %v (exit %d)", err, exitCode(err))
	}
}

// TestStatusAfterTheRealWorkersRan runs `quarry worker --roles
// fetch,extract` against the sample records portal and reads the finished
// job with `quarry status`, by the root's id and by the extract child's:
// the stages' real results are what the report shows.
func TestStatusAfterTheRealWorkersRan(t *testing.T) {
	ep := localawstest.Start(t, localaws.Config{})
	useRedis(t) // the workers and status share it
	site := localPortal(t, 0)
	runQuarry(t, "infra", "apply", "--endpoint-url", ep.URL)
	out := runQuarry(t, "publish", "fetch.document", "--endpoint-url", ep.URL, "--payload",
		fmt.Sprintf(`{"recipe":"local-records","key":%q,"extract":{"formats":["csv","json"]}}`, site.Records()[0].APINumber))
	jobID := strings.Fields(out)[2]
	if !messages.ValidID(jobID) {
		t.Fatalf("publish printed %q", out)
	}
	startWorker(t, "--roles", "fetch,extract", "--endpoint-url", ep.URL, "--metrics-addr", "")

	var rep jobstatus.Report
	deadline := time.Now().Add(40 * time.Second)
	for {
		out, err := quarryErr(t, "status", jobID, "--json", "--endpoint-url", ep.URL)
		if err != nil && exitCode(err) != exitUnknownJob {
			t.Fatal(err)
		}
		rep = jobstatus.Report{}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("status --json: %v\n%s", err, out)
		}
		if len(rep.Stages) == 3 && rep.Stages[1].State == jobstatus.StateDone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not extracted after 40s: %+v", rep)
		}
		time.Sleep(200 * time.Millisecond)
	}
	f, e, n := rep.Stages[0], rep.Stages[1], rep.Stages[2]
	if f.State != jobstatus.StateDone || f.Fetch == nil || f.Fetch.PDFKey != fetch.DocumentKey(jobID) || f.Fetch.Size == 0 || f.Fetch.ExtractJobID != e.JobID {
		t.Errorf("fetch stage: %+v", f)
	}
	if e.Extract == nil || e.Extract.Tables == 0 || len(e.Extract.Keys) != e.Extract.Tables+1 || n.State != jobstatus.StateNotRequested {
		t.Errorf("extract and notify stages: %+v / %+v", e, n)
	}
	byChild := jobstatus.Report{}
	if err := json.Unmarshal([]byte(runQuarry(t, "status", e.JobID, "--json", "--endpoint-url", ep.URL)), &byChild); err != nil {
		t.Fatal(err)
	}
	if len(byChild.Stages) != 3 || byChild.Stages[0].JobID != jobID || !byChild.Stages[1].Asked {
		t.Errorf("asked by the extract id: %+v", byChild)
	}
}
