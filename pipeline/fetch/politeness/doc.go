// Package politeness keeps the whole fleet polite to each site, in Redis:
// every worker process that fetches from a host obeys the same schedule.
//
//   - Rate: one GCRA schedule per host (github.com/go-redis/redis_rate),
//     consulted before every request, so N workers together send at most one
//     request per min_interval (plus the burst after an idle period).
//   - Cooldown: a Retry-After from the site sets a per-host "not before" key;
//     every worker waits it out before its next request to that host.
//   - Sessions: a per-host semaphore with leased slots caps concurrent flows;
//     a crashed worker's slot frees itself when its lease ends.
//
// # Keys
//
// With the default prefix "quarry:fetch:" and host h ("host:port"):
//
//	rate:quarry:fetch:gcra:h    GCRA theoretical arrival time (redis_rate adds "rate:"); expires when idle
//	quarry:fetch:cooldown:h     "not before" time for h, ms on the Redis clock; expires with it
//	quarry:fetch:sessions:h     sorted set of slot tokens scored by lease expiry (ms, Redis clock)
//
// Times that several workers compare come from the Redis server's clock
// (TIME inside scripts, key TTLs), never from a worker's, so clock skew
// between machines does not matter.
package politeness
