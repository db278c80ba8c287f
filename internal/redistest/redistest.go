// Package redistest gives tests the Redis servers to run against: an
// embedded miniredis always, and the real Redis at QUARRY_TEST_REDIS_URL
// when that variable is set. A suite that loops over [Open] (or uses [Run])
// runs once per backend, so miniredis and real Redis pass the same tests.
//
// When QUARRY_TEST_REDIS_URL is set and the server does not answer, the
// test fails; it never skips, so a misconfigured CI run cannot pass by
// testing nothing.
//
// Every test works under its own key prefix ([Prefix]:
// "qtest:<TestName>:<nonce>:"), and the keys under it are deleted when the
// test ends. Nothing ever flushes the shared server.
//
// Import this package only from _test.go files.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// EnvURL names the variable holding the real Redis URL, e.g.
// redis://127.0.0.1:6379.
const EnvURL = "QUARRY_TEST_REDIS_URL"

// Backend is one Redis server a test runs against.
type Backend struct {
	// Name is "miniredis" or "redis"; use it as the subtest name.
	Name string
	// Client talks to the server. It is closed when the test ends.
	Client redis.UniversalClient
	// Prefix is the test's key prefix; keys under it are deleted when the
	// test ends.
	Prefix string

	mini *miniredis.Miniredis
}

// Real reports whether the backend is a real Redis server.
func (b Backend) Real() bool { return b.mini == nil }

// Advance lets d pass for the server: it waits d (plus a few milliseconds
// for a real server's expiry precision), and on miniredis, whose key TTLs
// do not run by themselves, it also moves the TTLs on by d. Tests use it to
// expire leases, which run by Redis's TIME (real time on both). It may be
// called from any goroutine of the test.
func (b Backend) Advance(t testing.TB, d time.Duration) {
	t.Helper()
	if b.mini != nil {
		b.mini.FastForward(d)
	}
	timer := time.NewTimer(d + 5*time.Millisecond)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-t.Context().Done():
		// Errorf, not Fatalf: Advance may run on a goroutine the test
		// started, where FailNow is not allowed.
		t.Errorf("test ended while waiting %v for keys to expire", d)
	}
}

// Open returns the backends for this test: miniredis, then real Redis when
// QUARRY_TEST_REDIS_URL is set (failing the test if it does not answer).
func Open(t testing.TB) []Backend {
	t.Helper()
	backends := []Backend{openMini(t)}
	if url := os.Getenv(EnvURL); url != "" {
		backends = append(backends, openReal(t, url))
	}
	return backends
}

// Run runs fn as a subtest once per backend of [Open], named after the
// backend.
func Run(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range Open(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, b) })
	}
}

// Client returns one client for tests that need a single Redis: the real
// server when QUARRY_TEST_REDIS_URL is set (failing the test if it does not
// answer), miniredis otherwise. Keys under [Prefix](t) are deleted when the
// test ends.
func Client(t testing.TB) redis.UniversalClient {
	t.Helper()
	if url := os.Getenv(EnvURL); url != "" {
		return openReal(t, url).Client
	}
	return openMini(t).Client
}

// Prefix returns the test's key prefix, "qtest:<TestName>:<nonce>:", where
// the test name is reduced to [A-Za-z0-9_/-] and the nonce is random per
// test process, so concurrent runs on one shared server never meet. It is
// the same for every call within one test.
func Prefix(t testing.TB) string {
	t.Helper()
	return "qtest:" + sanitize(t.Name()) + ":" + processNonce() + ":"
}

// processNonce is drawn once per test binary: prefixes must be stable within
// a test (Client and Prefix are called separately) yet differ between two
// people's runs against the same server.
var processNonce = sync.OnceValue(func() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "0"
	}
	return hex.EncodeToString(b[:])
})

func sanitize(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '/', r == '-':
			return r
		}
		return '_'
	}, name)
}

func openMini(t testing.TB) Backend {
	t.Helper()
	mr := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return Backend{Name: "miniredis", Client: c, Prefix: Prefix(t), mini: mr}
}

func openReal(t testing.TB, url string) Backend {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("%s=%q is not a Redis URL: %v", EnvURL, url, err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("%s=%s is set but Redis does not answer: %v (unset it to test against miniredis only)", EnvURL, url, err)
	}
	prefix := Prefix(t)
	// Registered after Close, so it runs before it.
	t.Cleanup(func() { deleteKeys(t, c, prefix) })
	return Backend{Name: "redis", Client: c, Prefix: prefix}
}

// deleteKeys removes every key under prefix. The prefix holds no glob
// metacharacters (see sanitize), so it can be used in MATCH as it is.
func deleteKeys(t testing.TB, c redis.UniversalClient, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			t.Errorf("cleaning up keys under %s: %v", prefix, err)
			return
		}
		if len(keys) > 0 {
			if err := c.Unlink(ctx, keys...).Err(); err != nil {
				t.Errorf("cleaning up keys under %s: %v", prefix, err)
				return
			}
		}
		if cursor = next; cursor == 0 {
			return
		}
	}
}
