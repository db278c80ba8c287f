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
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/pipeline/extract"
	"github.com/quarry-dev/quarry/workers"
)

// stageDeps are what stage handlers are built from.
type stageDeps struct {
	env          *awsEnv
	jobsTopicARN string
	bucket       string
	redis        *infra.Redis
	claims       *idempotency.Store
	guard        *epochGuard
	registry     prometheus.Registerer
	cfg          Config
	log          Logger
}

// stage is what a role runs: its handlers by job type, and a gate that
// holds the role's receives while the stage cannot work (nil: never).
type stage struct {
	handlers map[string]workers.Handler
	gate     workers.Gate
}

// stageBuilder builds the stage of a role. A role whose stage is not built
// into this binary is an error that says so.
type stageBuilder func(role string, deps stageDeps) (stage, error)

// builtStages are the stages this binary runs.
func builtStages(role string, deps stageDeps) (stage, error) {
	switch role {
	case infra.RoleExtract:
		h, err := extract.NewHandler(extract.HandlerConfig{
			Blobs:     infra.NewBlobStore(deps.env.clients.S3, deps.bucket),
			Publisher: infra.NewPublisher(deps.env.clients.SNS, deps.jobsTopicARN),
			Logger:    deps.log,
		})
		if err != nil {
			return stage{}, err
		}
		return stage{handlers: map[string]workers.Handler{messages.TypeExtractTables: h}}, nil
	case infra.RoleNotify:
		h, err := newNotifyHandler(deps)
		if err != nil {
			return stage{}, err
		}
		return stage{handlers: map[string]workers.Handler{messages.TypeNotifyEmail: h}, gate: h.Gate()}, nil
	case infra.RoleSESEvents:
		h, err := newSESEventsHandler(deps)
		if err != nil {
			return stage{}, err
		}
		return stage{handlers: map[string]workers.Handler{messages.TypeSESEvent: h}}, nil
	case infra.RoleFetch:
		h, err := newFetchHandler(deps)
		if err != nil {
			return stage{}, err
		}
		return stage{handlers: map[string]workers.Handler{messages.TypeFetchDocument: h}}, nil
	}
	return stage{}, fmt.Errorf("role %s: its stage is not part of this build yet (built: fetch, extract, notify, ses-events)", role)
}

func newWorkerCommand(a *app) *cobra.Command {
	var (
		endpoint    string
		roles       string
		concurrency int
		metricsAddr string
		softStop    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "worker --roles fetch,extract,notify,ses-events",
		Short: "Run workers for one or more roles until SIGTERM",
		Long: `worker consumes the queues of the given roles. On SIGTERM it stops receiving
at once, lets in-flight jobs finish within --soft-stop (keep it below ECS's
stopTimeout), gives the rest back to SQS and releases their claims, flushes
deletes and exits 0. /metrics (Prometheus) and /healthz are served on
--metrics-addr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWorkers(cmd.Context(), a, builtStages, workerOptions{
				endpoint: endpoint, roles: strings.Split(roles, ","), concurrency: concurrency,
				metricsAddr: metricsAddr, softStop: softStop,
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&endpoint, "endpoint-url", "", "AWS endpoint (default: AWS_ENDPOINT_URL, else AWS)")
	f.StringVar(&roles, "roles", "", "comma-separated roles to run (fetch, extract, notify, ses-events)")
	f.IntVar(&concurrency, "concurrency", 0, "jobs at once per role (default: the topology's per-role value)")
	f.StringVar(&metricsAddr, "metrics-addr", "127.0.0.1:9090", "address of /metrics and /healthz (empty: off)")
	f.DurationVar(&softStop, "soft-stop", workers.DefaultSoftStopTimeout, "how long in-flight jobs may finish after SIGTERM")
	_ = cmd.MarkFlagRequired("roles")
	return cmd
}

type workerOptions struct {
	endpoint    string
	roles       []string
	concurrency int
	metricsAddr string
	softStop    time.Duration
}

func runWorkers(ctx context.Context, a *app, stages stageBuilder, o workerOptions) error {
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
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := workers.NewMetrics(reg)
	store := idempotency.NewStore(rdb.Client, a.cfg.RedisPrefix)
	guard, err := startEpochGuard(ctx, a, store, infra.NewBlobStore(env.clients.S3, a.cfg.BlobBucket), rdb.Embedded, reg)
	if err != nil {
		return err
	}

	topic, err := env.jobsTopicARN(ctx)
	if err != nil {
		return err
	}
	deps := stageDeps{env: env, jobsTopicARN: topic, bucket: a.cfg.BlobBucket, redis: rdb, claims: store, guard: guard, registry: reg, cfg: a.cfg, log: a.log}
	var runners []*workers.Runner
	for _, role := range o.roles {
		role = strings.TrimSpace(role)
		q, ok := env.topology.Queue(role)
		if !ok {
			return fmt.Errorf("unknown role %q (roles: fetch, extract, notify, ses-events)", role)
		}
		st, err := stages(role, deps)
		if err != nil {
			return err
		}
		url, err := env.queueURL(ctx, q.Name)
		if err != nil {
			return err
		}
		r, err := workers.New(workers.Config{
			SQS: env.clients.SQS, QueueURL: url, Role: role, Claims: store, Handlers: st.handlers, Gate: st.gate,
			Concurrency: cmp.Or(o.concurrency, q.Concurrency), SoftStopTimeout: o.softStop,
			Metrics: metrics, Logger: a.log,
		})
		if err != nil {
			return fmt.Errorf("role %s: %w", role, err)
		}
		runners = append(runners, r)
	}

	var running atomic.Int32
	g, gctx := errgroup.WithContext(ctx)
	if o.metricsAddr != "" {
		ln, err := net.Listen("tcp", o.metricsAddr)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
			if err := guard.Err(); err != nil {
				http.Error(w, "Redis lost its data: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
			if int(running.Load()) != len(runners) {
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
		a.log.Info().Str("addr", ln.Addr().String()).Msg("serving /metrics and /healthz")
	}
	g.Go(func() error { return guard.watch(gctx) })
	for _, r := range runners {
		g.Go(func() error {
			running.Add(1)
			defer running.Add(-1)
			return r.Run(gctx)
		})
	}
	return g.Wait()
}
