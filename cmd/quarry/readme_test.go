package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/internal/redistest"
)

// readmeBlocks returns the README's fenced blocks marked `sh runnable`.
func readmeBlocks(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []string
	var cur *strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(line) == "```sh runnable":
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatal("README: a runnable block is not closed")
	}
	return blocks
}

// syncBuffer collects a process's output for the test to read while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).AddrPort().String()[len("127.0.0.1:"):]
}

// TestReadmeExamples runs every README block marked `sh runnable`, as
// written, against a `quarry dev` started for the test: from a directory
// laid out like the repository (bin/quarry built from this tree,
// internal/ of the repository), with the endpoint's address put in for
// 127.0.0.1:4566. Each block must exit 0.
func TestReadmeExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds quarry and runs quarry dev; skipped with -short")
	}
	blocks := readmeBlocks(t, "../../README.md")
	if len(blocks) < 4 {
		t.Fatalf("found %d runnable README blocks, want at least 4", len(blocks))
	}
	awsPath := awsCLI(t)
	work := t.TempDir()
	if err := os.MkdirAll(filepath.Join(work, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(work, "bin", "quarry"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, link := range [][2]string{{filepath.Join(repo, "internal"), "internal"}, {awsPath, "bin/aws"}} {
		if err := os.Symlink(link[0], filepath.Join(work, link[1])); err != nil {
			t.Fatal(err)
		}
	}

	_ = redistest.Client(t) // removes the test's keys when it ends
	// A fresh shell: no AWS settings but what the blocks export.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "QUARRY_") {
			env = append(env, kv)
		}
	}
	url := os.Getenv(redistest.EnvURL)
	if url == "" {
		// A Redis the processes share: the examples' commands read the
		// fleet's suppression list and claims.
		url = "redis://" + miniredis.RunT(t).Addr()
	}
	env = append(env, "QUARRY_REDIS_URL="+url, "QUARRY_REDIS_PREFIX="+redistest.Prefix(t), "QUARRY_LOG_LEVEL=warn")
	addr := "127.0.0.1:" + freePort(t)
	var out syncBuffer
	dev := exec.Command(filepath.Join(work, "bin", "quarry"), "dev", "--jobs", "4", "--addr", addr, "--site-port", freePort(t))
	dev.Dir, dev.Env, dev.Stdout, dev.Stderr = work, env, &out, &out
	if err := dev.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- dev.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = dev.Process.Kill()
			<-exited
		}
	})
	deadline := time.After(90 * time.Second)
	for !strings.Contains(out.String(), "Still serving") {
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("quarry dev exited: %v\n%s", err, out.String())
		case <-deadline:
			t.Fatalf("quarry dev did not drain its batch within 90s:\n%s", out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}

	for i, block := range blocks {
		script := strings.ReplaceAll(block, "127.0.0.1:4566", addr)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
		cmd.Dir, cmd.Env = work, env
		res, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Errorf("README block %d failed: %v\n--- block\n%s--- output\n%s", i+1, err, block, res)
		}
	}

	// The jobs the blocks published all went through: the queues drain and
	// no DLQ holds anything (a payload a stage cannot use ends there).
	sqsc := sqs.NewFromConfig(localawstest.SDKConfig(t, "http://"+addr))
	depth := func(name string) int {
		url, err := sqsc.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		attrs, err := sqsc.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: url.QueueUrl, AttributeNames: []types.QueueAttributeName{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"} {
			n += atoi(attrs.Attributes[a])
		}
		return n
	}
	queues := infra.DefaultTopology().Queues
	waitFor := time.Now().Add(60 * time.Second)
	for busy := true; busy; {
		busy = false
		for _, q := range queues {
			busy = busy || depth(q.Name) > 0
		}
		if busy && time.Now().After(waitFor) {
			t.Fatal("the queues did not drain within 60s of the README's blocks")
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, q := range queues {
		if n := depth(q.DLQName()); n > 0 {
			t.Errorf("%s holds %d messages after the README's blocks ran", q.DLQName(), n)
		}
	}

	// Ctrl-C stops quarry dev cleanly.
	if err := dev.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Fatalf("quarry dev after SIGINT: %v\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("quarry dev did not stop within 30s of SIGINT:\n%s", out.String())
	}
}
