package localaws

import "sync"

// callCounter counts requests by service and action.
type callCounter struct {
	mu sync.Mutex
	n  map[string]map[string]int64
}

func newCallCounter() *callCounter { return &callCounter{n: map[string]map[string]int64{}} }

func (c *callCounter) add(service, action string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.n[service]
	if m == nil {
		m = map[string]int64{}
		c.n[service] = m
	}
	m[action]++
}

func (c *callCounter) snapshot() map[string]map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]map[string]int64, len(c.n))
	for svc, m := range c.n {
		cp := make(map[string]int64, len(m))
		for a, v := range m {
			cp[a] = v
		}
		out[svc] = cp
	}
	return out
}

func (c *callCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n = map[string]map[string]int64{}
}
