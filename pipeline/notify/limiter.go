package notify

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/quarry-dev/quarry/internal/delay"
)

const (
	// slowFor is how long the fleet sends at half rate after SES
	// throttles.
	slowFor = time.Minute
	// slowCheckEvery is how often a worker looks whether another worker
	// has halved the rate.
	slowCheckEvery = time.Second
)

// sendLimiter paces SendEmail for the whole fleet: one GCRA schedule in
// Redis (redis_rate) that every notify worker consults before each send,
// so the workers together stay under the rate however many there are. A
// worker that SES throttles sets a flag in Redis that makes every worker
// send at half rate for a minute.
type sendLimiter struct {
	redis   redis.UniversalClient
	gcra    *redis_rate.Limiter
	key     string // the GCRA key; redis_rate stores it as "rate:"+key
	slowKey string // present (with a TTL) while the fleet runs at half rate
	now     func() time.Time

	mu        sync.Mutex // guards the fields below
	rate      float64    // sends per second at full speed; 0 means unlimited
	slowUntil time.Time
	slowRead  time.Time // when slowKey was last read
}

func newSendLimiter(rdb redis.UniversalClient, prefix string, now func() time.Time) *sendLimiter {
	return &sendLimiter{
		redis:   rdb,
		gcra:    redis_rate.NewLimiter(rdb),
		key:     prefix + "notify:ses-send",
		slowKey: prefix + "notify:ses-send:slow",
		now:     now,
	}
}

// setRate sets the full-speed rate in sends per second; 0 or less means
// no limit.
func (l *sendLimiter) setRate(perSecond float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rate = max(perSecond, 0)
}

// current returns the rate in force: the full rate, or half of it while
// the fleet is slowed down. It reads the fleet's flag at most once a
// second.
func (l *sendLimiter) current(ctx context.Context) (float64, error) {
	l.mu.Lock()
	rate, slowUntil, stale := l.rate, l.slowUntil, l.now().Sub(l.slowRead) >= slowCheckEvery
	l.mu.Unlock()
	if stale {
		ttl, err := l.redis.PTTL(ctx, l.slowKey).Result()
		if err != nil {
			return 0, fmt.Errorf("notify: reading the send-rate flag %s: %w", l.slowKey, err)
		}
		now := l.now()
		l.mu.Lock()
		l.slowRead = now
		if ttl > 0 && now.Add(ttl).After(l.slowUntil) {
			l.slowUntil = now.Add(ttl)
		}
		slowUntil = l.slowUntil
		l.mu.Unlock()
	}
	if l.now().Before(slowUntil) {
		rate /= 2
	}
	return rate, nil
}

// wait blocks until this worker may send one message, and returns how
// long it waited. It returns ctx's cause if ctx ends first.
func (l *sendLimiter) wait(ctx context.Context) (time.Duration, error) {
	start := l.now()
	for {
		rate, err := l.current(ctx)
		if err != nil || rate <= 0 {
			return l.now().Sub(start), err
		}
		// One send per 1/rate seconds. A burst of 2 lets a worker that
		// wakes a little late still take its slot (with a burst of 1 the
		// slot would be lost, and the fleet would fall a few per cent
		// short of the rate); SES's own bucket holds one second's worth,
		// so two sends back to back are within it once the rate is 2 a
		// second or more.
		burst := 1
		if rate >= 2 {
			burst = 2
		}
		limit := redis_rate.Limit{Rate: 1, Burst: burst, Period: time.Duration(float64(time.Second) / rate)}
		res, err := l.gcra.Allow(ctx, l.key, limit)
		if err != nil {
			return l.now().Sub(start), fmt.Errorf("notify: send rate %s: %w", l.key, err)
		}
		if res.Allowed > 0 {
			return l.now().Sub(start), nil
		}
		// Straight back to GCRA after the wait: it decides atomically who
		// goes next, and a worker that oversleeps loses the slot.
		if err := delay.Sleep(ctx, res.RetryAfter); err != nil {
			return l.now().Sub(start), err
		}
	}
}

// slowDown halves the fleet's rate for a minute, after SES throttled a
// send.
func (l *sendLimiter) slowDown(ctx context.Context) error {
	now := l.now()
	l.mu.Lock()
	l.slowUntil, l.slowRead = now.Add(slowFor), now
	l.mu.Unlock()
	if err := l.redis.Set(ctx, l.slowKey, "1", slowFor).Err(); err != nil {
		return fmt.Errorf("notify: halving the fleet's send rate (%s): %w", l.slowKey, err)
	}
	return nil
}
