package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/internal/samplesite"
	"github.com/quarry-dev/quarry/pipeline/fetch/recipes"
)

// devSender is the From of result mails in `quarry dev` unless
// QUARRY_NOTIFY_FROM says otherwise.
const devSender = "Quarry <results@quarry.example>"

// devOptions are `quarry dev`'s flags, and what tests adjust.
type devOptions struct {
	addr, stateDir, out string
	jobs, sites, port   int
	records, mailEvery  int
	exitWhenDone, chaos bool
	asJSON              bool
	timeout             time.Duration
	sesRate             float64
	fetchConcurrency    int
	extractConcurrency  int
	site                samplesite.Config // the portal's behaviour (tests shorten its delays)
	interval            time.Duration     // how often progress is sampled
	cpuProfile          string            // write a CPU profile of the run here
	onProgress          func(progress)    // called with every sample (tests)
	terminal            bool              // draw the live view in place
}

func newDevCommand(a *app) *cobra.Command {
	o := devOptions{interval: 500 * time.Millisecond}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the whole fleet in one process on a sample batch: endpoint, Redis, sample site, every stage",
		Long: `dev runs everything Quarry is, in one process, with no AWS account: the
embedded AWS endpoint (SQS, SNS, SES v2, S3) on --addr, Redis (QUARRY_REDIS_URL,
or an embedded one), the sample records portal on loopback hosts, the
topology (infra apply), and every role: fetch, extract, notify, ses-events.
It then publishes a sample batch of fetch.document jobs whose PDFs hold real
tables, every --mail-every-th mailed to SES's simulator (some bounce, some
complain, so the suppression list fills), shows the progress of each stage
and, once the batch has drained, a summary.

It keeps serving afterwards, so the AWS CLI and SDKs can be pointed at
--addr, until Ctrl-C, which stops the workers (they give unfinished jobs
back), then the endpoint (saving --state-dir). With --exit-when-done it
exits once every job has completed or sits in a DLQ with its reason:
status 0, or 3 naming every job that is neither.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f, ok := a.stdout.(*os.File); ok && isatty.IsTerminal(f.Fd()) && !o.asJSON {
				o.terminal = true
			}
			return runDev(cmd.Context(), a, o, func(rep *devReport) error {
				if !o.asJSON {
					rep.print(a.stdout)
					return nil
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:4566", "address of the embedded AWS endpoint (point AWS_ENDPOINT_URL at it)")
	f.StringVar(&o.stateDir, "state-dir", "", "keep the endpoint's queues, messages, topics, mail and objects here across runs")
	f.StringVar(&o.out, "out", "", "write the batch's PDFs, tables (CSV/JSON/XLSX) and mails (.eml) to this directory")
	f.IntVar(&o.jobs, "jobs", 50, "fetch.document jobs in the sample batch (0: publish none, just run the fleet)")
	f.IntVar(&o.sites, "sites", 0, "loopback hosts serving the sample portal, 127.0.0.1 ... (default: one per 25 jobs, 1 to 100)")
	f.IntVar(&o.port, "site-port", 8484, "port of the sample portal on every host (the built-in recipe expects 8484)")
	f.IntVar(&o.records, "records", 1000, "records in the sample portal's catalog")
	f.IntVar(&o.mailEvery, "mail-every", 5, "mail the tables of every N-th job (0: none)")
	f.BoolVar(&o.exitWhenDone, "exit-when-done", false, "exit once every job is done or dead-lettered (status 3 if any is neither)")
	f.DurationVar(&o.timeout, "timeout", 30*time.Minute, "with --exit-when-done, give up after this long")
	f.BoolVar(&o.chaos, "chaos", false, "inject faults: 5% duplicate SQS deliveries and 1% of AWS calls answered with 500s")
	f.BoolVar(&o.asJSON, "json", false, "print the summary as JSON (and progress as plain lines on stderr)")
	f.Float64Var(&o.sesRate, "ses-send-rate", 100, "the endpoint's SES send rate (recipients/s)")
	f.IntVar(&o.fetchConcurrency, "fetch-concurrency", 0, "fetch jobs at once (default: 4 per site host, at most 512)")
	f.IntVar(&o.extractConcurrency, "extract-concurrency", 0, "extract jobs at once (default: 4 per CPU)")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof reads it)")
	return cmd
}

// runDev runs the fleet, publishes the batch and follows it, handing the
// report to emit once the batch has drained (or at Ctrl-C, or at
// --timeout). It returns when ctx ends, or, with --exit-when-done, once
// the batch has drained: exit status exitUnaccounted when jobs are
// unaccounted for.
func runDev(ctx context.Context, a *app, o devOptions, emit func(*devReport) error) error {
	if o.jobs < 0 || o.mailEvery < 0 || o.records < 1 {
		return errors.New("--jobs and --mail-every must not be negative, --records must be positive")
	}
	if o.sites == 0 {
		o.sites = min(max(1, (o.jobs+24)/25), 100)
	}
	o.interval = cmp.Or(o.interval, 500*time.Millisecond)
	if o.cpuProfile != "" {
		pf, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	progressOut := a.stdout
	if o.asJSON {
		progressOut = a.stderr
	}
	v := &view{out: progressOut, terminal: o.terminal}
	log := a.log
	if o.terminal {
		// The live view owns the terminal: the log goes to a file.
		path, lf, err := devLogFile(o)
		if err != nil {
			return err
		}
		defer lf.Close()
		log = zerolog.New(lf).Level(a.log.GetLevel()).With().Timestamp().Logger()
		fmt.Fprintf(progressOut, "quarry dev: logging to %s\n", path)
	}

	// The workers stop with the endpoint, so a message in flight when
	// the state was saved has nobody left to finish it: it comes back at
	// once on the next start.
	lcfg := localaws.Config{Addr: o.addr, StateDir: o.stateDir, SESMaxSendRate: o.sesRate, SESMax24HourSend: -1, SQSReleaseInflightOnLoad: true,
		Logger: slogFor(log.Level(max(log.GetLevel(), zerolog.WarnLevel)))}
	if o.chaos {
		lcfg.Faults = localaws.Faults{DuplicateRate: 0.05, ErrorRates: map[string]float64{"*": 0.01}}
	}
	srv, err := localaws.New(lcfg)
	if err != nil {
		return fmt.Errorf("starting the embedded AWS endpoint: %w", err)
	}
	defer func() {
		if err := srv.Close(); err != nil {
			log.Error().Err(err).Msg("closing the embedded AWS endpoint")
		}
	}()
	log.Info().Str("url", srv.URL()).Str("state_dir", o.stateDir).Msg("embedded AWS endpoint listening")

	rdb, err := infra.OpenRedis(ctx, a.cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	if rdb.Embedded {
		log.Warn().Msg("QUARRY_REDIS_URL is not set: using an embedded Redis inside this process. It is slower than a real server, " +
			"no other process can share it, and its claims, rate limits and suppression list are gone when quarry dev stops " +
			"(so a --state-dir restart may run kept jobs again). Set QUARRY_REDIS_URL=redis://127.0.0.1:6379 to use a real one.")
	}

	// A batch kept in --state-dir by a run that was stopped goes on; only
	// a run without one publishes a new batch.
	var batch *sampleBatch
	var kept savedBatch
	if o.stateDir != "" {
		b, saved, ok, err := loadBatch(o.stateDir)
		if err != nil {
			return err
		}
		if ok {
			batch, kept, o.sites = b, saved, saved.Sites
			log.Info().Int("jobs", len(b.jobs)).Str("state_dir", o.stateDir).Msg("going on with the batch kept in the state directory")
		}
	}

	sites, err := startDevSites(log, o.sites, o.port, o.records, o.site)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		sites.close(sctx)
	}()

	// The dev fleet's own configuration: the sample portal is on loopback,
	// and mail needs a sender.
	dev := *a
	dev.log = log
	dev.cfg.FetchAllowPrivate = true
	dev.cfg.NotifyFrom = cmp.Or(dev.cfg.NotifyFrom, devSender)
	env, err := dev.awsEnv(ctx, srv.URL())
	if err != nil {
		return err
	}
	if _, err := infra.Apply(ctx, env.clients, env.topology); err != nil {
		return fmt.Errorf("creating the topology on the embedded endpoint: %w", err)
	}
	perRole := map[string]int{
		// A flow at each of a host's 4 sessions (the sample recipe's
		// max_sessions); extraction is CPU work between S3 round trips.
		infra.RoleFetch:   cmp.Or(o.fetchConcurrency, min(4*len(sites), 512)),
		infra.RoleExtract: cmp.Or(o.extractConcurrency, 4*runtime.GOMAXPROCS(0)),
	}
	fl, err := newFleet(ctx, &dev, env, rdb, fleetOptions{roles: roleNames(), perRole: perRole, softStop: 10 * time.Second, sites: sites.recipeSites()})
	if err != nil {
		return err
	}
	if batch == nil {
		if batch, err = newSampleBatch(o.jobs, sites, o.records, o.mailEvery); err != nil {
			return err
		}
		if o.stateDir != "" {
			if err := batch.save(o.stateDir, len(sites), false); err != nil {
				return err
			}
		}
	}
	limit, err := sampleRequestLimit()
	if err != nil {
		return err
	}
	w, err := newWatcher(ctx, env, fl.registry, fl.roles, sites, limit)
	if err != nil {
		return err
	}

	// The fleet stops when follow returns (Ctrl-C, or the batch drained
	// with --exit-when-done), not at the signal itself: the report is read
	// from the endpoint and Redis first.
	fleetCtx, stopFleet := context.WithCancel(context.WithoutCancel(ctx))
	defer stopFleet()
	g, gctx := errgroup.WithContext(fleetCtx)
	g.Go(func() error { return fl.run(gctx, "") })
	var published atomic.Int64
	g.Go(func() error {
		if kept.Published {
			published.Store(int64(len(batch.jobs)))
			return nil
		}
		// Publishing again after a stop is safe: the jobs keep their ids,
		// and their claims drop the copies.
		pub := infra.NewPublisher(env.clients.SNS, fl.topic)
		if err := batch.publish(gctx, pub, func(n int) { published.Store(int64(n)) }); err != nil {
			return err
		}
		log.Info().Int("jobs", len(batch.jobs)).Int("sites", len(sites)).Msg("sample batch published")
		if o.stateDir != "" {
			return batch.save(o.stateDir, len(sites), true)
		}
		return nil
	})

	f := &follower{ctx: ctx, a: &dev, o: o, env: env, claims: fl.claims, rdb: rdb, batch: batch, watcher: w, view: v,
		published: &published, srvURL: srv.URL(), emit: emit}
	followErr := f.follow(gctx.Done())
	stopFleet()
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return errors.Join(followErr, fmt.Errorf("the fleet stopped: %w", err))
	}
	return followErr
}

// devLogFile opens the log file of a run whose terminal shows the live
// view: quarry-dev.log in --state-dir, else in the temporary directory.
func devLogFile(o devOptions) (string, *os.File, error) {
	dir := cmp.Or(o.stateDir, os.TempDir())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	path := filepath.Join(dir, "quarry-dev.log")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return "", nil, fmt.Errorf("opening the log file: %w", err)
	}
	return path, f, nil
}

// sampleRequestLimit is the most requests in one second the sample
// recipe's politeness lets the fleet send to one host: a burst, then one
// per min_interval.
func sampleRequestLimit() (int, error) {
	all, err := loadRecipes(recipes.FS())
	if err != nil {
		return 0, err
	}
	r, ok := all[sampleRecipe]
	if !ok {
		return 0, fmt.Errorf("the built-in recipe %s is missing", sampleRecipe)
	}
	return r.Politeness.Burst + int(time.Second/r.Politeness.MinInterval.D()), nil
}
