package main

import (
	"cmp"
	"context"
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

// devUnknownQuiet is how long quarry dev waits for an SES event of a send
// whose outcome is unknown before it settles the send as not made.
const devUnknownQuiet = 5 * time.Second

// devOptions are `quarry dev`'s flags, and what tests adjust.
type devOptions struct {
	addr, stateDir, out string
	apiAddr             string
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
	onAPI               func(devAPI)      // called once the API serves (tests)
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
				return writeJSON(a.stdout, rep)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:4566", "address of the embedded AWS endpoint (point AWS_ENDPOINT_URL at it)")
	f.StringVar(&o.apiAddr, "api-addr", "127.0.0.1:8080", "serve the HTTP API, its console (/) and /docs here, with a token printed at start ('' for none)")
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
	o, err := o.withDefaults()
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		stop, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	d := &devRun{o: o}
	defer d.close(ctx)
	if err := d.start(ctx, a); err != nil {
		return err
	}
	return d.run(ctx, emit)
}

func (o devOptions) withDefaults() (devOptions, error) {
	if o.jobs < 0 || o.mailEvery < 0 || o.records < 1 {
		return o, errors.New("--jobs and --mail-every must not be negative, --records must be positive")
	}
	if o.sites == 0 {
		o.sites = min(max(1, (o.jobs+24)/25), 100)
	}
	o.interval = cmp.Or(o.interval, 500*time.Millisecond)
	return o, nil
}

// devRun is what one `quarry dev` run started, closed in reverse order.
type devRun struct {
	o     devOptions
	a     *app // the dev fleet's: its logger, and configuration for the sample portal
	view  *view
	srv   *localaws.Server
	rdb   *infra.Redis
	sites devSites
	env   *awsEnv
	batch *sampleBatch
	kept  savedBatch // the batch as --state-dir kept it, if it did
	api   *devAPI    // the HTTP API, when it serves

	closers []func()
}

// start brings up the endpoint, Redis, the sample portal and the topology.
func (d *devRun) start(ctx context.Context, a *app) error {
	if err := d.startLog(a); err != nil {
		return err
	}
	if err := d.startEndpoint(); err != nil {
		return err
	}
	if err := d.openRedis(ctx); err != nil {
		return err
	}
	// A batch kept in --state-dir by a run that was stopped goes on; only
	// a run without one publishes a new batch.
	if d.o.stateDir != "" {
		b, saved, ok, err := loadBatch(d.o.stateDir)
		if err != nil {
			return err
		}
		if ok {
			d.batch, d.kept, d.o.sites = b, saved, saved.Sites
			d.a.log.Info().Int("jobs", len(b.jobs)).Str("state_dir", d.o.stateDir).Msg("going on with the batch kept in the state directory")
		}
	}
	sites, err := startDevSites(d.a.log, d.o.sites, d.o.port, d.o.records, d.o.site)
	if err != nil {
		return err
	}
	d.sites = sites
	d.closers = append(d.closers, func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		sites.close(sctx)
	})
	if d.env, err = d.a.awsEnv(ctx, d.srv.URL()); err != nil {
		return err
	}
	if _, err := infra.Apply(ctx, d.env.clients, d.env.topology); err != nil {
		return fmt.Errorf("creating the topology on the embedded endpoint: %w", err)
	}
	return d.startAPI(ctx)
}

// startLog sets up the dev fleet's app: its own configuration (the sample
// portal is on loopback, mail needs a sender) and its logger, which writes
// to a file while the live view owns the terminal.
func (d *devRun) startLog(a *app) error {
	dev := *a
	dev.cfg.FetchAllowPrivate = true
	dev.cfg.NotifyFrom = cmp.Or(dev.cfg.NotifyFrom, devSender)
	// The embedded endpoint publishes a send's events at once, so a send
	// whose answer was lost (--chaos) is settled after a short quiet
	// period rather than AWS's 15 minutes, unless configured otherwise.
	if _, set := os.LookupEnv("QUARRY_NOTIFY_UNKNOWN_QUIET"); !set {
		dev.cfg.NotifyUnknownQuiet = devUnknownQuiet
	}
	d.a = &dev
	out := a.stdout
	if d.o.asJSON {
		out = a.stderr
	}
	d.view = &view{out: out, terminal: d.o.terminal}
	if !d.o.terminal {
		return nil
	}
	path, lf, err := devLogFile(d.o)
	if err != nil {
		return err
	}
	d.closers = append(d.closers, func() { _ = lf.Close() })
	dev.log = zerolog.New(lf).Level(a.log.GetLevel()).With().Timestamp().Logger()
	fmt.Fprintf(out, "quarry dev: logging to %s\n", path)
	return nil
}

func (d *devRun) startEndpoint() error {
	log := d.a.log
	// The workers stop with the endpoint, so a message in flight when the
	// state was saved has nobody left to finish it: it comes back at once
	// on the next start.
	cfg := localaws.Config{Addr: d.o.addr, StateDir: d.o.stateDir, SESMaxSendRate: d.o.sesRate, SESMax24HourSend: -1,
		SQSReleaseInflightOnLoad: true, Logger: slogFor(log.Level(max(log.GetLevel(), zerolog.WarnLevel)))}
	if d.o.chaos {
		cfg.Faults = localaws.Faults{DuplicateRate: 0.05, ErrorRates: map[string]float64{"*": 0.01}}
	}
	srv, err := localaws.New(cfg)
	if err != nil {
		return fmt.Errorf("starting the embedded AWS endpoint: %w", err)
	}
	d.srv = srv
	d.closers = append(d.closers, func() {
		if err := srv.Close(); err != nil {
			log.Error().Err(err).Msg("closing the embedded AWS endpoint")
		}
	})
	log.Info().Str("url", srv.URL()).Str("state_dir", d.o.stateDir).Msg("embedded AWS endpoint listening")
	return nil
}

func (d *devRun) openRedis(ctx context.Context) error {
	rdb, err := infra.OpenRedis(ctx, d.a.cfg.RedisURL)
	if err != nil {
		return err
	}
	d.rdb = rdb
	d.closers = append(d.closers, func() { _ = rdb.Close() })
	if rdb.Embedded {
		d.a.log.Warn().Msg("QUARRY_REDIS_URL is not set: using an embedded Redis inside this process. It is slower than a real server, " +
			"no other process can share it, and its claims, rate limits and suppression list are gone when quarry dev stops " +
			"(so a --state-dir restart may run kept jobs again). Set QUARRY_REDIS_URL=redis://127.0.0.1:6379 to use a real one.")
	}
	return nil
}

// close stops what start started, the endpoint last (saving --state-dir).
func (d *devRun) close(context.Context) {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

// run starts the fleet, publishes the batch (unless a kept one was
// published already) and follows it. The fleet stops when following ends
// (Ctrl-C, or the batch drained with --exit-when-done), not at the signal
// itself: the report is read from the endpoint and Redis first.
func (d *devRun) run(ctx context.Context, emit func(*devReport) error) error {
	o, log := d.o, d.a.log
	perRole := map[string]int{
		// A flow at each of a host's 4 sessions (the sample recipe's
		// max_sessions); extraction is CPU work between S3 round trips.
		infra.RoleFetch:   cmp.Or(o.fetchConcurrency, min(4*len(d.sites), 512)),
		infra.RoleExtract: cmp.Or(o.extractConcurrency, 4*runtime.GOMAXPROCS(0)),
	}
	fl, err := newFleet(ctx, d.a, d.env, d.rdb, fleetOptions{roles: roleNames(), perRole: perRole, softStop: 10 * time.Second, sites: d.sites.recipeSites()})
	if err != nil {
		return err
	}
	if d.batch == nil {
		if d.batch, err = newSampleBatch(o.jobs, d.sites, o.records, o.mailEvery); err != nil {
			return err
		}
		if o.stateDir != "" {
			if err := d.batch.save(o.stateDir, len(d.sites), false); err != nil {
				return err
			}
		}
	}
	limit, err := sampleRequestLimit()
	if err != nil {
		return err
	}
	w, err := newWatcher(ctx, d.env, fl.registry, fl.roles, d.sites, limit)
	if err != nil {
		return err
	}

	fleetCtx, stopFleet := context.WithCancel(context.WithoutCancel(ctx))
	defer stopFleet()
	g, gctx := errgroup.WithContext(fleetCtx)
	g.Go(func() error { return fl.run(gctx, "") })
	var published atomic.Int64
	g.Go(func() error {
		if d.kept.Published {
			published.Store(int64(len(d.batch.jobs)))
			return nil
		}
		// Publishing again after a stop is safe: the jobs keep their ids,
		// and their claims drop the copies.
		if err := d.batch.publish(gctx, infra.NewPublisher(d.env.clients.SNS, fl.topic), func(n int) { published.Store(int64(n)) }); err != nil {
			return err
		}
		log.Info().Int("jobs", len(d.batch.jobs)).Int("sites", len(d.sites)).Msg("sample batch published")
		if o.stateDir != "" {
			return d.batch.save(o.stateDir, len(d.sites), true)
		}
		return nil
	})

	f := &follower{ctx: ctx, a: d.a, o: o, env: d.env, claims: fl.claims, rdb: d.rdb, batch: d.batch, watcher: w, view: d.view,
		published: &published, srvURL: d.srv.URL(), api: d.api, emit: emit}
	followErr := f.follow(gctx.Done())
	stopFleet()
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return errors.Join(followErr, fmt.Errorf("the fleet stopped: %w", err))
	}
	return followErr
}

// startCPUProfile profiles the process into path until stop.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
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
