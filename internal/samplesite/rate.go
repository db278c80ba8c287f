package samplesite

import (
	"sync"
	"time"
)

// Stats count what a site was asked, so tests and `quarry dev` can check
// that the fleet kept to the recipe's politeness.
type Stats struct {
	// Requests is every request the site answered.
	Requests int64 `json:"requests"`
	// MaxPerSecond is the most requests that arrived within any one second
	// (a sliding window over arrival times).
	MaxPerSecond int `json:"max_per_second"`
}

// rateCounter keeps the arrival times of the last second's requests.
type rateCounter struct {
	mu     sync.Mutex
	recent []time.Time // arrival order; none older than a second before the newest
	stats  Stats
}

func (c *rateCounter) observe(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cut := 0
	for cut < len(c.recent) && now.Sub(c.recent[cut]) >= time.Second {
		cut++
	}
	c.recent = append(c.recent[:0], c.recent[cut:]...)
	c.recent = append(c.recent, now)
	c.stats.Requests++
	c.stats.MaxPerSecond = max(c.stats.MaxPerSecond, len(c.recent))
}

func (c *rateCounter) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}
