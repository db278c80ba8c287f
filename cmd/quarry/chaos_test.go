package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// chaosResult is one row of the table the chaos test prints.
type chaosResult struct {
	run                                string
	jobs, workerKills, redisKills      int
	once, twice, never                 int
	unknownByEvent, unknownByQuiet     int
	unknownLeft, lateEvents, sendCalls int
	guardClosed, lostMetric            bool
	addressesLogged, lossLogged        int
	wall                               time.Duration
}

func (r chaosResult) row() string {
	return fmt.Sprintf("| %s | %d | %d | %d | %d | %d | %d settled by SES event, %d by quiet period, %d left | %s |",
		r.run, r.workerKills, r.once, r.twice, r.never, r.unknownByEvent+r.unknownByQuiet+r.unknownLeft,
		r.unknownByEvent, r.unknownByQuiet, r.unknownLeft, r.wall.Round(time.Second))
}

type chaosOptions struct {
	name      string
	jobs      int
	redisArgs []string
	// lossy: Redis keeps nothing across its restart; the run ends once
	// every worker's guard has closed.
	lossy bool
	// noWorkerKills: only Redis is killed.
	noWorkerKills bool
}

// runChaos publishes opts.jobs notify.email jobs (one recipient each) to
// three workers, SIGKILLs and restarts one worker every 3 s and Redis once
// a third of the way through, and waits until every recipient is mailed
// (or, for a lossy Redis, until every worker has stopped sending).
func runChaos(t *testing.T, o chaosOptions) chaosResult {
	start := time.Now()
	f := startProcFleet(t, procFleetOptions{
		redisArgs: o.redisArgs,
		// A wide SendEmail call, so kills land inside it; SES at 40 mails
		// a second (the fleet sends at 85 % of it), so 1,000 mails take
		// about 30 s and see about ten kills.
		localaws:   []string{"--ses-send-rate", "40", "--fault-latency-for", "ses.SendEmail=100ms"},
		quiet:      10 * time.Second,
		visibility: 6 * time.Second,
	})
	f.startWorkers(3)

	var b strings.Builder
	for i := range o.jobs {
		fmt.Fprintf(&b, `{"recipients":["r%04d@example.org"],"template":"tables-ready","template_data":{"pdf_key":"jobs/x/doc.pdf","tables":1,"pages":1,"failed_pages":[],"outputs":[]}}`+"\n", i)
	}
	jobs := f.dir + "/jobs.jsonl"
	if err := os.WriteFile(jobs, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	f.run("publish", "notify.email", "--file", jobs)

	res := chaosResult{run: o.name, jobs: o.jobs}
	const (
		killEvery = 3 * time.Second
		budget    = 150 * time.Second // every loop below is bounded by it
	)
	deadline := time.Now().Add(budget)
	nextKill := time.Now().Add(killEvery)
	redisKilled := false
	stableSince, lastMailed := time.Now(), -1
	for {
		if time.Now().After(deadline) {
			t.Errorf("%s: not settled within %v; worker log tail:\n%s", o.name, budget, logTail(f.workers[0].log, 30))
			break
		}
		counts := f.mailCounts()
		mailed := len(counts)
		if mailed != lastMailed {
			stableSince, lastMailed = time.Now(), mailed
		}
		tally := f.tallyEffects()
		if !o.lossy && mailed == o.jobs && tally.unknownLeft == 0 {
			break
		}
		if o.lossy && redisKilled && time.Since(stableSince) > 3*time.Second && f.allGuardsClosed() {
			res.guardClosed = true
			res.lostMetric = f.allMetric("quarry_redis_epoch_lost 1")
			break
		}
		if !redisKilled && mailed >= o.jobs/3 {
			f.redis.Restart()
			res.redisKills++
			redisKilled = true
		}
		if !o.noWorkerKills && time.Now().After(nextKill) && mailed < o.jobs {
			f.restartWorker(res.workerKills % 3)
			res.workerKills++
			nextKill = time.Now().Add(killEvery)
		}
		// A worker that exited by itself (it could not reach Redis while
		// Redis restarted) is started again.
		for i := range 3 {
			if !f.workers[i].alive() {
				f.restartWorker(i)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}

	counts := f.mailCounts()
	for i := range o.jobs {
		switch n := counts[fmt.Sprintf("r%04d@example.org", i)]; {
		case n == 1:
			res.once++
		case n > 1:
			res.twice++
		default:
			res.never++
		}
	}
	tally := f.tallyEffects()
	res.unknownByEvent, res.unknownByQuiet, res.unknownLeft, res.lateEvents = tally.settledByEvent, tally.settledByQuiet, tally.unknownLeft, tally.lateEvents
	res.sendCalls = int(f.sendCalls())
	res.addressesLogged = f.grepWorkerLogs("@example.org")
	res.lossLogged = f.grepWorkerLogs("Redis lost its data")
	res.wall = time.Since(start)
	if res.twice > 0 {
		var twice []string
		for a, n := range counts {
			if n > 1 {
				twice = append(twice, a)
			}
		}
		sort.Strings(twice)
		t.Logf("mailed twice: %v", twice)
	}
	return res
}

// allMetric reports whether every worker's /metrics has the line.
func (f *procFleet) allMetric(line string) bool {
	c := http.Client{Timeout: 2 * time.Second}
	for _, addr := range f.metrics {
		resp, err := c.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), "\n"+line+"\n") {
			return false
		}
	}
	return true
}

// allGuardsClosed reports whether every worker answers /healthz with the
// epoch guard's 503.
func (f *procFleet) allGuardsClosed() bool {
	for i := range f.workers {
		code, body := f.health(i)
		if code != 503 || !strings.Contains(body, "Redis lost its data") {
			return false
		}
	}
	return true
}

// TestChaos is the fleet under SIGKILLs: 1,000 notify.email jobs, three
// workers, one killed and restarted every 3 s, Redis killed and restarted
// once. With a durable Redis every recipient is mailed exactly once and
// the sends in flight at the kills settle by themselves; with a Redis that
// loses its data, the epoch guard stops the fleet instead of mailing
// anyone twice.
func TestChaos(t *testing.T) {
	needChaos(t)
	var rows []string
	t.Run("durable redis", func(t *testing.T) {
		r := runChaos(t, chaosOptions{name: "Redis with AOF (appendfsync always)", jobs: 1000,
			redisArgs: []string{"--appendonly", "yes", "--appendfsync", "always", "--maxmemory-policy", "noeviction"}})
		rows = append(rows, r.row())
		t.Logf("%+v", r)
		if r.twice != 0 || r.never != 0 || r.once != r.jobs {
			t.Errorf("mailed once %d, twice %d, never %d; want all %d once", r.once, r.twice, r.never, r.jobs)
		}
		if r.unknownLeft != 0 {
			t.Errorf("%d sends still unknown; want every one settled without a person", r.unknownLeft)
		}
		if r.addressesLogged != 0 {
			t.Errorf("the workers' logs name recipients' addresses %d times", r.addressesLogged)
		}
		if r.lateEvents != 0 {
			t.Errorf("%d sends settled as not sent were reported sent afterwards", r.lateEvents)
		}
		// Every kill can leave at most the sends inside SendEmail at that
		// moment unknown: at most one per handler slot (8) per kill.
		if u := r.unknownByEvent + r.unknownByQuiet; u > 8*(r.workerKills+r.redisKills) {
			t.Errorf("%d unknown sends for %d kills: more than were in flight", u, r.workerKills)
		}
	})
	t.Run("redis loses its data", func(t *testing.T) {
		r := runChaos(t, chaosOptions{name: "Redis without persistence (data lost at its restart)", jobs: 1000, lossy: true,
			redisArgs: []string{"--appendonly", "no", "--maxmemory-policy", "noeviction"}})
		rows = append(rows, r.row())
		t.Logf("%+v", r)
		if r.twice != 0 {
			t.Errorf("%d recipients mailed twice after Redis lost its data; want the guard to stop the fleet", r.twice)
		}
		if !r.guardClosed {
			t.Error("the workers' epoch guards did not all close")
		}
		if r.lossLogged == 0 {
			t.Error("no worker logged that Redis lost its data")
		}
		if !r.lostMetric {
			t.Error("quarry_redis_epoch_lost is not 1 on the workers")
		}
		if r.never == 0 {
			t.Error("every recipient was mailed although Redis lost its data a third of the way through")
		}
	})
	t.Run("redis loses its data, no worker kills", func(t *testing.T) {
		r := runChaos(t, chaosOptions{name: "Redis without persistence killed once, no worker kills", jobs: 400, lossy: true, noWorkerKills: true,
			redisArgs: []string{"--appendonly", "no", "--maxmemory-policy", "noeviction"}})
		rows = append(rows, r.row())
		t.Logf("%+v", r)
		if r.twice != 0 || !r.guardClosed {
			t.Errorf("mailed twice %d, guards closed %v; want none twice and every guard closed", r.twice, r.guardClosed)
		}
	})
	t.Logf("\n| run | worker kills | mailed once | mailed twice | never mailed | unknown | wall |\n|---|---|---|---|---|---|---|\n%s", strings.Join(rows, "\n"))
}
