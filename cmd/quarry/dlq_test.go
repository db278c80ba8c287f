package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/messages"
)

// runQuarry runs one quarry command line in-process and returns stdout.
func runQuarry(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	cmd := newRootCommand(&out, io.Discard)
	cmd.SetArgs(args)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("quarry %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

func TestPermanentFailureShowsInDLQPeekAndRedrivesBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ep := localawstest.Start(t, localaws.Config{})
	runQuarry(t, "infra", "apply", "--endpoint-url", ep.URL)
	runQuarry(t, "publish", "notify.email", "--endpoint-url", ep.URL,
		"--payload", `{"recipients":["a@example.org"],"template":"missing-template"}`)

	clients := infra.NewClients(ep.Config)
	env := &awsEnv{clients: clients, topology: infra.DefaultTopology()}
	queue, err := env.queueURL(ctx, "notify")
	if err != nil {
		t.Fatal(err)
	}
	var letters []infra.DeadLetter
	runWorker(t, clients.SQS, queue, "notify", messages.TypeNotifyEmail, failsForGood, 15*time.Second, func() bool {
		letters = nil
		for _, line := range strings.Split(strings.TrimSpace(runQuarry(t, "dlq", "peek", "notify", "--json", "--endpoint-url", ep.URL)), "\n") {
			if line == "" {
				continue
			}
			var l infra.DeadLetter
			if err := json.Unmarshal([]byte(line), &l); err != nil {
				t.Fatalf("peek --json line %q: %v", line, err)
			}
			letters = append(letters, l)
		}
		return len(letters) > 0
	})
	if len(letters) != 1 {
		t.Fatalf("peek shows %d messages, want 1", len(letters))
	}
	l := letters[0]
	if !strings.Contains(l.Reason, `template "missing-template" not found`) || l.Stage != "notify" || l.ReceiveCount != 1 ||
		l.Job == nil || l.Job.Type != messages.TypeNotifyEmail {
		t.Fatalf("peeked letter = %+v", l)
	}
	// Peeking leaves the message in place; the human-readable form shows the reason too.
	text := runQuarry(t, "dlq", "peek", "notify-dlq", "--endpoint-url", ep.URL)
	if !strings.Contains(text, "missing-template") || !strings.Contains(text, l.Job.ID) {
		t.Fatalf("peek output:\n%s", text)
	}
	if list := runQuarry(t, "dlq", "list", "--endpoint-url", ep.URL); !strings.Contains(list, "quarry-notify-dlq") {
		t.Fatalf("dlq list:\n%s", list)
	}
	// A filtered redrive moves it back to quarry-notify without the reason attributes.
	if out := runQuarry(t, "dlq", "redrive", "notify", "--type", "notify.email", "--endpoint-url", ep.URL); !strings.Contains(out, "moved 1 ") {
		t.Fatalf("redrive output: %s", out)
	}
	if out := runQuarry(t, "dlq", "peek", "notify", "--endpoint-url", ep.URL); !strings.Contains(out, "empty") {
		t.Fatalf("DLQ not empty after redrive:\n%s", out)
	}
}
