package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/workers"
)

// runQuarryErr runs one quarry command line in-process and returns
// stdout, stderr and its error.
func runQuarryErr(args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	cmd := newRootCommand(&out, &errOut)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func writeJobs(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"recipients":["r%d@example.org"],"template":"tables-ready"}`+"\n", i)
	}
	path := filepath.Join(t.TempDir(), "jobs.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func decodeLines(t *testing.T, out string) []publishedLine {
	t.Helper()
	var lines []publishedLine
	for _, s := range strings.Split(strings.TrimSpace(out), "\n") {
		var l publishedLine
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("--json line %q: %v", s, err)
		}
		lines = append(lines, l)
	}
	return lines
}

func TestPublishFileAndApplyRideOutThrottling(t *testing.T) {
	t.Parallel()
	ep := localawstest.Start(t, localaws.Config{Faults: localaws.Faults{
		ThrottleRates: map[string]float64{"sns.*": 0.1, "sqs.*": 0.05},
		ErrorRates:    map[string]float64{"sns.PublishBatch": 0.05},
	}})
	for range 3 {
		if _, _, err := runQuarryErr("infra", "apply", "--endpoint-url", ep.URL); err != nil {
			t.Fatalf("infra apply under throttling: %v", err)
		}
	}
	const n = 300
	out, errOut, err := runQuarryErr("publish", "notify.email", "--file", writeJobs(t, n), "--json", "--endpoint-url", ep.URL)
	if err != nil {
		t.Fatalf("publish under throttling: %v\n%s", err, errOut)
	}
	lines := decodeLines(t, out)
	if len(lines) != n {
		t.Fatalf("--json printed %d lines, want %d", len(lines), n)
	}
	for i, l := range lines {
		if !l.Published || l.Line != i+1 || l.JobID == "" || l.Error != "" {
			t.Fatalf("line %d: %+v", i+1, l)
		}
	}
	env := &awsEnv{clients: infra.NewClients(ep.Config), topology: infra.DefaultTopology()}
	queue, err := env.queueURL(context.Background(), "notify")
	if err != nil {
		t.Fatal(err)
	}
	if d := depth(t, env.clients.SQS, queue); d != n {
		t.Errorf("the notify queue holds %d jobs, want %d", d, n)
	}
}

func TestPublishingAFileTwiceRunsEachLineOnce(t *testing.T) {
	ep := localawstest.Start(t, localaws.Config{})
	runQuarry(t, "infra", "apply", "--endpoint-url", ep.URL)
	const n = 15
	file := writeJobs(t, n)
	first := decodeLines(t, runQuarry(t, "publish", "notify.email", "--file", file, "--json", "--endpoint-url", ep.URL))
	second := decodeLines(t, runQuarry(t, "publish", "notify.email", "--file", file, "--json", "--endpoint-url", ep.URL))
	for i := range first {
		if first[i].IdempotencyKey != second[i].IdempotencyKey || first[i].IdempotencyKey == "" {
			t.Fatalf("line %d: keys %q and %q differ between runs", i+1, first[i].IdempotencyKey, second[i].IdempotencyKey)
		}
	}

	clients := infra.NewClients(ep.Config)
	env := &awsEnv{clients: clients, topology: infra.DefaultTopology()}
	queue, err := env.queueURL(context.Background(), "notify")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	runs := map[string]int{}
	runWorker(t, clients.SQS, queue, "notify", messages.TypeNotifyEmail, workers.HandlerFunc(
		func(ctx context.Context, j messages.Job) ([]byte, error) {
			mu.Lock()
			defer mu.Unlock()
			runs[string(j.Payload)]++
			return nil, nil
		}), 30*time.Second, func() bool { return depth(t, clients.SQS, queue) == 0 })
	if d := depth(t, clients.SQS, queue); d != 0 {
		t.Fatalf("%d jobs left in the queue", d)
	}
	if len(runs) != n {
		t.Fatalf("%d distinct jobs ran, want %d", len(runs), n)
	}
	for p, c := range runs {
		if c != 1 {
			t.Errorf("job %s ran %d times", p, c)
		}
	}
}

func TestLineKeysComeFromTheIDFieldOrTheContent(t *testing.T) {
	t.Parallel()
	job := func(payload string) messages.Job {
		j, err := messages.NewJob(messages.TypeNotifyEmail, json.RawMessage(payload))
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	a := job(`{"recipients":["a@example.org"],"template":"t","id":"order-7"}`)
	b := job(`{"template":"t","id":"order-7","recipients":["a@example.org"]}`)
	c := job(`{"recipients":["a@example.org"],"template":"t"}`)
	d := job(`{ "recipients": ["a@example.org"],
		"template": "t" }`)
	if k := lineKey("", messages.TypeNotifyEmail, a); k != "publish:notify.email:id:order-7" {
		t.Errorf("key with an id field = %q", k)
	}
	if lineKey("batch-9", messages.TypeNotifyEmail, b) != "batch-9:id:order-7" {
		t.Errorf("prefixed key = %q", lineKey("batch-9", messages.TypeNotifyEmail, b))
	}
	if kc, kd := lineKey("", messages.TypeNotifyEmail, c), lineKey("", messages.TypeNotifyEmail, d); kc != kd || !strings.HasPrefix(kc, "publish:notify.email:sha256:") || kc == lineKey("", messages.TypeExtractTables, c) {
		t.Errorf("keys of one payload written two ways: %q, %q", kc, kd)
	}
}

func TestPublishReportsTheLinesItCouldNotPublish(t *testing.T) {
	t.Parallel()
	ep := localawstest.Start(t, localaws.Config{})
	runQuarry(t, "infra", "apply", "--endpoint-url", ep.URL)
	path := filepath.Join(t.TempDir(), "jobs.jsonl")
	if err := os.WriteFile(path, []byte(`{"recipients":["a@example.org"],"template":"t"}
{"recipients":"not-a-list"}
{"recipients":["b@example.org"],"template":"t"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runQuarryErr("publish", "notify.email", "--file", path, "--json", "--endpoint-url", ep.URL)
	if exitCode(err) != exitPartlyPublished {
		t.Fatalf("publish with a bad line: %v, want exit status %d", err, exitPartlyPublished)
	}
	lines := decodeLines(t, out)
	if len(lines) != 3 || !lines[0].Published || lines[1].Published || lines[1].Line != 2 || lines[1].Error == "" || !lines[2].Published {
		t.Fatalf("lines = %+v", lines)
	}
	_, errOut, _ := runQuarryErr("publish", "notify.email", "--file", path, "--endpoint-url", ep.URL)
	if !strings.Contains(errOut, "line 2") {
		t.Errorf("stderr does not name line 2:\n%s", errOut)
	}
	if _, _, err := runQuarryErr("publish", "notify.email", "--endpoint-url", ep.URL); err == nil {
		t.Error("publish without --payload or --file succeeded")
	}
	_ = io.Discard
}
