package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
)

func TestUnknownSubcommandsAndBadFlagsExitWithUsageStatus(t *testing.T) {
	for _, args := range [][]string{
		{"dlq", "redrve", "fetch"},
		{"infra", "status"},
		{"effects", "list"},
		{"suppress", "nope"},
		{"bogus"},
		{"dlq", "list", "--bogus"},
	} {
		out, _, err := runQuarryErr(args...)
		if code := exitCode(err); code != exitUsage {
			t.Errorf("quarry %s: exit status %d (%v), want %d", strings.Join(args, " "), code, err, exitUsage)
		}
		if out != "" {
			t.Errorf("quarry %s printed on stdout:\n%s", strings.Join(args, " "), out)
		}
	}
	_, _, err := runQuarryErr("dlq", "redrve", "fetch")
	if err == nil || !strings.Contains(err.Error(), "did you mean redrive") {
		t.Errorf("dlq redrve: %v, want a suggestion", err)
	}
	// A group alone still prints its help and succeeds.
	if out, _, err := runQuarryErr("dlq"); err != nil || !strings.Contains(out, "redrive") {
		t.Errorf("quarry dlq: %v\n%s", err, out)
	}
}

func TestWorkerRefusesConcurrencyBelowOne(t *testing.T) {
	for _, c := range []string{"0", "-1"} {
		_, _, err := runQuarryErr("worker", "--roles", "notify", "--concurrency", c, "--endpoint-url", "http://127.0.0.1:1")
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "--concurrency") {
			t.Errorf("worker --concurrency %s: %v (status %d)", c, err, exitCode(err))
		}
	}
}

func TestInfraApplyJSONAndTheApplyHintOnlyForMissingResources(t *testing.T) {
	ep := localawstest.Start(t, localaws.Config{})
	// Before apply: the hint.
	if _, _, err := runQuarryErr("dlq", "list", "--endpoint-url", ep.URL); err == nil || !strings.Contains(err.Error(), "infra apply") {
		t.Errorf("dlq list before apply: %v, want the apply hint", err)
	}
	if _, _, err := runQuarryErr("publish", "notify.email", "--payload", `{"recipients":["a@example.org"],"template":"t"}`, "--endpoint-url", ep.URL); err == nil || !strings.Contains(err.Error(), "infra apply") {
		t.Errorf("publish before apply: %v, want the apply hint", err)
	}
	out := runQuarry(t, "infra", "apply", "--json", "--endpoint-url", ep.URL)
	kinds := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r resourceRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("infra apply --json line %q: %v", line, err)
		}
		if r.Address == "" {
			t.Errorf("row without address: %+v", r)
		}
		kinds[r.Kind]++
	}
	if kinds["topic"] != 2 || kinds["queue"] != 4 || kinds["dlq"] != 4 || kinds["unroutable"] != 1 {
		t.Errorf("infra apply --json kinds = %v", kinds)
	}
	// No endpoint: no hint, since applying would not help.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	for _, args := range [][]string{
		{"dlq", "list", "--endpoint-url", dead},
		{"publish", "notify.email", "--payload", `{"recipients":["a@example.org"],"template":"t"}`, "--endpoint-url", dead},
	} {
		_, _, err := runQuarryErr(args...)
		if err == nil || strings.Contains(err.Error(), "infra apply") {
			t.Errorf("quarry %s against no endpoint: %v, want an error without the apply hint", args[0], err)
		}
	}
}

func TestPublishDrawsNoProgressBarWhenStderrIsNotATerminal(t *testing.T) {
	ep := localawstest.Start(t, localaws.Config{})
	runQuarry(t, "infra", "apply", "--endpoint-url", ep.URL)
	out, errOut, err := runQuarryErr("publish", "notify.email", "--file", writeJobs(t, 25), "--endpoint-url", ep.URL)
	if err != nil || !strings.Contains(out, "published 25 notify.email jobs") {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	if errOut != "" {
		t.Errorf("stderr (not a terminal) got %q", errOut)
	}
}

func TestFetchTakesABuiltInRecipeByName(t *testing.T) {
	out := filepath.Join(t.TempDir(), "doc.pdf")
	msg := runQuarry(t, "fetch", "--recipe", "sample-records", "--key", "42-501-20130", "--sample-site", "--out", out)
	if !strings.Contains(msg, "saved "+out) {
		t.Fatalf("output: %s", msg)
	}
	if b, err := os.ReadFile(out); err != nil || !strings.HasPrefix(string(b), "%PDF-") {
		t.Fatalf("saved file: %.20q, %v", b, err)
	}
	_, _, err := runQuarryErr("fetch", "--recipe", "no-such-recipe", "--key", "1")
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "sample-records") {
		t.Errorf("unknown recipe: %v", err)
	}
}

func TestFetchPolicyErrorNamesWhatTheWorkerHas(t *testing.T) {
	// The sample recipe against the sample site without --dev: refused,
	// and the error says how to allow it.
	site, stop, err := serveSampleSite()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	_, _, err = runQuarryErr("fetch", "--recipe", "sample-records", "--key", "42-501-20130", "--base-url", site, "--out", filepath.Join(t.TempDir(), "x.pdf"))
	if err == nil || strings.Contains(err.Error(), "dev mode") || !strings.Contains(err.Error(), "QUARRY_FETCH_ALLOW_PRIVATE") {
		t.Errorf("fetch from loopback without --dev: %v", err)
	}
}

func TestExtractPagesPastTheEndNamesTheRange(t *testing.T) {
	_, errOut, err := runExtractCmd(t, corpusPDF("bordered_grid"), "--pages", "5")
	if err == nil || !strings.Contains(err.Error(), "--pages 5") || strings.Contains(err.Error(), "1 pages") {
		t.Errorf("extract --pages 5 of a one-page file: %v", err)
	}
	if !strings.Contains(errOut, "page 5, past the end of the document (it has 1 page)") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

func TestGoRedisLinesGoToTheLogger(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("QUARRY_REDIS_URL", "redis://"+addr)
	t.Setenv("QUARRY_LOG_LEVEL", "debug")
	t.Setenv("QUARRY_LOG_FORMAT", "json")
	_, errOut, err := runQuarryErr("suppress", "check", "a@example.org")
	if err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Fatalf("check with Redis down: %v", err)
	}
	if !strings.Contains(errOut, `"component":"go-redis"`) {
		t.Errorf("go-redis's lines did not reach the logger:\n%s", errOut)
	}
}
