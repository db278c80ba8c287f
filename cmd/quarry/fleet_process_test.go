package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/redis/go-redis/v9"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/internal/redistest"
)

// The tests in this file run Quarry as its users do: the quarry binary
// (built once, without the race detector), `quarry localaws` and `quarry
// worker` as processes of their own, and a redis-server the test starts,
// so that workers and Redis can be SIGKILLed. They run when QUARRY_CHAOS
// is set (`make chaos`, which .ci/run calls); `make test` skips them.

const envChaos = "QUARRY_CHAOS"

func needChaos(t *testing.T) {
	t.Helper()
	if os.Getenv(envChaos) == "" {
		t.Skipf("process-level chaos test: run with %s=1 (make chaos)", envChaos)
	}
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// TestMain removes the binary the process tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// quarryBinary builds cmd/quarry once per test binary, without -race.
func quarryBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "quarry-chaos-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "quarry")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// proc is one process the test started.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	log  string // its stderr file
}

func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill SIGKILLs the process (only this one) and waits for it.
func (p *proc) kill(t *testing.T) {
	if !p.alive() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

// procFleet is localaws, Redis and the workers of one run.
type procFleet struct {
	t        *testing.T
	bin      string
	dir      string
	env      []string
	endpoint string
	redis    *redistest.Server
	rdb      *redis.Client
	prefix   string

	mu      sync.Mutex
	workers []*proc
	metrics []string // each worker slot's /metrics and /healthz address
	starts  int
}

// startProc starts bin args with the fleet's environment, stderr to a file.
func (f *procFleet) startProc(name string, stdout io.Writer, args ...string) *proc {
	f.t.Helper()
	logPath := filepath.Join(f.dir, fmt.Sprintf("%s.log", name))
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		f.t.Fatal(err)
	}
	cmd := exec.Command(f.bin, args...)
	cmd.Env = f.env
	cmd.Stderr = lf
	cmd.Stdout = lf
	if stdout != nil {
		cmd.Stdout = stdout
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		lf.Close()
		f.t.Fatalf("starting %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{}), log: logPath}
	go func() { _ = cmd.Wait(); lf.Close(); close(p.done) }()
	f.t.Cleanup(func() { p.kill(f.t) })
	return p
}

// run runs a short quarry command to completion and returns its stdout.
func (f *procFleet) run(args ...string) string {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.bin, args...)
	cmd.Env = f.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		f.t.Fatalf("quarry %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type procFleetOptions struct {
	redisArgs  []string // redis-server persistence settings
	localaws   []string // more localaws flags
	quiet      time.Duration
	visibility time.Duration // of the notify and ses-events queues
}

// startProcFleet starts localaws and Redis, applies the topology and shortens
// the queues' visibility timeouts (so a killed worker's jobs come back in
// seconds, not minutes).
func startProcFleet(t *testing.T, o procFleetOptions) *procFleet {
	t.Helper()
	f := &procFleet{t: t, bin: quarryBinary(t), dir: t.TempDir(), prefix: "chaos:"}
	f.redis = redistest.StartServer(t, o.redisArgs...)
	f.rdb = redis.NewClient(&redis.Options{Addr: f.redis.Addr})
	t.Cleanup(func() { _ = f.rdb.Close() })

	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "QUARRY_") && !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	f.env = append(env,
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"QUARRY_LOG_FORMAT=json", "QUARRY_LOG_LEVEL=warn",
		"QUARRY_REDIS_URL="+f.redis.URL(), "QUARRY_REDIS_PREFIX="+f.prefix,
		"QUARRY_NOTIFY_FROM=Quarry <results@quarry.example>",
		"QUARRY_NOTIFY_UNKNOWN_QUIET="+o.quiet.String(),
	)

	// localaws prints its URL on stdout once it listens.
	pr, pw := io.Pipe()
	f.startProc("localaws", pw, append([]string{"localaws", "--addr", "127.0.0.1:0"}, o.localaws...)...)
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "http://") {
				urlc <- strings.TrimSpace(sc.Text())
			}
		}
	}()
	select {
	case f.endpoint = <-urlc:
	case <-time.After(30 * time.Second):
		t.Fatal("localaws printed no URL within 30 s")
	}
	f.env = append(f.env, "AWS_ENDPOINT_URL="+f.endpoint)
	f.run("infra", "apply")

	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	env2, err := (&app{}).awsEnv(context.Background(), f.endpoint)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{infra.RoleNotify, infra.RoleSESEvents} {
		q, _ := env2.topology.Queue(role)
		url, err := env2.queueURL(context.Background(), q.Name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = env2.clients.SQS.SetQueueAttributes(context.Background(), &sqs.SetQueueAttributesInput{
			QueueUrl:   aws.String(url),
			Attributes: map[string]string{string(sqstypes.QueueAttributeNameVisibilityTimeout): strconv.Itoa(int(o.visibility.Seconds()))},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// startWorkers starts n `quarry worker --roles notify,ses-events`.
func (f *procFleet) startWorkers(n int) {
	for i := range n {
		f.metrics = append(f.metrics, freeAddr(f.t))
		f.workers = append(f.workers, nil)
		f.restartWorker(i)
	}
}

// restartWorker SIGKILLs worker slot i (if it runs) and starts a new one.
func (f *procFleet) restartWorker(i int) {
	f.mu.Lock()
	old := f.workers[i]
	f.mu.Unlock()
	if old != nil {
		old.kill(f.t)
	}
	f.mu.Lock()
	f.starts++
	n := f.starts
	f.mu.Unlock()
	p := f.startProc(fmt.Sprintf("worker%d-%03d", i, n), nil, "worker", "--roles", "notify,ses-events",
		"--metrics-addr", f.metrics[i], "--soft-stop", "1s")
	f.mu.Lock()
	f.workers[i] = p
	f.mu.Unlock()
}

// health returns the body and status of worker slot i's /healthz.
func (f *procFleet) health(i int) (int, string) {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + f.metrics[i] + "/healthz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// mailCounts returns how many mails each address has received.
func (f *procFleet) mailCounts() map[string]int {
	f.t.Helper()
	resp, err := http.Get(f.endpoint + "/_localaws/mail")
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var mails []struct {
		To []string `json:"to"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&mails); err != nil {
		f.t.Fatal(err)
	}
	out := map[string]int{}
	for _, m := range mails {
		for _, to := range m.To {
			out[to]++
		}
	}
	return out
}

// sendCalls returns how many SendEmail calls localaws has received.
func (f *procFleet) sendCalls() int64 {
	resp, err := http.Get(f.endpoint + "/_localaws/calls")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var calls map[string]map[string]int64
	_ = json.NewDecoder(resp.Body).Decode(&calls)
	return calls["ses"]["SendEmail"]
}

// effectTally reads every send effect's record from Redis: how many are
// still unknown, and how the ones that were unknown were settled.
type effectTally struct {
	unknownLeft    int
	settledByEvent int // unknown (or attempting at a crash) and settled by an SES event
	settledByQuiet int // settled as not sent after the quiet period, then sent
	lateEvents     int // settled as not sent, then an event said it was sent
}

func (f *procFleet) tallyEffects() effectTally {
	f.t.Helper()
	ctx := context.Background()
	var tally effectTally
	iter := f.rdb.Scan(ctx, 0, f.prefix+"idem:{*}:effect:*", 1000).Iterator()
	for iter.Next(ctx) {
		h, err := f.rdb.HMGet(ctx, iter.Val(), "state", "settled_by").Result()
		if err != nil {
			f.t.Fatal(err)
		}
		state, _ := h[0].(string)
		by, _ := h[1].(string)
		switch {
		case state == "unknown":
			tally.unknownLeft++
		case by == "event":
			tally.settledByEvent++
		case by == "quiet":
			tally.settledByQuiet++
		case by == "late_event":
			tally.lateEvents++
		}
	}
	if err := iter.Err(); err != nil {
		f.t.Fatal(err)
	}
	return tally
}

// logTail returns the last lines of a process's log, for failures.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// grepWorkerLogs counts the occurrences of s in every worker's log.
func (f *procFleet) grepWorkerLogs(s string) int {
	paths, _ := filepath.Glob(filepath.Join(f.dir, "worker*.log"))
	n := 0
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		n += bytes.Count(b, []byte(s))
	}
	return n
}
