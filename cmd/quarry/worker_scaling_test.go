package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/internal/redistest"
)

// TestWorkerProtectsTaskWhileJobsInFlight runs `quarry worker` as ECS would:
// $ECS_AGENT_URI points at a stand-in for the agent. A fetch job whose
// download takes 1.5 s makes the worker protect its task; when the worker
// stops it clears the protection, and --scaling-metrics emf leaves an EMF
// line for the fetch queue on stdout.
func TestWorkerProtectsTaskWhileJobsInFlight(t *testing.T) {
	ep := localawstest.Start(t, localaws.Config{})
	t.Setenv("QUARRY_REDIS_URL", os.Getenv(redistest.EnvURL))
	t.Setenv("QUARRY_REDIS_PREFIX", redistest.Prefix(t))
	_ = redistest.Client(t)

	calls := make(chan string, 64)
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/v1/task/task-protection/v1/state" {
			http.NotFound(w, r)
			return
		}
		enabled := strings.Contains(string(body), `"ProtectionEnabled":true`)
		calls <- fmt.Sprintf("%s %v", r.Method, enabled)
		fmt.Fprintf(w, `{"protection":{"ProtectionEnabled":%v,"TaskArn":"arn:aws:ecs:us-east-1:1:task/quarry/t"}}`, enabled)
	}))
	defer agent.Close()
	t.Setenv("ECS_AGENT_URI", agent.URL+"/v1/task")

	site := localPortal(t, 1500*time.Millisecond)
	runQuarry(t, "infra", "apply", "--endpoint-url", ep.URL)

	var stdout syncBuffer
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		cmd := newRootCommand(&stdout, logWriter{t})
		cmd.SetArgs([]string{"worker", "--roles", "fetch", "--endpoint-url", ep.URL, "--metrics-addr", "", "--soft-stop", "5s", "--scaling-metrics", "emf"})
		done <- cmd.ExecuteContext(ctx)
	}()
	runQuarry(t, "publish", "fetch.document", "--endpoint-url", ep.URL, "--payload",
		fmt.Sprintf(`{"recipe":"local-records","key":%q}`, site.Records()[0].APINumber))

	select {
	case c := <-calls:
		if c != "PUT true" {
			t.Fatalf("first agent call %q, want PUT true", c)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the worker never protected its task while a job was in flight")
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("quarry worker: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("quarry worker did not stop")
	}
	close(calls)
	var last string
	for c := range calls {
		last = c
	}
	if last != "PUT false" {
		t.Errorf("last agent call %q, want PUT false (protection cleared at exit)", last)
	}
	out := stdout.String()
	if !strings.Contains(out, `"Queue":"quarry-fetch"`) || !strings.Contains(out, `"CloudWatchMetrics"`) {
		t.Errorf("no EMF line for quarry-fetch on stdout:\n%s", out)
	}
}

func TestWorkerRejectsUnknownScalingMetrics(t *testing.T) {
	if _, err := quarryOut(t, "worker", "--roles", "fetch", "--scaling-metrics", "statsd", "--endpoint-url", "http://127.0.0.1:1"); err == nil {
		t.Fatal("quarry worker took --scaling-metrics statsd")
	}
}
