package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/quarry-dev/quarry/infra/ecstask"
	"github.com/quarry-dev/quarry/infra/emf"
)

// Scaling-metrics modes of quarry worker.
const (
	scalingMetricsOff = "off"
	scalingMetricsEMF = "emf"
)

// startScalingInputs starts what a worker on ECS publishes for its own
// scaling: EMF metric lines on stdout (mode emf), and, when the ECS agent
// is there ($ECS_AGENT_URI), task scale-in protection while the fleet
// holds jobs. The returned stop ends them (clearing the protection and
// writing a last metric line) once the fleet has stopped.
func startScalingInputs(ctx context.Context, a *app, f *fleet, mode string) (stop func(), err error) {
	switch mode {
	case scalingMetricsOff, scalingMetricsEMF:
	default:
		return nil, fmt.Errorf("--scaling-metrics %q: want %s or %s", mode, scalingMetricsOff, scalingMetricsEMF)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	if mode == scalingMetricsEMF {
		e := &emf.Emitter{Gatherer: f.registry, W: a.stdout}
		wg.Go(func() {
			if err := e.Run(ctx); err != nil {
				a.log.Warn().Err(err).Msg("scaling metrics stopped")
			}
		})
	}
	if agent, ok := ecstask.AgentFromEnv(); ok {
		k := &ecstask.Keeper{Agent: agent, InFlight: f.inFlight, Logger: a.log}
		wg.Go(func() { k.Run(ctx) })
		a.log.Info().Msg("ECS agent found: the task is protected from scale-in while it holds jobs")
	}
	return func() { cancel(); wg.Wait() }, nil
}

// inFlight is the messages every runner of the fleet holds.
func (f *fleet) inFlight() int {
	n := 0
	for _, r := range f.runners {
		n += r.InFlight()
	}
	return n
}
