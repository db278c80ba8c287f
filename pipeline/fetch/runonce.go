package fetch

import (
	"context"
	"io"

	"github.com/quarry-dev/quarry/pipeline/fetch/recipe"
)

// RunOptions configures [RunOnce].
type RunOptions struct {
	// Inputs are more input values beside the key, by name.
	Inputs map[string]string
	// BaseURL, when set, replaces site.base_url; its host is allowed.
	BaseURL string
	// Dev allows loopback and private addresses, for the sample site.
	Dev bool
	// Gate enforces politeness; nil means in-process only.
	Gate Gate
	// Version is named in the User-Agent. Defaults to "dev".
	Version string
	// Verbose, when set, receives one line per request and per step.
	Verbose io.Writer
	// Trace, when set, receives every event (in addition to Verbose).
	Trace func(StepEvent)
}

// RunOnce runs recipe r once for key (the input named "key") without any
// queue, as `quarry fetch --recipe FILE --key VALUE` does, and returns the
// validated document. Errors are as for [Fetcher.Fetch].
func RunOnce(ctx context.Context, r *recipe.Recipe, key string, opts RunOptions) (*Document, error) {
	f, err := New(Config{Version: opts.Version, Gate: opts.Gate, AllowPrivateNetworks: opts.Dev})
	if err != nil {
		return nil, err
	}
	inputs := make(map[string]string, len(opts.Inputs)+1)
	for k, v := range opts.Inputs {
		inputs[k] = v
	}
	inputs["key"] = key
	var trace func(StepEvent)
	switch {
	case opts.Verbose != nil && opts.Trace != nil:
		text := TextTrace(opts.Verbose)
		trace = func(e StepEvent) { text(e); opts.Trace(e) }
	case opts.Verbose != nil:
		trace = TextTrace(opts.Verbose)
	default:
		trace = opts.Trace
	}
	return f.Fetch(ctx, Job{Recipe: r, Inputs: inputs, BaseURL: opts.BaseURL, Trace: trace})
}
