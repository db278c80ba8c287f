package main

import (
	"encoding/json"
	"strings"
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

// TestRedisRequirements judges what managed services and misconfigured
// servers answer, which the test's own Redis cannot show: refused INFO and
// CONFIG, replicas, clusters, fsync no.
func TestRedisRequirements(t *testing.T) {
	t.Parallel()
	statuses := func(cs []redisCheck) string {
		var s []string
		for _, c := range cs {
			s = append(s, c.Name+"="+c.Status)
		}
		return strings.Join(s, " ")
	}
	tests := []struct {
		name   string
		checks []redisCheck
		want   string
		exit   int
	}{
		{"persistence refused", persistenceChecks(nil, "", false), "persistence=unknown", exitRedisUnknown},
		{"aof off", persistenceChecks(map[string]string{"aof_enabled": "0"}, "always", true), "persistence=fail", exitRedisUnfit},
		{"fsync refused", persistenceChecks(map[string]string{"aof_enabled": "1"}, "", false), "persistence=unknown", exitRedisUnknown},
		{"fsync always", persistenceChecks(map[string]string{"aof_enabled": "1"}, "always", true), "persistence=ok", exitRedisFit},
		{"fsync everysec", persistenceChecks(map[string]string{"aof_enabled": "1"}, "everysec", true), "persistence=warn", exitRedisFit},
		{"fsync no", persistenceChecks(map[string]string{"aof_enabled": "1"}, "no", true), "persistence=fail", exitRedisUnfit},
		{"aof write failing", persistenceChecks(map[string]string{"aof_enabled": "1", "aof_last_write_status": "err"}, "always", true), "persistence=ok aof-writes=fail", exitRedisUnfit},
		{"eviction refused", []redisCheck{evictionCheck("", false)}, "eviction=unknown", exitRedisUnknown},
		{"allkeys-lru", []redisCheck{evictionCheck("allkeys-lru", true)}, "eviction=fail", exitRedisUnfit},
		{"noeviction", []redisCheck{evictionCheck("noeviction", true)}, "eviction=ok", exitRedisFit},
		{"cluster info refused", topologyChecks(nil), "", exitRedisFit},
		{"cluster", topologyChecks(map[string]string{"cluster_enabled": "1"}), "topology=fail", exitRedisUnfit},
		{"one primary", topologyChecks(map[string]string{"cluster_enabled": "0"}), "topology=ok", exitRedisFit},
		{"replication refused", []redisCheck{replicationCheck(nil)}, "replication=unknown", exitRedisUnknown},
		{"a replica", []redisCheck{replicationCheck(map[string]string{"role": "slave"})}, "replication=fail", exitRedisUnfit},
		{"no replica", []redisCheck{replicationCheck(map[string]string{"role": "master", "connected_slaves": "0"})}, "replication=warn", exitRedisFit},
		{"replicated", []redisCheck{replicationCheck(map[string]string{"role": "master", "connected_slaves": "2"})}, "replication=ok", exitRedisFit},
		{"a failure outweighs an unknown", []redisCheck{evictionCheck("", false), evictionCheck("volatile-lru", true)}, "eviction=unknown eviction=fail", exitRedisUnfit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := statuses(tt.checks); got != tt.want {
				t.Errorf("checks: got %q, want %q", got, tt.want)
			}
			if got := redisExit(tt.checks); got != tt.exit {
				t.Errorf("exit: got %d, want %d", got, tt.exit)
			}
		})
	}
}
