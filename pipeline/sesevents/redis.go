package sesevents

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// markScript marks one recipient of one event handled and adds it to the
// rate counters, both or neither.
//
// KEYS: the marker, then the rate buckets to increment.
// ARGV: marker TTL (ms), bucket TTL (ms).
// Returns 1 the first time, 0 when the marker was already there.
var markScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return 0
end
for i = 2, #KEYS do
  redis.call('INCR', KEYS[i])
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
end
return 1
`)

func (h *Handler) markerKey(id string) string { return h.cfg.Prefix + "ses:seen:" + id }
func (h *Handler) softKey(addr string) string { return h.cfg.Prefix + "ses:soft:{" + addr + "}" }
func (h *Handler) deliveredKey(mailID, addr string) string {
	return h.cfg.Prefix + "ses:delivered:" + mailID + ":" + addr
}
func (h *Handler) bucketKey(counter string, start int64) string {
	return h.cfg.Prefix + "ses:rate:" + counter + ":" + strconv.FormatInt(start, 10)
}

// Rate counters.
const (
	counterSend      = "send"
	counterBounce    = "bounce" // hard bounces only, as AWS's bounce rate
	counterComplaint = "complaint"
	counterDelivery  = "delivery"
)

// rateBuckets is how many buckets the rate window is cut into.
const rateBuckets = 48

func (h *Handler) bucketSize() time.Duration { return h.cfg.RateWindow / rateBuckets }

// bucketStart is the start (unix ms) of the bucket holding t.
func (h *Handler) bucketStart(t time.Time) int64 {
	size := h.bucketSize().Milliseconds()
	return t.UnixMilli() / size * size
}

// handled reports whether the recipient's event was handled before.
func (h *Handler) handled(ctx context.Context, id string) (bool, error) {
	n, err := h.cfg.Redis.Exists(ctx, h.markerKey(id)).Result()
	if err != nil {
		return false, fmt.Errorf("sesevents: checking marker: %w", err)
	}
	return n == 1, nil
}

// mark records the recipient's event as handled and counts it in the
// given rate counters; false means another run marked it first.
func (h *Handler) mark(ctx context.Context, id string, counters ...string) (bool, error) {
	keys := []string{h.markerKey(id)}
	start := h.bucketStart(h.cfg.Now())
	for _, c := range counters {
		keys = append(keys, h.bucketKey(c, start))
	}
	ttl := h.cfg.RateWindow + 2*h.bucketSize()
	n, err := markScript.Run(ctx, h.cfg.Redis, keys, markerTTL.Milliseconds(), ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("sesevents: marking event handled: %w", err)
	}
	return n == 1, nil
}

// softScript adds one bounced message to an address's soft-bounce set,
// scored by the bounce's event time, and returns the most members that
// fall within one window of each other among the windows holding the new
// bounce. Counting by event time, not by arrival, makes a backlog (a DLQ
// redriven a week later, a replay after an outage) and out-of-order
// arrivals count as the bounces happened.
//
// KEYS: the set. ARGV: member, event time (ms), window (ms), key TTL (ms),
// the most members to keep.
var softScript = redis.NewScript(`
local at = tonumber(ARGV[2])
local w = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], at, ARGV[1])
local keep = tonumber(ARGV[5])
local n = redis.call('ZCARD', KEYS[1])
if n > keep then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - keep - 1)
end
local ttl = tonumber(ARGV[4])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
local s = redis.call('ZRANGEBYSCORE', KEYS[1], at - w, at + w, 'WITHSCORES')
local scores = {}
for i = 2, #s, 2 do scores[#scores + 1] = tonumber(s[i]) end
local best, lo = 0, 1
for hi = 1, #scores do
  while scores[hi] - scores[lo] > w do lo = lo + 1 end
  if scores[lo] <= at and at <= scores[hi] and hi - lo + 1 > best then
    best = hi - lo + 1
  end
end
return best
`)

// softRetention is how long an address's soft bounces are kept after the
// last one arrived, beyond the window: longer than SQS keeps a message (14
// days at most), so a bounce that arrives late from a queue or a DLQ still
// finds the ones it belongs with.
const softRetention = 15 * 24 * time.Hour

// softKeep bounds one address's soft-bounce set: far more bounces than
// any threshold, few enough that a flood cannot grow the key.
const softKeep = 1000

// countSoftBounce adds the bounced message to the address's soft-bounce
// set (once per SES message id, scored by the bounce's time) and returns
// how many distinct messages bounced within one window of each other,
// counting windows that hold this bounce. The window is measured between
// event times, whatever order and delay the events arrive in.
func (h *Handler) countSoftBounce(ctx context.Context, addr, mailID string, at time.Time) (int64, error) {
	w := h.cfg.Policy.SoftWindow
	n, err := softScript.Run(ctx, h.cfg.Redis, []string{h.softKey(addr)},
		mailID, at.UnixMilli(), w.Milliseconds(), (w + softRetention).Milliseconds(), softKeep).Int64()
	if err != nil {
		return 0, fmt.Errorf("sesevents: counting a soft bounce: %w", err)
	}
	return n, nil
}

// recordDelivery remembers that the message reached addr (to tell
// auto-replies from bounces) and clears the address's soft bounces.
func (h *Handler) recordDelivery(ctx context.Context, addr, mailID string) error {
	_, err := h.cfg.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, h.deliveredKey(mailID, addr), "1", h.cfg.Policy.SoftExpiry)
		p.Del(ctx, h.softKey(addr))
		return nil
	})
	if err != nil {
		return fmt.Errorf("sesevents: recording a delivery: %w", err)
	}
	return nil
}

func (h *Handler) wasDelivered(ctx context.Context, addr, mailID string) (bool, error) {
	n, err := h.cfg.Redis.Exists(ctx, h.deliveredKey(mailID, addr)).Result()
	if err != nil {
		return false, fmt.Errorf("sesevents: checking delivery: %w", err)
	}
	return n == 1, nil
}

// windowTotals sums each counter over the rate window.
func (h *Handler) windowTotals(ctx context.Context, counters ...string) (map[string]int64, error) {
	size := h.bucketSize().Milliseconds()
	last := h.bucketStart(h.cfg.Now())
	var keys []string
	for _, c := range counters {
		for i := range int64(rateBuckets) {
			keys = append(keys, h.bucketKey(c, last-i*size))
		}
	}
	vals, err := h.cfg.Redis.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("sesevents: reading rate counters: %w", err)
	}
	out := make(map[string]int64, len(counters))
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(s, 10, 64)
		out[counters[i/rateBuckets]] += n
	}
	return out, nil
}
