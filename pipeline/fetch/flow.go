package fetch

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/gocolly/colly/v2"
	"github.com/quarry-dev/quarry/pipeline/fetch/recipe"
)

// flow is one run of a recipe: one collector, one cookie jar, the current
// page and the variables so far. It is used by one goroutine.
type flow struct {
	cfg     Config
	r       *recipe.Recipe
	base    *url.URL
	allowed []string
	attempt int
	trace   func(StepEvent)
	vars    map[string]string

	col       *colly.Collector
	closeIdle func()
	// last is the response the collector produced for the latest request,
	// abortErr why its body was refused after the headers, limit the body
	// cap of that request.
	last     *colly.Response
	abortErr *Failure
	limit    int64
	// hopMethod is the method of the latest request's last redirect hop
	// (a 302 turns a POST into a GET), hopAt when that hop was sent.
	hopMethod string
	hopAt     time.Time

	// cur is the current HTML page, dl the downloaded document.
	cur *page
	dl  *page

	step *recipe.Step
	// flowCtx is the flow's context (flow_timeout); parent the caller's.
	flowCtx context.Context
	parent  context.Context
}

func newFlow(f *Fetcher, r *recipe.Recipe, job Job, base *url.URL, allowed []string, vars map[string]string, attempt int) *flow {
	v := make(map[string]string, len(vars))
	for k, val := range vars {
		v[k] = val
	}
	return &flow{cfg: f.cfg, r: r, base: base, allowed: allowed, attempt: attempt, trace: job.Trace, vars: v}
}

// run executes every step and returns the document, or the failure of the
// first step that failed.
func (fl *flow) run(ctx context.Context) (*Document, error) {
	fl.parent = ctx
	fctx, cancel := context.WithTimeout(ctx, fl.r.Limits.FlowTimeout.D())
	defer cancel()
	fl.flowCtx = fctx
	fl.newCollector()
	defer fl.closeIdle()

	for i := range fl.r.Steps {
		fl.step = &fl.r.Steps[i]
		start := time.Now()
		detail, err := fl.runStep(fctx, fl.step)
		if err == nil {
			err = fl.expect(fl.step)
		}
		fl.emit(StepEvent{Detail: detail, Duration: time.Since(start), Err: err, StepDone: true})
		if err != nil {
			return nil, err
		}
	}
	if fl.dl == nil {
		return nil, failf(ClassRecipeBroken, "", "the recipe has no download step")
	}
	return fl.finish(), nil
}

// runStep runs one step's action and returns a line describing what it did.
func (fl *flow) runStep(ctx context.Context, s *recipe.Step) (string, error) {
	switch s.Kind() {
	case recipe.KindGet:
		return fl.doGet(ctx, s.Get)
	case recipe.KindSubmit:
		return fl.doSubmit(ctx, s.Submit)
	case recipe.KindPick:
		return fl.doPick(s.Pick)
	case recipe.KindPostback:
		return fl.doPostback(ctx, s.Postback)
	case recipe.KindFollow:
		return fl.doFollow(ctx, s.Follow)
	case recipe.KindWait:
		return fl.doWait(ctx, s.Wait)
	case recipe.KindDownload:
		return fl.doDownload(ctx, s.Download)
	case recipe.KindValidate:
		if f := fl.validateDocument(s.Validate); f != nil {
			return "", f
		}
		return fmt.Sprintf("valid %s, %d bytes", fl.dl.mediaType, len(fl.dl.body)), nil
	}
	return "", failf(ClassRecipeBroken, fl.label(), "unknown step kind %q", s.Kind())
}

// label names the current step for failures.
func (fl *flow) label() string {
	if fl.step == nil {
		return ""
	}
	return fl.step.Label()
}

// expand substitutes the flow's variables into t.
func (fl *flow) expand(t recipe.Template) (string, error) {
	return t.Expand(func(name string) (string, bool) {
		v, ok := fl.vars[name]
		return v, ok
	})
}

func (fl *flow) now() time.Time { return fl.cfg.Now() }

// emit sends a trace event for the current step.
func (fl *flow) emit(e StepEvent) {
	if fl.trace == nil {
		return
	}
	e.Attempt = fl.attempt
	if fl.step != nil {
		e.Step = fl.step.Label()
		e.Kind = fl.step.Kind()
	}
	fl.trace(e)
}
