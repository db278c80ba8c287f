package fetch_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/internal/samplesite"
	"github.com/quarry-dev/quarry/pipeline/fetch"
	"github.com/quarry-dev/quarry/pipeline/fetch/politeness"
)

// The Redis limiter is the fleet's Gate.
var _ fetch.Gate = (*politeness.Limiter)(nil)

// TestRetryAfterHoldsTheFleet checks that a 429 with Retry-After seen by one
// worker makes the host wait for every worker sharing the Redis.
func TestRetryAfterHoldsTheFleet(t *testing.T) {
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		bundle := setup(t, samplesite.Config{DownloadDelay: 3 * time.Second}, nil)
		worker1, err := politeness.New(politeness.Config{Redis: b.Client, Prefix: b.Prefix})
		if err != nil {
			t.Fatal(err)
		}
		f, err := fetch.New(fetch.Config{Gate: worker1, AllowPrivateNetworks: true})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.Fetch(t.Context(), fetch.Job{Recipe: bundle.recipe, Inputs: map[string]string{"key": "42-501-20130"}, BaseURL: bundle.srv.URL + "/WellData/"})
		wantFailure(t, err, fetch.ClassThrottled, "download", "retry after 3s")

		worker2, err := politeness.New(politeness.Config{Redis: b.Client, Prefix: b.Prefix})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(bundle.srv.URL)
		cool, err := worker2.Cooldown(t.Context(), u.Host)
		if err != nil {
			t.Fatal(err)
		}
		if cool < 2*time.Second || cool > 3*time.Second {
			t.Errorf("another worker's cooldown for %s: got %s, want about 3s", u.Host, cool)
		}
		t.Cleanup(func() { cleanupRate(t, b) })
	})
}
