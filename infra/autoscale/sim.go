// Package autoscale simulates an ECS service scaled by Application Auto
// Scaling on its SQS backlog, the way the workers stack renders it: target
// tracking on visible messages per running task from one-minute
// datapoints, high and low alarms with their datapoints to alarm,
// scale-out and scale-in cooldowns, a step policy that starts the first
// task at zero, and task start-up time. A user sizes the policy with it
// before deploying (quarry autoscale simulate).
package autoscale

import (
	"errors"
	"fmt"
	"math"
)

// Arrivals gives the jobs arriving during second t of the simulation (a
// fraction accumulates across seconds).
type Arrivals func(t int) float64

// Config is a service, its policy and its load.
type Config struct {
	Arrivals Arrivals
	// ProcessingMs is one job's handler time; Concurrency jobs run at once
	// per task, so a task finishes Concurrency×1000/ProcessingMs jobs a second.
	ProcessingMs int
	Concurrency  int
	// MinTasks, MaxTasks and TargetBacklogPerTask are the scalable
	// target's bounds and the target tracking policy's target.
	MinTasks, MaxTasks   int
	TargetBacklogPerTask float64
	// StartupSeconds from launching a task until it takes jobs (image
	// pull and boot on Fargate: tens of seconds to two minutes).
	StartupSeconds int
	// ScaleOutCooldown and ScaleInCooldown in seconds (the rendered policy:
	// 60 and 300).
	ScaleOutCooldown, ScaleInCooldown int
	// HighDatapoints and LowDatapoints are the datapoints (one a minute)
	// target tracking's alarms need in a row: 3 above target to scale
	// out, 15 below 90 % of it to scale in.
	HighDatapoints, LowDatapoints int
	// ArrivalsUntil is the second after which nothing more arrives.
	ArrivalsUntil int
	// Minutes simulated; 0 runs until arrivals are over, the backlog is
	// drained and the service is back at MinTasks, at most MaxMinutes.
	Minutes int
}

// MaxMinutes bounds a simulation run (a week).
const MaxMinutes = 7 * 24 * 60

func (c Config) withDefaults() Config {
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.ScaleOutCooldown == 0 {
		c.ScaleOutCooldown = 60
	}
	if c.ScaleInCooldown == 0 {
		c.ScaleInCooldown = 300
	}
	if c.HighDatapoints == 0 {
		c.HighDatapoints = 3
	}
	if c.LowDatapoints == 0 {
		c.LowDatapoints = 15
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Arrivals == nil:
		return errors.New("autoscale: no arrivals")
	case c.ProcessingMs <= 0:
		return fmt.Errorf("autoscale: processing time %d ms must be positive", c.ProcessingMs)
	case c.Concurrency < 1:
		return fmt.Errorf("autoscale: concurrency %d must be at least 1", c.Concurrency)
	case c.MinTasks < 0 || c.MaxTasks < 1 || c.MinTasks > c.MaxTasks:
		return fmt.Errorf("autoscale: tasks %d..%d: need 0 <= min <= max and max >= 1", c.MinTasks, c.MaxTasks)
	case c.TargetBacklogPerTask <= 0:
		return fmt.Errorf("autoscale: target backlog per task %v must be positive", c.TargetBacklogPerTask)
	case c.StartupSeconds < 0 || c.ScaleOutCooldown < 0 || c.ScaleInCooldown < 0:
		return errors.New("autoscale: start-up time and cooldowns cannot be negative")
	case c.Minutes < 0 || c.Minutes > MaxMinutes:
		return fmt.Errorf("autoscale: %d minutes is outside 0..%d", c.Minutes, MaxMinutes)
	}
	return nil
}

// Minute is the state at the end of one minute, when its datapoint is taken.
type Minute struct {
	// Minute counts from 0; its datapoint is taken at second 60×(Minute+1).
	Minute int
	// Running tasks take jobs; Desired includes tasks still starting.
	Running, Desired int
	// Backlog is the visible messages at the datapoint.
	Backlog int
	// BacklogPerTask is the policy's metric (NaN at zero running tasks:
	// no datapoint).
	BacklogPerTask float64
	// Done jobs finished during the minute; WorstLatency the longest time
	// from arrival to finish among them, in seconds.
	Done         int
	WorstLatency float64
	// Action is what the policy did at the datapoint: "", "out N→M",
	// "in N→M", "from zero".
	Action string
}

// Result is a simulation's minutes and totals.
type Result struct {
	Minutes []Minute
	// Arrived and Done jobs; WorstLatency over every job, seconds.
	Arrived, Done int
	WorstLatency  float64
	// DrainedAt is the second the last arrived job finished (-1: never).
	DrainedAt int
	// TaskSeconds are billed task time: from launch to stop.
	TaskSeconds int
}

// TaskHours are the billed task hours.
func (r Result) TaskHours() float64 { return float64(r.TaskSeconds) / 3600 }

type task struct{ readyAt int }

type batch struct {
	at    int // arrival second
	count int
}

// Simulate runs the scenario one second at a time: arrivals join the
// queue; running tasks take jobs in arrival order at their throughput;
// each minute ends with a datapoint and the policy's decision.
func Simulate(c Config) (Result, error) {
	c = c.withDefaults()
	if err := c.validate(); err != nil {
		return Result{}, err
	}
	rate := float64(c.Concurrency) * 1000 / float64(c.ProcessingMs) // jobs/s per task
	proc := float64(c.ProcessingMs) / 1000

	tasks := make([]task, c.MinTasks)
	desired := c.MinTasks
	var (
		queue           []batch
		backlog         int
		arrivalCredit   float64
		workCredit      float64
		history         []float64 // datapoints; NaN: none
		lastOut, lastIn = math.MinInt / 2, math.MinInt / 2
		lastFromZero    = math.MinInt / 2
		res             = Result{DrainedAt: -1}
		minute          = Minute{}
	)
	limit := c.Minutes
	if limit == 0 {
		limit = MaxMinutes
	}
	for t := 0; t < limit*60; t++ {
		// Arrivals of second t.
		arrivalCredit += c.Arrivals(t)
		if n := int(arrivalCredit); n > 0 {
			arrivalCredit -= float64(n)
			queue = append(queue, batch{at: t, count: n})
			backlog += n
			res.Arrived += n
		}
		// Running tasks take jobs.
		running := 0
		for _, tk := range tasks {
			if tk.readyAt <= t {
				running++
			}
		}
		workCredit += float64(running) * rate
		take := min(int(workCredit), backlog)
		workCredit -= float64(take)
		took := take
		if backlog == take {
			// Idle capacity is not banked.
			workCredit -= math.Floor(workCredit)
		}
		for take > 0 {
			b := &queue[0]
			n := min(take, b.count)
			lat := float64(t-b.at) + proc
			minute.WorstLatency = max(minute.WorstLatency, lat)
			res.WorstLatency = max(res.WorstLatency, lat)
			b.count -= n
			take -= n
			backlog -= n
			minute.Done += n
			res.Done += n
			if b.count == 0 {
				queue = queue[1:]
			}
		}
		if took > 0 && backlog == 0 {
			res.DrainedAt = t + int(math.Ceil(proc))
		}
		res.TaskSeconds += len(tasks)

		now := t + 1
		if now%60 != 0 {
			continue
		}
		// The datapoint at the end of the minute.
		running = 0
		for _, tk := range tasks {
			if tk.readyAt <= now {
				running++
			}
		}
		metric := math.NaN()
		if running > 0 {
			metric = float64(backlog) / float64(running)
		}
		history = append(history, metric)
		minute.Minute = now/60 - 1
		minute.Running = running
		minute.Backlog = backlog
		minute.BacklogPerTask = metric

		want := desired
		switch {
		case allOver(history, c.HighDatapoints, c.TargetBacklogPerTask) && now-lastOut >= c.ScaleOutCooldown:
			n := min(int(math.Ceil(float64(backlog)/c.TargetBacklogPerTask)), c.MaxTasks)
			if n > desired {
				want = n
				lastOut = now
				lastIn = math.MinInt / 2 // a scale-out ends a scale-in cooldown
			}
		case allUnder(history, c.LowDatapoints, 0.9*c.TargetBacklogPerTask) && now-lastIn >= c.ScaleInCooldown:
			n := max(int(math.Ceil(float64(backlog)/c.TargetBacklogPerTask)), c.MinTasks)
			if n < desired {
				want = n
				lastIn = now
			}
		}
		// The step policy: messages wait and no task runs.
		if desired == 0 && want == 0 && backlog > 0 && now-lastFromZero >= c.ScaleOutCooldown {
			want = 1
			lastFromZero = now
			minute.Action = "from zero"
		}
		switch {
		case want > desired:
			if minute.Action == "" {
				minute.Action = fmt.Sprintf("out %d→%d", desired, want)
			}
			for range want - desired {
				tasks = append(tasks, task{readyAt: now + c.StartupSeconds})
			}
		case want < desired:
			minute.Action = fmt.Sprintf("in %d→%d", desired, want)
			// Tasks still starting stop first, then the newest; workers
			// hold task protection while they own jobs, so a stopped task
			// hands nothing back in this model.
			tasks = tasks[:want]
		}
		desired = want
		minute.Desired = desired
		res.Minutes = append(res.Minutes, minute)
		minute = Minute{}
		if c.Minutes == 0 && res.Arrived > 0 && backlog == 0 && res.Done == res.Arrived && desired == c.MinTasks && now > c.ArrivalsUntil {
			break
		}
	}
	return res, nil
}

func allOver(h []float64, n int, v float64) bool {
	if len(h) < n {
		return false
	}
	for _, x := range h[len(h)-n:] {
		if math.IsNaN(x) || x <= v {
			return false
		}
	}
	return true
}

func allUnder(h []float64, n int, v float64) bool {
	if len(h) < n {
		return false
	}
	for _, x := range h[len(h)-n:] {
		if math.IsNaN(x) || x >= v {
			return false
		}
	}
	return true
}
