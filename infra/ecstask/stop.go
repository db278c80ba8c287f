// Package ecstask holds what a Quarry worker needs to know about running as
// an ECS task: the stop budget between SIGTERM and SIGKILL, and task
// scale-in protection through the ECS agent's endpoint.
package ecstask

import (
	"fmt"
	"math"
	"time"
)

// ECS stop timing. ECS sends SIGTERM, waits the container's stopTimeout,
// then sends SIGKILL.
const (
	// DefaultStopTimeout is what ECS waits when a container sets no
	// stopTimeout (Fargate, and the EC2 agent's default).
	DefaultStopTimeout = 30 * time.Second
	// MaxFargateStopTimeout is the longest stopTimeout Fargate accepts.
	MaxFargateStopTimeout = 120 * time.Second
	// GiveBackTime is what a worker needs after its soft-stop budget runs
	// out: cancel the jobs still running, hand their messages back to SQS
	// (visibility 0), release their claims, flush pending deletes and exit.
	GiveBackTime = 10 * time.Second
	// DefaultSoftStop is how long in-flight jobs may run on after SIGTERM
	// by default: with GiveBackTime it fills ECS's default 30 s stopTimeout
	// exactly, so a worker deployed without a stopTimeout is never killed
	// while it is still giving jobs back.
	DefaultSoftStop = DefaultStopTimeout - GiveBackTime
)

// StopTimeout is the container stopTimeout a worker with the given
// soft-stop budget needs: the soft-stop plus the give-back time, in whole
// seconds. On Fargate it refuses a soft-stop that cannot fit in 120 s.
func StopTimeout(softStop time.Duration, fargate bool) (int, error) {
	if softStop <= 0 {
		return 0, fmt.Errorf("soft-stop %v must be positive", softStop)
	}
	total := softStop + GiveBackTime
	secs := int(math.Ceil(total.Seconds()))
	if fargate && time.Duration(secs)*time.Second > MaxFargateStopTimeout {
		return 0, fmt.Errorf("soft-stop %v plus %v to give jobs back needs a stopTimeout of %ds, over Fargate's maximum of %v: lower the soft-stop to at most %v",
			softStop, GiveBackTime, secs, MaxFargateStopTimeout, MaxFargateStopTimeout-GiveBackTime)
	}
	return secs, nil
}
