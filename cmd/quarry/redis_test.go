package main

import (
	"encoding/json"
	"testing"

	"github.com/quarry-dev/quarry/internal/redistest"
)

// redisCheckOf runs `quarry redis check --json` against url and returns
// its report and exit code.
func redisCheckOf(t *testing.T, url string) (redisReport, int) {
	t.Helper()
	t.Setenv("QUARRY_REDIS_URL", url)
	t.Setenv("QUARRY_REDIS_PREFIX", redistest.Prefix(t))
	out, err := quarryErr(t, "redis", "check", "--json")
	code := exitCode(err)
	if err != nil && !silent(err) {
		t.Fatalf("redis check: %v", err)
	}
	var rep redisReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("redis check --json printed %q: %v", out, err)
	}
	if rep.Exit != code {
		t.Errorf("report says exit %d, command exits %d", rep.Exit, code)
	}
	return rep, code
}

func statusOf(rep redisReport, name string) string {
	for _, c := range rep.Checks {
		if c.Name == name {
			return c.Status
		}
	}
	return ""
}

func TestRedisCheck(t *testing.T) {
	t.Run("aof always, noeviction", func(t *testing.T) {
		srv := redistest.StartServer(t, "--appendonly", "yes", "--appendfsync", "always", "--maxmemory-policy", "noeviction")
		rep, code := redisCheckOf(t, srv.URL())
		if code != exitRedisFit || !rep.Fit {
			t.Fatalf("exit %d, report %+v; want fit", code, rep)
		}
		if statusOf(rep, "persistence") != checkOK || statusOf(rep, "eviction") != checkOK || statusOf(rep, "replication") != checkWarn {
			t.Errorf("checks %+v", rep.Checks)
		}
	})
	t.Run("aof everysec is fit with a warning", func(t *testing.T) {
		srv := redistest.StartServer(t, "--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction")
		rep, code := redisCheckOf(t, srv.URL())
		if code != exitRedisFit || statusOf(rep, "persistence") != checkWarn {
			t.Fatalf("exit %d, checks %+v; want fit with a persistence warning", code, rep.Checks)
		}
	})
	t.Run("no persistence, evicting", func(t *testing.T) {
		srv := redistest.StartServer(t, "--appendonly", "no", "--maxmemory-policy", "allkeys-lru")
		rep, code := redisCheckOf(t, srv.URL())
		if code != exitRedisUnfit || rep.Fit {
			t.Fatalf("exit %d; want %d (unfit)", code, exitRedisUnfit)
		}
		if statusOf(rep, "persistence") != checkFail || statusOf(rep, "eviction") != checkFail {
			t.Errorf("checks %+v", rep.Checks)
		}
	})
	t.Run("not answering", func(t *testing.T) {
		_, code := redisCheckOf(t, "redis://127.0.0.1:1")
		if code != exitRedisUnchecked {
			t.Fatalf("exit %d, want %d", code, exitRedisUnchecked)
		}
	})
}
