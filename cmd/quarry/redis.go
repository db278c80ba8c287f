package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
)

// Exit codes of `quarry redis check`.
const (
	exitRedisFit       = 0 // every requirement holds (warnings allowed)
	exitRedisUnfit     = 1 // a requirement fails
	exitRedisUnchecked = 2 // no Redis configured, or it does not answer
	exitRedisUnknown   = 3 // nothing fails, but a requirement could not be read
)

// Check statuses.
const (
	checkOK      = "ok"
	checkWarn    = "warn"
	checkFail    = "fail"
	checkUnknown = "unknown"
)

// redisCheck is one finding of `quarry redis check`.
type redisCheck struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Value  string `json:"value,omitempty"`
	Detail string `json:"detail"`
}

// redisReport is what `quarry redis check --json` prints.
type redisReport struct {
	Addr   string       `json:"addr"`
	Fit    bool         `json:"fit"`
	Exit   int          `json:"exit_code"`
	Checks []redisCheck `json:"checks"`
}

func newRedisCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "redis",
		Short: "Check that the fleet's Redis keeps what it is told, and manage its epoch record",
	}
	cmd.AddCommand(newRedisCheckCommand(a), newRedisResetEpochCommand(a))
	return cmd
}

func newRedisCheckCommand(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Say whether QUARRY_REDIS_URL's Redis is fit to hold dedup keys and effects",
		Long: `check reads the Redis's configuration and says whether it can carry Quarry's
exactly-once promise: persistence (AOF with appendfsync always or everysec),
maxmemory-policy noeviction, one primary (not Redis Cluster), replication, and
the fleet's epoch record.

Exit codes: 0 fit (warnings allowed), 1 a requirement fails, 2 no Redis is
configured or it does not answer, 3 nothing fails but a requirement could not
be read (a managed service that refuses CONFIG: check its parameter group).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep := checkRedis(cmd.Context(), a)
			var err error
			if asJSON {
				err = writeJSONLine(a.stdout, rep)
			} else {
				err = printRedisReport(a.stdout, rep)
			}
			if err != nil {
				return err
			}
			if rep.Exit != exitRedisFit {
				return exitSilently(rep.Exit)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// printRedisReport prints one row a check, then the verdict.
func printRedisReport(w io.Writer, rep redisReport) error {
	t := newTable(w, "CHECK", "STATUS", "VALUE", "DETAIL")
	for _, c := range rep.Checks {
		t.row(c.Name, c.Status, c.Value, c.Detail)
	}
	if err := t.flush(); err != nil {
		return err
	}
	verdict := map[int]string{
		exitRedisFit: "fit", exitRedisUnfit: "NOT FIT", exitRedisUnchecked: "NOT CHECKED", exitRedisUnknown: "UNDETERMINED",
	}[rep.Exit]
	_, err := fmt.Fprintf(w, "%s: %s\n", rep.Addr, verdict)
	return err
}

func newRedisResetEpochCommand(a *app) *cobra.Command {
	var (
		yes      bool
		endpoint string
	)
	cmd := &cobra.Command{
		Use:   "reset-epoch --yes",
		Short: "Accept that Redis lost its data: write a new epoch record so workers send again",
		Long: `After workers found the epoch record gone or changed (Redis lost its data),
they send no mail until a person has looked. Settle what was in flight
first (quarry effects unknown; SES's sending history for the jobs of the
last hours), then run this and restart the workers. It writes a new epoch to
Redis and to the blob bucket.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !yes {
				return errors.New("reset-epoch makes workers trust a Redis that lost its data: say --yes once the jobs in flight are settled")
			}
			if a.cfg.RedisURL == "" {
				return errors.New("quarry redis works on the fleet's Redis: set QUARRY_REDIS_URL")
			}
			env, err := a.awsEnv(cmd.Context(), endpoint)
			if err != nil {
				return err
			}
			rdb, err := infra.OpenRedis(cmd.Context(), a.cfg.RedisURL)
			if err != nil {
				return err
			}
			defer rdb.Close()
			store := idempotency.NewStore(rdb.Client, a.cfg.RedisPrefix)
			epoch, err := idempotency.NewEpoch()
			if err != nil {
				return err
			}
			if err := store.ReplaceEpoch(cmd.Context(), epoch); err != nil {
				return err
			}
			blobs := infra.NewBlobStore(env.clients.S3, a.cfg.BlobBucket)
			if err := blobs.Put(cmd.Context(), epochAnchorKey(a.cfg.RedisPrefix), strings.NewReader(epoch), nil); err != nil {
				return fmt.Errorf("recording the new epoch in the blob bucket: %w", err)
			}
			fmt.Fprintf(a.stdout, "redis-epoch\t%s\n", epoch)
			return nil
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "the jobs in flight are settled; trust this Redis again")
	cmd.Flags().StringVar(&endpoint, "endpoint-url", "", "AWS endpoint (default: AWS_ENDPOINT_URL, else AWS)")
	return cmd
}

// applyEpoch writes the fleet's epoch record at `infra apply` when a Redis
// is configured, and says what it found.
func applyEpoch(ctx context.Context, a *app, env *awsEnv) error {
	if a.cfg.RedisURL == "" {
		return nil
	}
	rdb, err := infra.OpenRedis(ctx, a.cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	store := idempotency.NewStore(rdb.Client, a.cfg.RedisPrefix)
	blobs := infra.NewBlobStore(env.clients.S3, a.cfg.BlobBucket)
	want, found, err := ensureEpoch(ctx, store, blobs, a.cfg.RedisPrefix)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "redis-epoch\t\t%s\n", want)
	if found != want {
		fmt.Fprintf(a.stderr, "warning: %v\nworkers will send no mail until this is settled (quarry redis reset-epoch --help)\n", epochMismatch(want, found, a.cfg.RedisPrefix))
	}
	return nil
}

// checkRedis inspects the configured Redis.
func checkRedis(ctx context.Context, a *app) redisReport {
	rep := redisReport{Addr: "(none)"}
	if a.cfg.RedisURL == "" {
		rep.Checks = append(rep.Checks, redisCheck{Name: "configured", Status: checkFail,
			Detail: "QUARRY_REDIS_URL is not set: workers use an embedded Redis that keeps nothing across restarts and is not shared"})
		return rep.finish(exitRedisUnchecked)
	}
	if opts, err := redis.ParseURL(a.cfg.RedisURL); err == nil {
		rep.Addr = opts.Addr
	}
	rdb, err := infra.OpenRedis(ctx, a.cfg.RedisURL)
	if err != nil {
		rep.Checks = append(rep.Checks, redisCheck{Name: "reachable", Status: checkFail, Detail: err.Error()})
		return rep.finish(exitRedisUnchecked)
	}
	defer rdb.Close()
	c := rdb.Client
	// info and config return nil and false where the server refuses
	// the command, as managed services do.
	info := func(section string) map[string]string {
		s, err := c.Info(ctx, section).Result()
		if err != nil {
			return nil
		}
		return parseInfo(s)
	}
	config := func(name string) (string, bool) {
		m, err := c.ConfigGet(ctx, name).Result()
		if err != nil {
			return "", false
		}
		v, ok := m[name]
		return v, ok
	}
	pers := info("persistence")
	fsync, fsyncKnown := config("appendfsync")
	rep.Checks = append(rep.Checks, persistenceChecks(pers, fsync, fsyncKnown)...)
	policy, policyKnown := config("maxmemory-policy")
	rep.Checks = append(rep.Checks, evictionCheck(policy, policyKnown))
	rep.Checks = append(rep.Checks, topologyChecks(info("cluster"))...)
	rep.Checks = append(rep.Checks, replicationCheck(info("replication")))
	rep.Checks = append(rep.Checks, epochCheck(ctx, idempotency.NewStore(c, a.cfg.RedisPrefix), a.cfg.RedisPrefix))
	return rep.finish(redisExit(rep.Checks))
}

// persistenceChecks judges whether writes survive a restart, from INFO
// persistence (nil: refused) and appendfsync (fsyncKnown false: refused).
func persistenceChecks(pers map[string]string, fsync string, fsyncKnown bool) []redisCheck {
	var out []redisCheck
	switch {
	case pers == nil:
		out = append(out, redisCheck{Name: "persistence", Status: checkUnknown, Detail: "INFO persistence is not allowed; check that the service logs every write durably (MemoryDB does; AOF otherwise)"})
	case pers["aof_enabled"] != "1":
		out = append(out, redisCheck{Name: "persistence", Status: checkFail, Value: "aof off",
			Detail: "without AOF a restart loses every write since the last RDB snapshot (or all of them): completed jobs and sent mails are forgotten and done again; set appendonly yes"})
	case !fsyncKnown:
		out = append(out, redisCheck{Name: "persistence", Status: checkUnknown, Value: "aof on",
			Detail: "AOF is on but CONFIG GET appendfsync is refused; want always or everysec"})
	case fsync == "always":
		out = append(out, redisCheck{Name: "persistence", Status: checkOK, Value: "aof, fsync always",
			Detail: "no acknowledged write is lost, at the cost of a disk flush per write"})
	case fsync == "everysec":
		out = append(out, redisCheck{Name: "persistence", Status: checkWarn, Value: "aof, fsync everysec",
			Detail: "a crash of the machine (not only of Redis) loses up to about one second of writes: mails recorded in that second may go again; use always where that matters"})
	default:
		out = append(out, redisCheck{Name: "persistence", Status: checkFail, Value: "aof, fsync " + fsync,
			Detail: "appendfsync no leaves flushing to the OS (commonly 30 s of writes lost on a machine crash); set always or everysec"})
	}
	if pers != nil && pers["aof_last_write_status"] != "" && pers["aof_last_write_status"] != "ok" {
		out = append(out, redisCheck{Name: "aof-writes", Status: checkFail, Value: pers["aof_last_write_status"], Detail: "the last AOF write failed: Redis refuses writes or loses them; check its disk"})
	}
	return out
}

// evictionCheck judges maxmemory-policy (known false: CONFIG refused).
func evictionCheck(policy string, known bool) redisCheck {
	switch {
	case !known:
		return redisCheck{Name: "eviction", Status: checkUnknown, Detail: "CONFIG GET maxmemory-policy is refused; want noeviction"}
	case policy != "noeviction":
		return redisCheck{Name: "eviction", Status: checkFail, Value: policy,
			Detail: "under memory pressure Redis drops keys, dedup records and effects among them, silently; set maxmemory-policy noeviction (writes then fail loudly instead)"}
	}
	return redisCheck{Name: "eviction", Status: checkOK, Value: policy, Detail: "a full Redis refuses writes instead of dropping keys"}
}

// topologyChecks judges INFO cluster; a server that refuses it (nil)
// gets no check.
func topologyChecks(cl map[string]string) []redisCheck {
	switch {
	case cl == nil:
		return nil
	case cl["cluster_enabled"] == "1":
		return []redisCheck{{Name: "topology", Status: checkFail, Value: "cluster",
			Detail: "Redis Cluster: the effect scripts write the unknown-effects index and read the epoch beside a job's keys, which a cluster refuses (CROSSSLOT); use one primary"}}
	}
	return []redisCheck{{Name: "topology", Status: checkOK, Value: "one primary", Detail: "every script may touch any key"}}
}

// replicationCheck judges INFO replication (nil: refused).
func replicationCheck(repl map[string]string) redisCheck {
	if repl == nil {
		return redisCheck{Name: "replication", Status: checkUnknown, Detail: "INFO replication is not allowed"}
	}
	role, replicas := repl["role"], repl["connected_slaves"]
	switch {
	case role != "master":
		return redisCheck{Name: "replication", Status: checkFail, Value: "role " + role,
			Detail: "QUARRY_REDIS_URL points at a replica: writes fail; point it at the primary"}
	case replicas == "" || replicas == "0":
		return redisCheck{Name: "replication", Status: checkWarn, Value: "no replica",
			Detail: "a lost disk or machine loses the data with it; a replica (or a multi-zone service such as MemoryDB) keeps a copy. Note that a failover to an asynchronous replica can lose the last writes: the epoch guard then stops sends"}
	}
	return redisCheck{Name: "replication", Status: checkOK, Value: replicas + " replica(s)",
		Detail: "asynchronous: a failover can lose the last writes, which the epoch guard detects only if the epoch record went with them; prefer min-replicas-to-write or a durable service"}
}

// epochCheck reads the fleet's epoch record.
func epochCheck(ctx context.Context, store *idempotency.Store, prefix string) redisCheck {
	epoch, err := store.ReadEpoch(ctx)
	switch {
	case err != nil:
		return redisCheck{Name: "epoch", Status: checkUnknown, Detail: err.Error()}
	case epoch == "":
		return redisCheck{Name: "epoch", Status: checkWarn, Detail: "no epoch record under " + prefix + ": a new fleet (quarry infra apply or the first worker writes it), or a Redis that lost its data (workers then send nothing)"}
	}
	return redisCheck{Name: "epoch", Status: checkOK, Value: epoch, Detail: "workers compare it with the one they started with"}
}

// redisExit is the exit status the checks call for: a failure is unfit;
// otherwise a check that could not be read leaves it undetermined.
func redisExit(checks []redisCheck) int {
	code := exitRedisFit
	for _, ch := range checks {
		switch ch.Status {
		case checkFail:
			code = exitRedisUnfit
		case checkUnknown:
			if code == exitRedisFit {
				code = exitRedisUnknown
			}
		}
	}
	return code
}

func (r redisReport) finish(code int) redisReport {
	r.Exit, r.Fit = code, code == exitRedisFit
	return r
}

// parseInfo reads INFO's "key:value" lines.
func parseInfo(s string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}
