package autoscale

import (
	"math"
	"strings"
	"testing"
)

func burst(n int) Arrivals {
	return func(t int) float64 {
		if t == 0 {
			return float64(n)
		}
		return 0
	}
}

// TestBurstHandChecked: 1,200 jobs at once; one task at 1 job/s (1 s jobs,
// one at a time), min 1, max 10, target 100, 60 s start-up.
//
// By hand: the datapoints at 60, 120, 180 s read 1140, 1080, 1020 jobs per
// task (one task, one job a second); the third above target scales out at
// 180 s to ceil(1020/100) = 11, capped at 10. The nine new tasks take jobs
// from 240 s, when 960 remain: 10 jobs/s drain them in 96 s, so the last
// job (arrived at 0) starts at 335 s and finishes at 336 s. The datapoint
// at 240 s reads 960/10 = 96 (not below 90); from 300 s (36, then 0s) the
// fifteenth datapoint below 90 comes at 300 + 14×60 = 1140 s: scale in to
// the minimum, 1. Billed: one task for 1140 s and nine for 1140-180 = 960 s
// each = 9780 task-seconds.
func TestBurstHandChecked(t *testing.T) {
	t.Parallel()
	res, err := Simulate(Config{
		Arrivals: burst(1200), ArrivalsUntil: 1, ProcessingMs: 1000, Concurrency: 1,
		MinTasks: 1, MaxTasks: 10, TargetBacklogPerTask: 100, StartupSeconds: 60,
	})
	if err != nil {
		t.Fatal(err)
	}
	wantBacklog := []int{1140, 1080, 1020, 960, 360, 0}
	for i, w := range wantBacklog {
		if got := res.Minutes[i].Backlog; got != w {
			t.Errorf("minute %d: backlog %d, want %d", i, got, w)
		}
	}
	if m := res.Minutes[2]; m.Action != "out 1→10" || m.Desired != 10 || m.Running != 1 {
		t.Errorf("minute 2: %+v, want a scale-out 1→10 with 1 running", m)
	}
	if m := res.Minutes[3]; m.Running != 10 || m.BacklogPerTask != 96 || m.Action != "" {
		t.Errorf("minute 3: %+v, want 10 running at 96 per task and no action", m)
	}
	for i, m := range res.Minutes {
		if m.Action != "" && i != 2 && i != 18 {
			t.Errorf("minute %d: unexpected action %q", i, m.Action)
		}
	}
	if m := res.Minutes[18]; m.Action != "in 10→1" {
		t.Errorf("minute 18: action %q, want in 10→1", m.Action)
	}
	if res.DrainedAt != 336 || res.WorstLatency != 336 {
		t.Errorf("drained at %d s, worst latency %v s; want 336 and 336", res.DrainedAt, res.WorstLatency)
	}
	if res.Arrived != 1200 || res.Done != 1200 {
		t.Errorf("arrived %d, done %d", res.Arrived, res.Done)
	}
	if len(res.Minutes) != 19 || res.TaskSeconds != 9780 {
		t.Errorf("%d minutes, %d task-seconds; want 19 and 9780", len(res.Minutes), res.TaskSeconds)
	}
}

// TestFromZeroHandChecked: at zero tasks target tracking has no datapoint;
// the step policy starts one task at the first minute's datapoint (60 s),
// ready at 90 s, which drains 50 one-second jobs by 140 s. Fifteen
// datapoints below target (120 s … 960 s) scale it back to zero at 960 s.
func TestFromZeroHandChecked(t *testing.T) {
	t.Parallel()
	res, err := Simulate(Config{
		Arrivals: burst(50), ArrivalsUntil: 1, ProcessingMs: 1000,
		MinTasks: 0, MaxTasks: 5, TargetBacklogPerTask: 100, StartupSeconds: 30,
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := res.Minutes[0]; m.Action != "from zero" || !math.IsNaN(m.BacklogPerTask) || m.Desired != 1 {
		t.Errorf("minute 0: %+v, want from zero with no datapoint", m)
	}
	if m := res.Minutes[1]; m.Running != 1 || m.Backlog != 20 {
		t.Errorf("minute 1: %+v, want 1 running and 20 waiting", m)
	}
	if res.DrainedAt != 140 || res.WorstLatency != 140 {
		t.Errorf("drained at %d, worst latency %v; want 140, 140", res.DrainedAt, res.WorstLatency)
	}
	last := res.Minutes[len(res.Minutes)-1]
	if last.Minute != 15 || last.Action != "in 1→0" || res.TaskSeconds != 900 {
		t.Errorf("last minute %+v, %d task-seconds; want minute 15 in 1→0 and 900", last, res.TaskSeconds)
	}
}

// TestSteadyRateHoldsTasks: 10 jobs/s of 2 s jobs with 20 at once per task
// is exactly one task's throughput; with a minimum of 2 nothing waits.
func TestSteadyRateHoldsTasks(t *testing.T) {
	t.Parallel()
	res, err := Simulate(Config{
		Arrivals: func(int) float64 { return 10 }, ArrivalsUntil: 3600, Minutes: 60, ProcessingMs: 2000, Concurrency: 20,
		MinTasks: 2, MaxTasks: 4, TargetBacklogPerTask: 600, StartupSeconds: 60,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Minutes {
		if m.Action != "" || m.Backlog != 0 || m.Running != 2 {
			t.Fatalf("minute %+v: want 2 tasks, no backlog, no action", m)
		}
	}
	if res.Arrived != 36000 || res.Done != 36000 || res.WorstLatency != 2 || res.TaskHours() != 2 {
		t.Errorf("arrived %d done %d worst %v task-hours %v", res.Arrived, res.Done, res.WorstLatency, res.TaskHours())
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		c    Config
		want string
	}{
		{Config{ProcessingMs: 1, MaxTasks: 1, TargetBacklogPerTask: 1}, "no arrivals"},
		{Config{Arrivals: burst(1), MaxTasks: 1, TargetBacklogPerTask: 1}, "processing time"},
		{Config{Arrivals: burst(1), ProcessingMs: 1, MinTasks: 3, MaxTasks: 2, TargetBacklogPerTask: 1}, "tasks 3..2"},
		{Config{Arrivals: burst(1), ProcessingMs: 1, MaxTasks: 1}, "target backlog"},
	} {
		if _, err := Simulate(tc.c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Simulate(%+v) err = %v, want %q", tc.c, err, tc.want)
		}
	}
}
