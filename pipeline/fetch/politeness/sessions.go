package politeness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// AcquireSession takes one of limit session slots on host, waiting while
// all are taken, until ctx ends. A slot is leased: if its holder dies
// without releasing it, it frees itself after lease. release frees the slot;
// calling it more than once is harmless.
func (l *Limiter) AcquireSession(ctx context.Context, host string, limit int, lease time.Duration) (func(context.Context) error, error) {
	if limit < 1 || lease <= 0 {
		return nil, fmt.Errorf("politeness: session limit and lease for %s must be positive", host)
	}
	key := l.key("sessions", host)
	token := newToken()
	for {
		wait, err := acquireScript.Run(ctx, l.cfg.Redis, []string{key}, limit, lease.Milliseconds(), token).Int64()
		if err != nil {
			return nil, fmt.Errorf("politeness: acquire session slot on %s: %w", host, err)
		}
		if wait == 0 {
			return func(ctx context.Context) error {
				if err := l.cfg.Redis.ZRem(ctx, key, token).Err(); err != nil {
					return fmt.Errorf("politeness: release session slot on %s: %w", host, err)
				}
				return nil
			}, nil
		}
		// Slots free on release (unannounced) or on lease expiry (wait ms
		// from now): poll, at least that often.
		if err := sleepJittered(ctx, min(time.Duration(wait)*time.Millisecond, l.cfg.PollInterval)); err != nil {
			return nil, err
		}
	}
}

// Sessions returns how many session slots on host are held now.
func (l *Limiter) Sessions(ctx context.Context, host string) (int, error) {
	n, err := countScript.Run(ctx, l.cfg.Redis, []string{l.key("sessions", host)}).Int()
	if err != nil {
		return 0, fmt.Errorf("politeness: count sessions on %s: %w", host, err)
	}
	return n, nil
}

func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return hex.EncodeToString(b[:])
}

// acquireScript drops expired leases, then adds ARGV[3] with a lease of
// ARGV[2] ms if fewer than ARGV[1] slots are held, returning 0; otherwise it
// returns the ms until the earliest lease ends (at least 1). The key itself
// expires with its longest lease, so an idle host leaves nothing behind.
var acquireScript = redis.NewScript(`
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
  if redis.call('PTTL', KEYS[1]) < lease then
    redis.call('PEXPIRE', KEYS[1], lease)
  end
  return 0
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(first[2]) - now)
`)

// countScript counts unexpired leases.
var countScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
`)
