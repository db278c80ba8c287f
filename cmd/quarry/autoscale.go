package main

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/infra/autoscale"
)

// fargateTaskHour is a 0.5 vCPU / 1 GB Linux x86 Fargate task's hourly
// price in us-east-1 (0.5 × $0.04048 + 1 × $0.004445).
const fargateTaskHour = 0.024685

func newAutoscaleCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "autoscale", Short: "Size a service's scaling policy before deploying"}
	var (
		arrival  string
		minutes  int
		c        autoscale.Config
		startup  time.Duration
		every    int
		taskHour float64
	)
	sim := &cobra.Command{
		Use:   "simulate --arrival RATE|burst:N|FILE --processing-ms N [--tasks-min A --tasks-max B --target T]",
		Short: "Replay a load curve against the backlog-per-task scaling policy",
		Long: `simulate replays arrivals against one service scaled the way quarry infra
render deploys it: target tracking on visible messages per running task from
one-minute datapoints (3 above target to scale out, 15 below 90 % of it to
scale in), cooldowns (out 60 s, in 300 s), a step policy that starts the first
task at zero, and the tasks' start-up time. It prints tasks, backlog and the
worst latency minute by minute, then the totals and the Fargate cost.

--arrival is a constant rate in jobs/s (for --minutes), burst:N (N jobs at
once), or a file of lines "MINUTE RATE" (jobs/s from that minute on) and
"MINUTE +N" (N jobs at once), ending with a rate of 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			load, err := parseArrival(arrival, minutes)
			if err != nil {
				return err
			}
			c.Arrivals, c.ArrivalsUntil, c.Minutes = load.Arrivals, load.Until, minutes
			c.StartupSeconds = int(startup.Seconds())
			res, err := autoscale.Simulate(c)
			if err != nil {
				return err
			}
			printSimulation(a, res, every, taskHour)
			return nil
		},
	}
	f := sim.Flags()
	f.StringVar(&arrival, "arrival", "", "jobs/s, burst:N, or a load-curve file")
	f.IntVar(&minutes, "minutes", 0, "minutes to simulate (a constant rate needs it; default: until drained and scaled back in)")
	f.IntVar(&c.ProcessingMs, "processing-ms", 0, "one job's processing time, ms")
	f.IntVar(&c.Concurrency, "concurrency", 1, "jobs at once per task")
	f.IntVar(&c.MinTasks, "tasks-min", 1, "the scalable target's minimum")
	f.IntVar(&c.MaxTasks, "tasks-max", 10, "the scalable target's maximum")
	f.Float64Var(&c.TargetBacklogPerTask, "target", 100, "target backlog per task (acceptable latency × jobs/s per task)")
	f.DurationVar(&startup, "startup", time.Minute, "from launching a task until it takes jobs")
	f.IntVar(&every, "every", 1, "print every N minutes (and every minute the policy acts)")
	f.Float64Var(&taskHour, "task-cost-hour", fargateTaskHour, "one task's price per hour, USD (default: 0.5 vCPU / 1 GB Fargate x86, us-east-1)")
	_ = sim.MarkFlagRequired("arrival")
	_ = sim.MarkFlagRequired("processing-ms")
	cmd.AddCommand(sim)
	return cmd
}

func parseArrival(spec string, minutes int) (autoscale.Load, error) {
	if n, ok := strings.CutPrefix(spec, "burst:"); ok {
		v, err := strconv.Atoi(n)
		if err != nil || v < 0 {
			return autoscale.Load{}, fmt.Errorf("--arrival %s: burst:N needs a number of jobs", spec)
		}
		return autoscale.BurstLoad(v), nil
	}
	if rate, err := strconv.ParseFloat(spec, 64); err == nil {
		if minutes <= 0 || rate < 0 {
			return autoscale.Load{}, fmt.Errorf("--arrival %s: a constant rate needs --minutes and a rate >= 0", spec)
		}
		return autoscale.ConstantLoad(rate, minutes), nil
	}
	fh, err := os.Open(spec)
	if err != nil {
		return autoscale.Load{}, fmt.Errorf("--arrival: %w", err)
	}
	defer fh.Close()
	l, err := autoscale.ParseLoad(fh)
	if err != nil {
		return autoscale.Load{}, fmt.Errorf("--arrival %s: %w", spec, err)
	}
	return l, nil
}

func printSimulation(a *app, res autoscale.Result, every int, taskHour float64) {
	t := newNumberTable(a.stdout, "minute", "running", "desired", "backlog", "per task", "done", "worst latency", "action")
	for _, m := range res.Minutes {
		if every > 1 && m.Minute%every != 0 && m.Action == "" {
			continue
		}
		per := "-"
		if !math.IsNaN(m.BacklogPerTask) {
			per = strconv.FormatFloat(m.BacklogPerTask, 'f', 1, 64)
		}
		lat := "-"
		if m.Done > 0 {
			lat = (time.Duration(m.WorstLatency * float64(time.Second))).Round(time.Second).String()
		}
		t.row(m.Minute, m.Running, m.Desired, m.Backlog, per, m.Done, lat, m.Action)
	}
	_ = t.flush()
	drained := "not drained"
	if res.DrainedAt >= 0 && res.Done == res.Arrived {
		drained = "drained at " + (time.Duration(res.DrainedAt) * time.Second).String()
	}
	fmt.Fprintf(a.stdout, "jobs %d, done %d, %s, worst latency %v, %.2f task-hours ≈ $%.2f at $%.6f/task-hour\n",
		res.Arrived, res.Done, drained, (time.Duration(res.WorstLatency * float64(time.Second))).Round(time.Second),
		res.TaskHours(), res.TaskHours()*taskHour, taskHour)
}
