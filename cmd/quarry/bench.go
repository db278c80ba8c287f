package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/workers"
)

func newBenchCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure Quarry's throughput"}
	cmd.AddCommand(newBenchRuntimeCommand(a), newBenchExtractCommand(a))
	return cmd
}

// runtimeBenchResult is the last line of `quarry bench runtime --json`.
type runtimeBenchResult struct {
	Messages             int     `json:"messages"`
	MsgsPerS             float64 `json:"msgs_per_s"`
	BareMsgsPerS         float64 `json:"bare_msgs_per_s"`
	SQSCallsPerMsg       float64 `json:"sqs_calls_per_msg"`
	DuplicatesSuppressed int64   `json:"duplicates_suppressed"`
	DuplicateEffects     int64   `json:"duplicate_effects"`
	// CPU time per message in each phase: of this process (runtime or
	// bare loop, SDK and the embedded endpoint together) and of the Redis
	// server (0 when it is embedded; on a shared server it includes other
	// clients' load).
	CPUPerMsg     phaseCPU `json:"cpu_per_msg"`
	BareCPUPerMsg phaseCPU `json:"bare_cpu_per_msg"`
}

// phaseCPU is CPU time per message, in microseconds.
type phaseCPU struct {
	Process float64 `json:"process_us"`
	Redis   float64 `json:"redis_us"`
}

func newBenchRuntimeCommand(a *app) *cobra.Command {
	var (
		n           int
		dupRate     float64
		concurrency int
		asJSON      bool
		prof        benchProfile
	)
	cmd := &cobra.Command{
		Use:   "runtime --messages N",
		Short: "Drain N no-op jobs with the worker runtime and with a bare SDK loop, side by side",
		Long: `bench runtime starts an embedded localaws (with --duplicates, that share of
receives is delivered twice) and uses QUARRY_REDIS_URL or an embedded Redis.
It publishes N no-op jobs through SNS into SQS and drains them with a bare
loop of ReceiveMessage(10) + DeleteMessageBatch, then publishes N more and
drains them with the runtime (claim, handler, complete, batched delete). It
reports both rates, the runtime's SQS calls per message, how many
duplicate deliveries were suppressed versus run twice, and the CPU time per
message of each phase (this process, and the Redis server during the
runtime phase). --cpuprofile and --memprofile with --profile-phase runtime
or bare profile that phase's drain alone.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch prof.phase {
			case "all", "runtime", "bare":
			default:
				return fmt.Errorf("--profile-phase %q: want all, runtime or bare", prof.phase)
			}
			if prof.phase == "all" {
				stop, err := prof.start()
				if err != nil {
					return err
				}
				defer func() { _ = stop() }()
			}
			res, err := benchRuntime(cmd.Context(), a, n, dupRate, concurrency, prof)
			if err != nil {
				return err
			}
			if !asJSON {
				fmt.Fprintf(a.stdout, "messages            %d\n", res.Messages)
				fmt.Fprintf(a.stdout, "runtime             %.0f msgs/s\n", res.MsgsPerS)
				fmt.Fprintf(a.stdout, "bare SDK loop       %.0f msgs/s (runtime at %.0f%%)\n", res.BareMsgsPerS, 100*res.MsgsPerS/res.BareMsgsPerS)
				fmt.Fprintf(a.stdout, "SQS calls per msg   %.3f\n", res.SQSCallsPerMsg)
				fmt.Fprintf(a.stdout, "duplicates skipped  %d\n", res.DuplicatesSuppressed)
				fmt.Fprintf(a.stdout, "duplicate effects   %d\n", res.DuplicateEffects)
				fmt.Fprintf(a.stdout, "CPU per msg         runtime %.0f µs + redis %.0f µs, bare loop %.0f µs\n", res.CPUPerMsg.Process, res.CPUPerMsg.Redis, res.BareCPUPerMsg.Process)
			}
			b, _ := json.Marshal(res)
			if asJSON {
				fmt.Fprintln(a.stdout, string(b))
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&n, "messages", 20000, "jobs to drain in each phase")
	cmd.Flags().Float64Var(&dupRate, "duplicates", 0, "share of SQS receives delivered twice (0-1)")
	cmd.Flags().IntVar(&concurrency, "concurrency", benchConcurrency, "runtime handler slots")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as one JSON line")
	cmd.Flags().StringVar(&prof.cpu, "cpuprofile", "", "write a CPU profile to this file (of the phase --profile-phase names)")
	cmd.Flags().StringVar(&prof.mem, "memprofile", "", "write an allocation profile to this file, and the allocations before the phase to FILE.base (compare with pprof -diff_base)")
	cmd.Flags().StringVar(&prof.phase, "profile-phase", "all", "what the profiles cover: all (the whole run, publishing included), runtime or bare (that phase's drain only)")
	return cmd
}

// benchConcurrency is the runtime's handler slots in the bench. A slot is
// held from before its message's receive until the handler returns: the
// receive, the claim in Redis and the hand-overs take 3 to 4 ms under load
// on 2 cores, so at 15,000 msgs/s some 50 jobs are in that pipeline even
// when their handlers do nothing. With 32 slots the runtime waits for
// slots while CPU is idle (measured: 14 alternating runs, median 81.5 % of
// the bare loop against 84.5 % with 64, the same CPU per message).
const benchConcurrency = 64

// benchProfile says which profiles to write and of what part of the run.
type benchProfile struct {
	cpu, mem string
	phase    string // all, runtime or bare
}

// start begins profiling; the returned function ends it and writes the
// profiles (once; later calls do nothing).
func (p benchProfile) start() (stop func() error, err error) {
	var cpuFile *os.File
	if p.cpu != "" {
		if cpuFile, err = os.Create(p.cpu); err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(cpuFile); err != nil {
			cpuFile.Close()
			return nil, err
		}
	}
	if p.mem != "" {
		if err := writeAllocs(p.mem + ".base"); err != nil {
			return nil, err
		}
	}
	return sync.OnceValue(func() error {
		var errs []error
		if cpuFile != nil {
			pprof.StopCPUProfile()
			errs = append(errs, cpuFile.Close())
		}
		if p.mem != "" {
			errs = append(errs, writeAllocs(p.mem))
		}
		return errors.Join(errs...)
	}), nil
}

// during starts profiling for the named phase if it is the one asked for.
func (p benchProfile) during(phase string) (stop func() error, err error) {
	if p.phase != phase || (p.cpu == "" && p.mem == "") {
		return func() error { return nil }, nil
	}
	return p.start()
}

func writeAllocs(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	runtime.GC() // up-to-date statistics
	return errors.Join(pprof.Lookup("allocs").WriteTo(f, 0), f.Close())
}

func benchRuntime(ctx context.Context, a *app, n int, dupRate float64, concurrency int, prof benchProfile) (runtimeBenchResult, error) {
	res := runtimeBenchResult{Messages: n}
	if n < 1 {
		return res, errors.New("--messages must be at least 1")
	}
	srv, err := localaws.New(localaws.Config{Faults: localaws.Faults{DuplicateRate: dupRate}})
	if err != nil {
		return res, err
	}
	defer srv.Close()
	cfg, err := infra.LoadAWSConfig(ctx, infra.AWSOptions{Endpoint: srv.URL()})
	if err != nil {
		return res, err
	}
	clients := infra.NewClients(cfg)
	resources, err := infra.Apply(ctx, clients, infra.DefaultTopology())
	if err != nil {
		return res, err
	}
	rdb, err := infra.OpenRedis(ctx, a.cfg.RedisURL)
	if err != nil {
		return res, err
	}
	defer rdb.Close()
	env := runtimeBenchEnv{srv: srv, clients: clients, rdb: rdb, n: n, queue: resources.Queues[infra.RoleNotify].URL,
		pub: infra.NewPublisher(clients.SNS, resources.JobsTopicARN)}

	// Phase 1: the bare loop. It runs first because it leaves nothing
	// behind: each of its receives ends before the next starts. The
	// runtime's last long poll, cancelled when the runner stops, can
	// still be answered by the endpoint (SQS does the same), and would
	// take the first messages of a later phase for a visibility timeout.
	if err := env.bare(ctx, prof, &res); err != nil {
		return res, err
	}
	// Phase 2: the runtime, on the same queue and endpoint.
	if err := env.runtime(ctx, a, concurrency, prof, &res); err != nil {
		return res, err
	}
	return res, nil
}

// runtimeBenchEnv is what both phases of the runtime bench run on: an
// endpoint of their own with the fleet's topology, and the fleet's Redis.
type runtimeBenchEnv struct {
	srv     *localaws.Server
	clients infra.Clients
	rdb     *infra.Redis
	queue   string // the notify role's queue, which both phases drain
	pub     *infra.Publisher
	n       int // messages a phase
}

// bare measures the bare receive-delete loop over n messages.
func (e runtimeBenchEnv) bare(ctx context.Context, prof benchProfile, res *runtimeBenchResult) error {
	if err := publishNoops(ctx, e.pub, e.n, "bare"); err != nil {
		return err
	}
	stopProfile, err := prof.during("bare")
	if err != nil {
		return err
	}
	defer func() { _ = stopProfile() }()
	cpu0 := sampleCPU(ctx, e.rdb)
	start := time.Now()
	if err := bareDrain(ctx, e.clients.SQS, e.queue, e.n); err != nil {
		return err
	}
	res.BareMsgsPerS = float64(e.n) / time.Since(start).Seconds()
	res.BareCPUPerMsg = sampleCPU(ctx, e.rdb).since(cpu0, e.n)
	return stopProfile()
}

// runtime measures the worker runtime over n messages (and the copies
// the endpoint's duplicate rate adds), with a handler that counts each
// job's effect.
func (e runtimeBenchEnv) runtime(ctx context.Context, a *app, concurrency int, prof benchProfile, res *runtimeBenchResult) error {
	if err := publishNoops(ctx, e.pub, e.n, "runtime"); err != nil {
		return err
	}
	prefix := "quarry-bench:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	store := idempotency.NewStore(e.rdb.Client, prefix)
	defer cleanupPrefix(context.WithoutCancel(ctx), e.rdb, prefix)
	var effects sync.Map
	var unique, dupEffects atomic.Int64
	allDone := make(chan struct{})
	handler := workers.HandlerFunc(func(ctx context.Context, j messages.Job) ([]byte, error) {
		if _, loaded := effects.LoadOrStore(j.ID, true); loaded {
			dupEffects.Add(1)
		} else if unique.Add(1) == int64(e.n) {
			close(allDone)
		}
		return nil, nil
	})
	reg := prometheus.NewRegistry()
	runner, err := workers.New(workers.Config{
		SQS: e.clients.SQS, QueueURL: e.queue, Role: "bench", Claims: store, Concurrency: concurrency,
		Handlers: map[string]workers.Handler{messages.TypeNotifyEmail: handler},
		// The per-job info lines would measure the terminal, not the
		// runtime: the bench logs warnings and errors only.
		Metrics: workers.NewMetrics(reg), Logger: a.log.Level(max(a.log.GetLevel(), zerolog.WarnLevel)),
	})
	if err != nil {
		return err
	}
	e.srv.ResetCalls()
	stopProfile, err := prof.during("runtime")
	if err != nil {
		return err
	}
	defer func() { _ = stopProfile() }()
	cpu0 := sampleCPU(ctx, e.rdb)
	start := time.Now()
	var elapsed time.Duration
	if err := e.runUntil(ctx, runner, allDone, func() {
		elapsed = time.Since(start)
		res.CPUPerMsg = sampleCPU(ctx, e.rdb).since(cpu0, e.n)
	}); err != nil {
		return err
	}
	if err := stopProfile(); err != nil {
		return err
	}
	var sqsCalls int64
	for action, c := range e.srv.Calls()["sqs"] {
		if action != "GetQueueAttributes" { // the bench's own emptiness checks
			sqsCalls += c
		}
	}
	res.MsgsPerS = float64(e.n) / elapsed.Seconds()
	res.SQSCallsPerMsg = float64(sqsCalls) / float64(e.n)
	res.DuplicateEffects = dupEffects.Load()
	res.DuplicatesSuppressed = int64(metricSum(reg, "quarry_duplicates_skipped_total"))
	return nil
}

// runUntil runs runner until done is closed and the queue is empty,
// calls finished (the measurement ends there: the runner's shutdown is
// not part of it), then stops the runner.
func (e runtimeBenchEnv) runUntil(ctx context.Context, runner *workers.Runner, done <-chan struct{}, finished func()) error {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	runErr := make(chan error, 1)
	go func() { runErr <- runner.Run(runCtx) }()
	select {
	case <-done:
	case err := <-runErr:
		return fmt.Errorf("runner stopped early: %w", err)
	case <-ctx.Done():
		stop()
		return errors.Join(ctx.Err(), <-runErr)
	}
	// Duplicate copies may still sit in the queue: drain them too, since
	// acknowledging them is part of the work.
	if err := waitEmpty(ctx, e.clients.SQS, e.queue); err != nil {
		stop()
		return errors.Join(err, <-runErr)
	}
	finished()
	stop()
	return <-runErr
}

func publishNoops(ctx context.Context, pub *infra.Publisher, n int, tag string) error {
	batch := make([]messages.Job, 0, 10)
	for i := range n {
		j, err := messages.NewJob(messages.TypeNotifyEmail, messages.NotifyEmail{
			Recipients: []string{"bench@example.org"}, Template: "noop", TemplateData: map[string]any{"phase": tag, "i": i},
		})
		if err != nil {
			return err
		}
		batch = append(batch, j)
		if len(batch) == 10 || i == n-1 {
			if err := pub.PublishBatch(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return nil
}

// bareDrain is the baseline: one loop, ReceiveMessage(10) then
// DeleteMessageBatch, until n messages were deleted and the queue is empty.
func bareDrain(ctx context.Context, c *sqs.Client, queue string, n int) error {
	got := 0
	for {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queue), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			return err
		}
		if len(out.Messages) == 0 {
			if got >= n {
				return nil
			}
			continue
		}
		entries := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
		for i, m := range out.Messages {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		}
		if _, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(queue), Entries: entries}); err != nil {
			return err
		}
		got += len(out.Messages)
		if got >= n {
			// Stop as soon as the queue is empty (duplicates included).
			attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queue), AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
			if err != nil {
				return err
			}
			if attrs.Attributes["ApproximateNumberOfMessages"] == "0" && attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0" {
				return nil
			}
		}
	}
}

func waitEmpty(ctx context.Context, c *sqs.Client, queue string) error {
	for {
		attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queue), AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
		if err != nil {
			return err
		}
		if attrs.Attributes["ApproximateNumberOfMessages"] == "0" && attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0" {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// cpuSample is the CPU time used so far by this process and by the Redis
// server; zero where it cannot be read.
type cpuSample struct {
	process, redis time.Duration
}

func sampleCPU(ctx context.Context, r *infra.Redis) cpuSample {
	s := cpuSample{process: processCPU()}
	if r.Embedded {
		return s // miniredis runs inside this process
	}
	info, err := r.Client.Info(ctx, "cpu").Result()
	if err != nil {
		return s
	}
	for line := range strings.SplitSeq(info, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		if k == "used_cpu_sys" || k == "used_cpu_user" {
			secs, _ := strconv.ParseFloat(v, 64)
			s.redis += time.Duration(secs * float64(time.Second))
		}
	}
	return s
}

// processCPU is the user and system CPU time of this process so far, from
// /proc/self/stat (in clock ticks of 1/100 s, Linux's USER_HZ); 0 where
// there is no /proc.
func processCPU() time.Duration {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces; fields count from
	// after it: state is field 3, utime 14 and stime 15.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func (s cpuSample) since(before cpuSample, n int) phaseCPU {
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(n) }
	return phaseCPU{Process: us(s.process - before.process), Redis: us(s.redis - before.redis)}
}

func metricSum(reg *prometheus.Registry, name string) float64 {
	fams, _ := reg.Gather()
	var sum float64
	for _, f := range fams {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func cleanupPrefix(ctx context.Context, r *infra.Redis, prefix string) {
	iter := r.Client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 1000 {
			r.Client.Del(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		r.Client.Del(ctx, keys...)
	}
}
