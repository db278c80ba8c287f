package ses

import (
	"sync"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// tokenBucket enforces the account's send rate in recipients per second.
// Its burst is one second's worth (at least 1). As on SES, a message is
// accepted while at least one recipient's worth of rate is left, even when
// it has more recipients than that; the bucket then goes into debt and
// later sends wait until it is repaid.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
}

// newTokenBucket returns nil (no limit) for a rate of zero or less.
func newTokenBucket(rate float64, now func() time.Time) *tokenBucket {
	if rate <= 0 {
		return nil
	}
	burst := max(rate, 1)
	return &tokenBucket{rate: rate, burst: burst, tokens: burst, last: now(), now: now}
}

// take spends n recipients' worth of rate; false means the rate is exceeded
// and nothing was spent.
func (b *tokenBucket) take(n int) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(b.burst, b.tokens+elapsed*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens -= float64(n)
	return true
}

// sentEntry counts recipients of one accepted send against the daily quota.
type sentEntry struct {
	at time.Time
	n  int
}

// sentLast24HoursLocked drops entries older than a day and returns the
// recipients of the rest. Callers hold s.mu.
func (s *Service) sentLast24HoursLocked() int {
	cutoff := s.now().Add(-24 * time.Hour)
	i := 0
	for i < len(s.sent) && !s.sent[i].at.After(cutoff) {
		s.sentTotal -= s.sent[i].n
		i++
	}
	s.sent = s.sent[i:]
	return s.sentTotal
}

// countSentLocked adds an accepted send to the daily count. Callers hold s.mu.
func (s *Service) countSentLocked(at time.Time, n int) {
	s.sent = append(s.sent, sentEntry{at: at, n: n})
	s.sentTotal += n
}

// admitLocked applies the daily quota and the send rate to a message with
// these recipients, and counts it when it passes. Simulator addresses count
// against the rate but not the quota. Callers hold s.mu.
func (s *Service) admitLocked(recipients []address, now time.Time) *awsproto.Error {
	quota := 0
	for _, a := range recipients {
		if _, sim := simulatorKind(a.Addr); !sim {
			quota++
		}
	}
	if limit := s.cfg.Max24HourSend; limit >= 0 && float64(s.sentLast24HoursLocked()+quota) > limit {
		return errLimitExceeded("Daily message quota exceeded.")
	}
	if !s.limiter.take(len(recipients)) {
		return errTooManyRequests("Maximum sending rate exceeded.")
	}
	if quota > 0 {
		s.countSentLocked(now, quota)
	}
	return nil
}
