package workers

import (
	"math"
	"time"

	"github.com/quarry-dev/quarry/messages"
)

// Backoff computes retry delays with exponential growth and full jitter:
// the delay before attempt n+1 is uniform in [Min, min(Max, Base·2^(n-1))].
// The delay is applied through the message's visibility timeout, so a
// failing job never comes straight back.
type Backoff struct {
	// Base is the ceiling of the first retry's delay. Defaults to 2s.
	Base time.Duration
	// Max caps every delay. Defaults to 15m; SQS allows at most 12h.
	Max time.Duration
	// Min is the floor of every delay, so a retry is never immediate.
	// Defaults to 1s.
	Min time.Duration
	// Jitter returns a number in [0,1); nil uses a random source. Tests set
	// it to a constant to make delays deterministic.
	Jitter func() float64
}

func (b Backoff) withDefaults() Backoff {
	if b.Base <= 0 {
		b.Base = 2 * time.Second
	}
	if b.Max <= 0 {
		b.Max = 15 * time.Minute
	}
	b.Max = min(b.Max, messages.MaxVisibilityTimeout)
	if b.Min <= 0 {
		b.Min = time.Second
	}
	return b
}

// Delay is the wait before retrying a message received attempt times.
func (b Backoff) Delay(attempt int, jitter float64) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	ceiling := float64(b.Max)
	if exp := float64(b.Base) * math.Pow(2, float64(attempt-1)); exp < ceiling {
		ceiling = exp
	}
	d := time.Duration(jitter * ceiling)
	if d < b.Min {
		d = b.Min
	}
	return d
}
