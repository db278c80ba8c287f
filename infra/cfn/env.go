// Package cfn renders Quarry's topology into CloudFormation templates built
// from typed resources (goformation), and checks rendered templates offline:
// against CloudFormation's resource schemas, and against Quarry's own rules
// (every queue has a DLQ, IAM names what it can, stopTimeout fits Fargate,
// every subscription is filtered, every DLQ is watched).
package cfn

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/quarry-dev/quarry/infra/ecstask"
)

// Environment is how one deployment sizes and runs the topology.
type Environment struct {
	// Name goes into stack names and the log group.
	Name string
	// Cluster is the ECS cluster's name.
	Cluster string
	// Spot runs part of each service on Fargate Spot (x86_64 only): one
	// on-demand task as a base, then three Spot tasks for every on-demand
	// one. Spot interruption is a SIGTERM like any stop.
	Spot bool
	// OldestMessageAlarm is the age of a queue's oldest message that raises
	// its alarm (5 one-minute datapoints in a row).
	OldestMessageAlarm time.Duration
	// LogRetentionDays of the workers' log group.
	LogRetentionDays int
	// Roles size each role's service; a role missing here gets
	// DefaultRoleSettings.
	Roles map[string]RoleSettings
}

// RoleSettings size one role's ECS service.
type RoleSettings struct {
	// CPU units (1024 = 1 vCPU) and memory (MiB) of a task; a valid
	// Fargate pair.
	CPU, Memory int
	// MinTasks and MaxTasks bound autoscaling. MinTasks 0 lets the service
	// scale to zero; a step policy then starts the first task when
	// messages wait.
	MinTasks, MaxTasks int
	// TargetBacklogPerTask is the target of target tracking on visible
	// messages per running task: acceptable latency × jobs per second
	// one task sustains.
	TargetBacklogPerTask float64
	// SoftStop is how long in-flight jobs may finish after SIGTERM; the
	// container's stopTimeout is this plus ecstask.GiveBackTime.
	SoftStop time.Duration
	// Concurrency is jobs at once per task (0: the topology's value).
	Concurrency int
}

// DefaultRoleSettings are one small task per role, scaling to 10, fitting
// ECS's default 30 s stop.
var DefaultRoleSettings = RoleSettings{
	CPU: 512, Memory: 1024, MinTasks: 1, MaxTasks: 10, TargetBacklogPerTask: 100,
	SoftStop: ecstask.DefaultSoftStop,
}

// Environments are the built-in environments: "default", a small
// deployment on on-demand Fargate, and "production", sized for about a
// million jobs a day with Spot for the bursty stages.
func Environments() map[string]Environment {
	return map[string]Environment{
		"default": {
			Name: "default", Cluster: "quarry", OldestMessageAlarm: 30 * time.Minute,
			LogRetentionDays: 14,
		},
		"production": {
			Name: "production", Cluster: "quarry", Spot: true, OldestMessageAlarm: 15 * time.Minute,
			LogRetentionDays: 30,
			Roles: map[string]RoleSettings{
				// Fetch: I/O-bound, 8 portal sessions per task at ~5 s a
				// document → 1.6 jobs/s; 5 minutes of latency → 480.
				"fetch": {CPU: 512, Memory: 1024, MinTasks: 0, MaxTasks: 40, TargetBacklogPerTask: 480, SoftStop: 60 * time.Second},
				// Extract: CPU-bound, 2 PDFs at once of up to 30 s each.
				"extract": {CPU: 2048, Memory: 4096, MinTasks: 0, MaxTasks: 20, TargetBacklogPerTask: 20, SoftStop: 100 * time.Second, Concurrency: 2},
				// Notify and SES events: latency-sensitive and cheap, one
				// task always up.
				"notify":     {CPU: 256, Memory: 512, MinTasks: 1, MaxTasks: 4, TargetBacklogPerTask: 600, SoftStop: 20 * time.Second},
				"ses-events": {CPU: 256, Memory: 512, MinTasks: 1, MaxTasks: 2, TargetBacklogPerTask: 1200, SoftStop: 20 * time.Second},
			},
		},
	}
}

// EnvironmentNames lists the built-in environments, sorted.
func EnvironmentNames() []string {
	var names []string
	for n := range Environments() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupEnvironment returns the built-in environment called name.
func LookupEnvironment(name string) (Environment, error) {
	e, ok := Environments()[name]
	if !ok {
		return Environment{}, fmt.Errorf("unknown environment %q (environments: %v)", name, EnvironmentNames())
	}
	return e, nil
}

// role returns the settings of a role, defaults filled in.
func (e Environment) role(name string) RoleSettings {
	s, ok := e.Roles[name]
	if !ok {
		return DefaultRoleSettings
	}
	d := DefaultRoleSettings
	if s.CPU == 0 {
		s.CPU, s.Memory = d.CPU, d.Memory
	}
	if s.MaxTasks == 0 {
		s.MaxTasks = d.MaxTasks
	}
	if s.TargetBacklogPerTask == 0 {
		s.TargetBacklogPerTask = d.TargetBacklogPerTask
	}
	if s.SoftStop == 0 {
		s.SoftStop = d.SoftStop
	}
	return s
}

// fargateSizes are the CPU units Fargate offers and the memory (MiB) each allows.
var fargateSizes = map[int][]int{
	256:  {512, 1024, 2048},
	512:  {1024, 2048, 3072, 4096},
	1024: {2048, 3072, 4096, 5120, 6144, 7168, 8192},
	2048: {4096, 5120, 6144, 7168, 8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384},
	4096: {8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384, 17408, 18432, 19456, 20480, 21504, 22528, 23552, 24576, 25600, 26624, 27648, 28672, 29696, 30720},
}

func (s RoleSettings) validate(role string) error {
	mems, ok := fargateSizes[s.CPU]
	switch {
	case !ok:
		return fmt.Errorf("role %s: %d CPU units is not a Fargate size (256, 512, 1024, 2048, 4096)", role, s.CPU)
	case !slices.Contains(mems, s.Memory):
		return fmt.Errorf("role %s: %d MiB does not go with %d CPU units on Fargate (%v)", role, s.Memory, s.CPU, mems)
	case s.MinTasks < 0 || s.MaxTasks < 1 || s.MinTasks > s.MaxTasks:
		return fmt.Errorf("role %s: tasks %d..%d: need 0 <= min <= max and max >= 1", role, s.MinTasks, s.MaxTasks)
	case s.TargetBacklogPerTask <= 0:
		return fmt.Errorf("role %s: target backlog per task %v must be positive", role, s.TargetBacklogPerTask)
	}
	if _, err := ecstask.StopTimeout(s.SoftStop, true); err != nil {
		return fmt.Errorf("role %s: %w", role, err)
	}
	return nil
}
