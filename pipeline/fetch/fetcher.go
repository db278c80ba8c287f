package fetch

import (
	"github.com/quarry-dev/quarry/messages"

	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/quarry-dev/quarry/pipeline/fetch/recipe"
	"github.com/rs/zerolog"
)

// Defaults of [Config].
const (
	DefaultVersion     = "dev"
	DefaultRetryDelay  = 30 * time.Second
	DefaultSessionWait = 30 * time.Second
)

// Config configures a [Fetcher]. The zero value works: in-process
// politeness only, private networks refused.
type Config struct {
	// Version is the Quarry version named in the User-Agent. Defaults to
	// "dev".
	Version string
	// Gate enforces politeness for the whole fleet (politeness.Limiter on
	// Redis). Defaults to a [LocalGate], which holds for this process only.
	Gate Gate
	// AllowPrivateNetworks lets every recipe reach loopback, private and
	// link-local addresses: dev mode, for the sample site on 127.0.0.1.
	AllowPrivateNetworks bool
	// RetryDelay is the delay returned with a retryable failure when the
	// site did not ask for one. Defaults to 30s.
	RetryDelay time.Duration
	// SessionWait bounds the wait for a free session slot on the host;
	// after it the job is retried later. Defaults to 30s.
	SessionWait time.Duration
	// Logger receives debug lines about flows; a zero Logger logs nothing.
	Logger zerolog.Logger
	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	c.Version = cmp.Or(c.Version, DefaultVersion)
	c.RetryDelay = cmp.Or(c.RetryDelay, DefaultRetryDelay)
	c.SessionWait = cmp.Or(c.SessionWait, DefaultSessionWait)
	if c.Gate == nil {
		c.Gate = NewLocalGate()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func (c Config) validate() error {
	if c.RetryDelay < 0 || c.SessionWait < 0 {
		return errors.New("fetch: RetryDelay and SessionWait must not be negative")
	}
	return nil
}

// UserAgent returns the User-Agent Quarry sends: it names Quarry and where
// to read about it, and never imitates a browser.
func UserAgent(version string) string {
	return "QuarryFetcher/" + version + " (+https://github.com/quarry-dev/quarry)"
}

// Fetcher runs recipes. It is safe for concurrent use; every Fetch gets its
// own collector, cookie jar and connections.
type Fetcher struct {
	cfg Config
}

// New returns a Fetcher.
func New(cfg Config) (*Fetcher, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Fetcher{cfg: cfg}, nil
}

// Job is one fetch: a recipe and the inputs for its variables.
type Job struct {
	// Recipe is a recipe from [recipe.Parse]. Required.
	Recipe *recipe.Recipe
	// Inputs are the job's input values by name (the payload's key goes in
	// "key").
	Inputs map[string]string
	// BaseURL, when set, replaces site.base_url, and its host is allowed:
	// for the sample site on a random port, or a staging copy of a site.
	BaseURL string
	// Trace, when set, is called for every request and every finished step.
	Trace func(StepEvent)
}

// Document is a fetched, validated document and where it came from.
type Document struct {
	// Body is the document.
	Body []byte
	// ContentType is the media type the site declared.
	ContentType string
	// Filename is the Content-Disposition file name, if the site sent one.
	Filename string
	// FinalURL is the URL the document came from, after redirects.
	FinalURL string
	// Recipe and RecipeVersion identify the recipe that fetched it.
	Recipe        string
	RecipeVersion int
	// Size is len(Body); SHA256 its hex digest.
	Size   int64
	SHA256 string
	// Attempts is how many flows ran, counting fresh-session restarts.
	Attempts int
	// FetchedAt is when the download finished.
	FetchedAt time.Time
}

// Fetch runs job's recipe and returns the document its download step got.
//
// Failures are classified (see [Class]) and returned as [messages.RetryAfter]
// or [messages.Permanent] wrapping a [*Failure] that names the step. A flow that
// ends with an expired session, a truncated body or a rejected postback
// starts over with a fresh session, up to limits.max_flow_attempts. When ctx
// is cancelled, Fetch returns an error wrapping ctx's cause, unclassified.
func (f *Fetcher) Fetch(ctx context.Context, job Job) (*Document, error) {
	r := job.Recipe
	if r == nil {
		return nil, messages.Permanent(failf(ClassRecipeBroken, "", "no recipe"))
	}
	base := r.BaseURL()
	if base == nil {
		return nil, messages.Permanent(failf(ClassRecipeBroken, "", "recipe %q was not validated: load it with recipe.Parse or call Validate", r.Name))
	}
	allowed := r.Site.AllowedHosts
	if job.BaseURL != "" {
		u, err := url.Parse(job.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, messages.Permanent(failf(ClassRecipeBroken, "", "base URL override %q is not an absolute http(s) URL", job.BaseURL))
		}
		base = u
		allowed = append(append([]string(nil), allowed...), u.Host)
	}
	vars, fail := inputVars(r, job.Inputs)
	if fail != nil {
		return nil, fail.outcome(f.cfg.RetryDelay, r.Politeness.MaxRetryAfter.D())
	}

	release, err := f.acquireSession(ctx, r, base.Host)
	if err != nil {
		return nil, err
	}
	defer func() {
		// Release even when ctx is done: a slot left behind blocks the
		// host until its lease ends.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := release(rctx); err != nil {
			f.cfg.Logger.Warn().Err(err).Str("host", base.Host).Msg("fetch: release session slot")
		}
	}()

	var last *Failure
	for attempt := 1; attempt <= r.Limits.MaxFlowAttempts; attempt++ {
		fl := newFlow(f, r, job, base, allowed, vars, attempt)
		doc, err := fl.run(ctx)
		if err == nil {
			doc.Attempts = attempt
			return doc, nil
		}
		if !errors.As(err, &last) {
			return nil, err // cancellation: not a failure of the site
		}
		if !last.Class.freshSession() || attempt == r.Limits.MaxFlowAttempts {
			break
		}
		f.cfg.Logger.Debug().Str("recipe", r.Name).Int("attempt", attempt).Str("class", string(last.Class)).Str("reason", last.Reason).Msg("fetch: flow starts over with a fresh session")
	}
	return nil, last.outcome(f.cfg.RetryDelay, r.Politeness.MaxRetryAfter.D())
}

// acquireSession takes a session slot on the host for this job, waiting at
// most SessionWait.
func (f *Fetcher) acquireSession(ctx context.Context, r *recipe.Recipe, host string) (func(context.Context) error, error) {
	wctx, cancel := context.WithTimeout(ctx, f.cfg.SessionWait)
	defer cancel()
	release, err := f.cfg.Gate.AcquireSession(wctx, host, r.Politeness.MaxSessions, r.Politeness.SessionLease.D())
	if err == nil {
		return release, nil
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("fetch: wait for a session slot on %s: %w", host, context.Cause(ctx))
	}
	if wctx.Err() != nil {
		fail := failf(ClassThrottled, "", "all %d session slots on %s stayed busy for %s", r.Politeness.MaxSessions, host, f.cfg.SessionWait)
		return nil, messages.RetryAfter(f.cfg.RetryDelay, fail)
	}
	// The politeness store is unreachable: a transient infrastructure
	// error, retried with the runtime's backoff.
	return nil, fmt.Errorf("fetch: acquire session slot on %s: %w", host, err)
}

// inputVars checks and normalizes the job's inputs against the recipe's
// declarations and returns the initial variables.
func inputVars(r *recipe.Recipe, inputs map[string]string) (map[string]string, *Failure) {
	vars := make(map[string]string, len(r.Inputs)+8)
	for name, in := range r.Inputs {
		v, ok := inputs[name]
		if !ok {
			if in.Default == nil {
				return nil, failf(ClassInvalidInput, "", "input %q is missing", name)
			}
			v = *in.Default
		}
		norm, ok := in.Normalized(v)
		if !ok {
			return nil, failf(ClassInvalidInput, "", "input %s=%q does not match pattern %s", name, v, in.Pattern)
		}
		vars[name] = norm
	}
	return vars, nil
}

// finish turns the downloaded page into a Document.
func (fl *flow) finish() *Document {
	p := fl.dl
	sum := sha256.Sum256(p.body)
	return &Document{
		Body:          p.body,
		ContentType:   p.mediaType,
		Filename:      fl.vars["download.filename"],
		FinalURL:      p.url.String(),
		Recipe:        fl.r.Name,
		RecipeVersion: fl.r.Version,
		Size:          int64(len(p.body)),
		SHA256:        hex.EncodeToString(sum[:]),
		FetchedAt:     fl.now(),
	}
}
