package fetch

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// politeTransport is an http.RoundTripper that asks the fleet-wide [Gate]
// before every request, redirect hops included, and turns a Retry-After on
// 429 or 503 into a fleet-wide cooldown for the host.
type politeTransport struct {
	gate          Gate
	interval      time.Duration
	burst         int
	maxRetryAfter time.Duration
	now           func() time.Time
	next          http.RoundTripper
}

func (t politeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := t.gate.Wait(ctx, req.URL.Host, t.interval, t.burst); err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if d, ok := retryAfter(resp.Header, t.now()); ok {
			until := t.now().Add(min(d, t.maxRetryAfter))
			if err := t.gate.Defer(ctx, req.URL.Host, until); err != nil {
				// The response still goes back; the job's own outcome
				// carries the delay even when the fleet-wide key could
				// not be written.
				zerolog.Ctx(ctx).Warn().Err(err).Str("host", req.URL.Host).Msg("fetch: set host cooldown")
			}
		}
	}
	return resp, nil
}

// retryAfter parses a Retry-After header: delta seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(min(secs, 7*24*3600)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
