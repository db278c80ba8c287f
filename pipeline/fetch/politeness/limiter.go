package politeness

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/quarry-dev/quarry/internal/delay"
)

// Defaults of [Config].
const (
	DefaultPrefix       = "quarry:fetch:"
	DefaultPollInterval = 200 * time.Millisecond
)

// Config configures a [Limiter].
type Config struct {
	// Redis is the shared Redis every worker of the fleet uses. Required.
	Redis redis.Cmdable
	// Prefix starts every key. Defaults to "quarry:fetch:".
	Prefix string
	// PollInterval is the longest wait between two tries for a session
	// slot. Defaults to 200ms.
	PollInterval time.Duration
	// Registerer, when set, gets the per-host counters of requests let
	// through and of the time they waited for the host's politeness.
	Registerer prometheus.Registerer
}

func (c Config) withDefaults() Config {
	c.Prefix = cmp.Or(c.Prefix, DefaultPrefix)
	c.PollInterval = cmp.Or(c.PollInterval, DefaultPollInterval)
	return c
}

func (c Config) validate() error {
	if c.Redis == nil {
		return errors.New("politeness: Config.Redis is required")
	}
	if c.PollInterval < 0 {
		return errors.New("politeness: PollInterval must not be negative")
	}
	return nil
}

// Limiter is the fleet-wide politeness gate; it satisfies fetch.Gate. It is
// safe for concurrent use.
type Limiter struct {
	cfg  Config
	rate *redis_rate.Limiter
	// requests and waited count, per host, the requests Wait let through
	// and the seconds they waited.
	requests *prometheus.CounterVec
	waited   *prometheus.CounterVec
}

// New returns a Limiter.
func New(cfg Config) (*Limiter, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	l := &Limiter{
		cfg: cfg, rate: redis_rate.NewLimiter(cfg.Redis),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "quarry", Subsystem: "fetch", Name: "host_requests_total",
			Help: "Requests to a site's host let through by the fleet-wide politeness gate.",
		}, []string{"host"}),
		waited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "quarry", Subsystem: "fetch", Name: "politeness_wait_seconds_total",
			Help: "Time requests to a host waited for its politeness (interval, cooldown).",
		}, []string{"host"}),
	}
	if cfg.Registerer != nil {
		if err := errors.Join(cfg.Registerer.Register(l.requests), cfg.Registerer.Register(l.waited)); err != nil {
			return nil, fmt.Errorf("politeness: registering metrics: %w", err)
		}
	}
	return l, nil
}

func (l *Limiter) key(kind, host string) string { return l.cfg.Prefix + kind + ":" + host }

// Wait blocks until a request to host may be sent: after the host's
// cooldown, if any, and within one request per interval for the whole fleet
// (burst requests may go back to back after an idle period). It returns
// ctx's cause if ctx ends first, or the Redis error that stopped it.
func (l *Limiter) Wait(ctx context.Context, host string, interval time.Duration, burst int) error {
	if interval <= 0 {
		return fmt.Errorf("politeness: interval for %s must be positive", host)
	}
	limit := redis_rate.Limit{Rate: 1, Period: interval, Burst: max(burst, 1)}
	start := time.Now()
	if err := l.waitCooldown(ctx, host); err != nil {
		return err
	}
	for {
		res, err := l.rate.Allow(ctx, l.key("gcra", host), limit)
		if err != nil {
			return fmt.Errorf("politeness: rate for %s: %w", host, err)
		}
		if res.Allowed > 0 {
			break
		}
		// Straight back to GCRA after the wait, without jitter or other
		// round trips: GCRA decides atomically who goes next, and every
		// millisecond a waiter oversleeps is lost from the host's rate.
		if err := delay.Sleep(ctx, res.RetryAfter); err != nil {
			return err
		}
	}
	// A cooldown set while this worker queued still holds it back; the
	// slot it took is simply spent.
	if err := l.waitCooldown(ctx, host); err != nil {
		return err
	}
	l.requests.WithLabelValues(host).Inc()
	l.waited.WithLabelValues(host).Add(time.Since(start).Seconds())
	return nil
}

// waitCooldown waits until the host's cooldown, if any, is over.
func (l *Limiter) waitCooldown(ctx context.Context, host string) error {
	for {
		cool, err := l.Cooldown(ctx, host)
		if err != nil || cool == 0 {
			return err
		}
		if err := sleepJittered(ctx, cool); err != nil {
			return err
		}
	}
}

// Defer makes every worker hold requests to host until until. A later
// Defer with an earlier time does not shorten the cooldown.
func (l *Limiter) Defer(ctx context.Context, host string, until time.Time) error {
	d := time.Until(until)
	if d <= 0 {
		return nil
	}
	if err := deferScript.Run(ctx, l.cfg.Redis, []string{l.key("cooldown", host)}, max(d.Milliseconds(), 1)).Err(); err != nil {
		return fmt.Errorf("politeness: set cooldown for %s: %w", host, err)
	}
	return nil
}

// Cooldown returns how long requests to host must still wait.
func (l *Limiter) Cooldown(ctx context.Context, host string) (time.Duration, error) {
	ms, err := cooldownScript.Run(ctx, l.cfg.Redis, []string{l.key("cooldown", host)}).Int64()
	if err != nil {
		return 0, fmt.Errorf("politeness: read cooldown for %s: %w", host, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// sleepJittered waits d or until ctx ends. A little jitter keeps workers
// that were told the same wait from arriving in the same instant.
func sleepJittered(ctx context.Context, d time.Duration) error {
	if d > 0 {
		d += rand.N(d/20 + time.Millisecond)
	}
	return delay.Sleep(ctx, d)
}

// deferScript moves the host's "not before" time (ms on the Redis clock)
// to now + ARGV[1] unless it is already later. The key expires with the
// cooldown, so an idle host leaves nothing behind; readers compare with the
// Redis clock rather than trusting expiry, which miniredis does not run on
// its own.
var deferScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local want = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur < want then
  redis.call('SET', KEYS[1], want, 'PX', ARGV[1])
end
return 1
`)

// cooldownScript returns the ms left before the host's "not before" time,
// or 0.
var cooldownScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if v > now then return v - now end
return 0
`)
