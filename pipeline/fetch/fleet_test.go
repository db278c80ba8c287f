package fetch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/pipeline/fetch"
	"github.com/quarry-dev/quarry/pipeline/fetch/politeness"
	"github.com/quarry-dev/quarry/pipeline/fetch/recipe"
	"github.com/redis/go-redis/v9"
)

// fleetLongEnv switches on the 30-second fleet measurement.
const fleetLongEnv = "QUARRY_TEST_FLEET_LONG"

// TestFleetWideRate runs 4 fetchers, each with its own Redis client and
// limiter (as 4 worker processes would have), against one host limited to
// 10 requests per second, and measures the rate the host sees. The short
// run (3 s, always on) allows 10 %; with QUARRY_TEST_FLEET_LONG=1 a 30 s run
// must stay within 5 %.
func TestFleetWideRate(t *testing.T) {
	window, tolerance := 3*time.Second, 0.10
	if os.Getenv(fleetLongEnv) != "" {
		window, tolerance = 30*time.Second, 0.05
	}
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		measureFleet(t, b, 4, window, tolerance)
	})
}

func measureFleet(t *testing.T, b redistest.Backend, workers int, window time.Duration, tolerance float64) {
	const limit = 10.0 // requests per second
	var (
		mu       sync.Mutex
		arrivals []time.Time
	)
	pdf := samplePDF()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		if r.URL.Path == "/doc.pdf" {
			w.Header().Set("Content-Type", "application/pdf")
			w.Write(pdf)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<html><body><a id="doc" href="/doc.pdf">PDF</a></body></html>`))
	}))
	defer site.Close()

	r, err := recipe.Parse([]byte(`
recipe: fleet
version: 1
site: {base_url: '` + site.URL + `/', allowed_hosts: [127.0.0.1]}
politeness: {min_interval: 100ms, burst: 1, max_sessions: 4}
steps:
  - get: {url: 'index.html'}
  - download: {link: 'a#doc'}
  - validate: {}
`))
	if err != nil {
		t.Fatal(err)
	}

	opts := b.Client.(*redis.Client).Options()
	ctx, cancel := context.WithTimeout(t.Context(), window+5*time.Second)
	defer cancel()
	start := time.Now()
	deadline := start.Add(window)
	var wg sync.WaitGroup
	for i := range workers {
		client := redis.NewClient(opts)
		defer client.Close()
		lim, err := politeness.New(politeness.Config{Redis: client, Prefix: b.Prefix})
		if err != nil {
			t.Fatal(err)
		}
		f, err := fetch.New(fetch.Config{Gate: lim, AllowPrivateNetworks: true})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if _, err := f.Fetch(ctx, fetch.Job{Recipe: r}); err != nil {
					t.Errorf("worker %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	t.Cleanup(func() { cleanupRate(t, b) })

	// Count arrivals in the measured window, after a short warm-up, so the
	// rate is the steady one the fleet keeps.
	from, to := start.Add(500*time.Millisecond), deadline
	mu.Lock()
	n := 0
	for _, at := range arrivals {
		if !at.Before(from) && at.Before(to) {
			n++
		}
	}
	total := len(arrivals)
	mu.Unlock()
	rate := float64(n) / to.Sub(from).Seconds()
	t.Logf("%s: %d workers, %d requests in %s (%d in all): %.2f req/s against a limit of %.0f (%+.1f%%)",
		b.Name, workers, n, to.Sub(from), total, rate, limit, 100*(rate-limit)/limit)
	if rate > limit*(1+tolerance) || rate < limit*(1-tolerance) {
		t.Errorf("fleet rate %.2f req/s is not within %.0f%% of %.0f", rate, 100*tolerance, limit)
	}
}

// cleanupRate deletes the GCRA keys, which redis_rate keeps under "rate:"
// in front of the test's prefix.
func cleanupRate(t *testing.T, b redistest.Backend) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keys, err := b.Client.Keys(ctx, "rate:"+b.Prefix+"*").Result()
	if err == nil && len(keys) > 0 {
		err = b.Client.Del(ctx, keys...).Err()
	}
	if err != nil {
		t.Errorf("delete rate keys: %v", err)
	}
}

// samplePDF is a small well-formed PDF for the fleet site.
func samplePDF() []byte {
	return []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
}
