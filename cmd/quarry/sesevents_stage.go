package main

import (
	"github.com/quarry-dev/quarry/pipeline/sesevents"
)

// newSESEventsHandler builds the ses-events handler: the suppression list
// and the stage's counters in the fleet's Redis, the soft-bounce policy
// from the configuration, and the mirror into SES's list when it is on.
func newSESEventsHandler(d stageDeps) (*sesevents.Handler, error) {
	list, err := newSuppressionStore(d.cfg, d.redis)
	if err != nil {
		return nil, err
	}
	cfg := sesevents.HandlerConfig{
		Suppressions: list, Redis: d.redis.Client, Prefix: d.cfg.RedisPrefix, Effects: d.claims,
		Policy:     sesevents.Policy{SoftThreshold: d.cfg.SoftBounceThreshold, SoftWindow: d.cfg.SoftBounceWindow},
		Registerer: d.registry, Logger: d.log,
	}
	if d.cfg.SESMirrorSuppressions {
		cfg.Mirror = d.env.clients.SES
	}
	return sesevents.NewHandler(cfg)
}
