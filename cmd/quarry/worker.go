package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/ecstask"
	"github.com/quarry-dev/quarry/workers"
)

func newWorkerCommand(a *app) *cobra.Command {
	var (
		endpoint    string
		roles       string
		concurrency int
		metricsAddr string
		softStop    time.Duration
		scaling     string
	)
	cmd := &cobra.Command{
		Use:   "worker --roles fetch,extract,notify,ses-events",
		Short: "Run workers for one or more roles until SIGTERM",
		Long: `worker consumes the queues of the given roles. On SIGTERM it stops receiving
at once, lets in-flight jobs finish within --soft-stop, gives the rest back to
SQS and releases their claims, flushes deletes and exits 0. ECS sends SIGKILL
stopTimeout after SIGTERM (30s unless the task definition says otherwise, at
most 120s on Fargate): the default soft-stop of 20s leaves 10s to give jobs
back within ECS's default; quarry infra render sets each role's stopTimeout
to its soft-stop plus those 10s. /metrics (Prometheus) and /healthz are served on
--metrics-addr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("concurrency") && concurrency < 1 {
				return usageErrorf("--concurrency %d: want at least 1 job at once (leave it out for each role's default)", concurrency)
			}
			return runWorkers(cmd.Context(), a, workerOptions{
				endpoint: endpoint, roles: strings.Split(roles, ","), concurrency: concurrency,
				metricsAddr: metricsAddr, softStop: softStop, scalingMetrics: scaling,
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&endpoint, "endpoint-url", "", "AWS endpoint (default: AWS_ENDPOINT_URL, else AWS)")
	f.StringVar(&roles, "roles", "", "comma-separated roles to run ("+strings.Join(roleNames(), ", ")+")")
	f.IntVar(&concurrency, "concurrency", 0, "jobs at once per role (default: the topology's per-role value)")
	f.StringVar(&metricsAddr, "metrics-addr", "127.0.0.1:9090", "address of /metrics and /healthz (empty: off)")
	f.DurationVar(&softStop, "soft-stop", ecstask.DefaultSoftStop, "how long in-flight jobs may finish after SIGTERM (plus 10s to give the rest back must fit ECS's stopTimeout)")
	f.StringVar(&scaling, "scaling-metrics", scalingMetricsOff, "publish jobs processed, processing time and in-flight per queue each minute as CloudWatch EMF lines on stdout (emf) or not (off)")
	_ = cmd.MarkFlagRequired("roles")
	return cmd
}

type workerOptions struct {
	endpoint    string
	roles       []string
	concurrency int
	metricsAddr string
	softStop    time.Duration
	// scalingMetrics is off or emf.
	scalingMetrics string
}

func runWorkers(ctx context.Context, a *app, o workerOptions) error {
	env, err := a.awsEnv(ctx, o.endpoint)
	if err != nil {
		return err
	}
	rdb, err := infra.OpenRedis(ctx, a.cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	if rdb.Embedded {
		a.log.Warn().Msg("QUARRY_REDIS_URL is not set: using an embedded Redis, so dedup keys are neither shared nor kept")
	}
	var names []string
	for _, name := range o.roles {
		names = append(names, strings.TrimSpace(name))
	}
	f, err := newFleet(ctx, a, env, rdb, fleetOptions{roles: names, concurrency: o.concurrency, softStop: o.softStop})
	if err != nil {
		return err
	}
	stop, err := startScalingInputs(ctx, a, f, cmp.Or(o.scalingMetrics, scalingMetricsOff))
	if err != nil {
		return err
	}
	defer stop()
	return f.run(ctx, o.metricsAddr)
}

// fleetOptions say which roles a fleet runs and how.
type fleetOptions struct {
	roles []string
	// concurrency overrides every role's topology value; perRole overrides
	// it by role.
	concurrency int
	perRole     map[string]int
	softStop    time.Duration
	// sites point recipe names at sample-portal hosts (quarry dev).
	sites []recipeSite
}

// fleet is the runners of one process, one per role, with their metrics.
type fleet struct {
	log      Logger
	registry *prometheus.Registry
	claims   *idempotency.Store
	guard    *epochGuard // closed when Redis lost its data
	topic    string      // the jobs topic's ARN
	runners  []*workers.Runner
	roles    []string
}

// newFleet builds a runner for each role of o, its stage wired from the
// role table, on env's queues and rdb's claims.
func newFleet(ctx context.Context, a *app, env *awsEnv, rdb *infra.Redis, o fleetOptions) (*fleet, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := workers.NewMetrics(reg)
	store := idempotency.NewStore(rdb.Client, a.cfg.RedisPrefix)
	guard, err := startEpochGuard(ctx, a, store, infra.NewBlobStore(env.clients.S3, a.cfg.BlobBucket), rdb.Embedded, reg)
	if err != nil {
		return nil, err
	}

	topic, err := env.jobsTopicARN(ctx)
	if err != nil {
		return nil, err
	}
	deps := stageDeps{env: env, jobsTopicARN: topic, bucket: a.cfg.BlobBucket, redis: rdb, claims: store, guard: guard, registry: reg, cfg: a.cfg, log: a.log, sites: o.sites}
	f := &fleet{log: a.log, registry: reg, claims: store, guard: guard, topic: topic}
	for _, name := range o.roles {
		r, err := findRole(name)
		if err != nil {
			return nil, err
		}
		q, ok := env.topology.Queue(r.name)
		if !ok {
			return nil, fmt.Errorf("role %s has no queue in the topology", r.name)
		}
		st, err := r.build(deps)
		if err != nil {
			return nil, fmt.Errorf("role %s: %w", r.name, err)
		}
		url, err := env.queueURL(ctx, q.Name)
		if err != nil {
			return nil, err
		}
		runner, err := workers.New(workers.Config{
			SQS: env.clients.SQS, QueueURL: url, Role: r.name, Claims: store,
			Handlers: map[string]workers.Handler{r.jobType: st.handler}, Gate: st.gate,
			Concurrency: cmp.Or(o.perRole[r.name], o.concurrency, q.Concurrency), SoftStopTimeout: o.softStop,
			Metrics: metrics, Logger: a.log,
		})
		if err != nil {
			return nil, fmt.Errorf("role %s: %w", r.name, err)
		}
		f.runners = append(f.runners, runner)
		f.roles = append(f.roles, r.name)
	}
	return f, nil
}

// run runs every runner until ctx ends (then they stop as SIGTERM says),
// serving /metrics and /healthz on metricsAddr when it is not empty.
func (f *fleet) run(ctx context.Context, metricsAddr string) error {
	var running atomic.Int32
	g, gctx := errgroup.WithContext(ctx)
	if metricsAddr != "" {
		ln, err := net.Listen("tcp", metricsAddr)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(f.registry, promhttp.HandlerOpts{}))
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
			if err := f.guard.Err(); err != nil {
				http.Error(w, "Redis lost its data: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
			if int(running.Load()) != len(f.runners) {
				http.Error(w, "runners not running", http.StatusServiceUnavailable)
				return
			}
			_, _ = w.Write([]byte("ok\n"))
		})
		hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		g.Go(func() error {
			if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
		g.Go(func() error {
			<-gctx.Done()
			sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), 5*time.Second)
			defer cancel()
			return hs.Shutdown(sctx)
		})
		f.log.Info().Str("addr", ln.Addr().String()).Msg("serving /metrics and /healthz")
	}
	g.Go(func() error { return f.guard.watch(gctx) })
	for _, r := range f.runners {
		g.Go(func() error {
			running.Add(1)
			defer running.Add(-1)
			return r.Run(gctx)
		})
	}
	return g.Wait()
}
