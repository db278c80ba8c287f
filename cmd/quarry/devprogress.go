package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// stageProgress is one stage's line of the live view.
type stageProgress struct {
	Role         string  `json:"role"`
	Queued       int     `json:"queued"`    // visible in the queue
	Delayed      int     `json:"delayed"`   // given back with a retry delay, not yet visible
	InFlight     int     `json:"in_flight"` // received, not yet settled
	DLQ          int     `json:"dlq"`
	Done         int     `json:"done"`
	Retried      int     `json:"retried"`
	DeadLettered int     `json:"dead_lettered"`
	Duplicates   int     `json:"duplicates"`
	Rate         float64 `json:"jobs_per_second"` // done per second since the last look
}

// hostProgress is one sample-portal host's line.
type hostProgress struct {
	Host     string  `json:"host"`
	Requests int     `json:"requests"`
	Rate     float64 `json:"requests_per_second"`
	// MaxPerSecond is the most requests the host saw within one second;
	// Limit is what its recipe allows in a second.
	MaxPerSecond int `json:"max_per_second"`
	Limit        int `json:"limit_per_second"`
	// Wait is the mean time a request waited for the host's politeness.
	Wait time.Duration `json:"wait_per_request"`
}

// progress is what the live view shows at one moment.
type progress struct {
	Elapsed   time.Duration   `json:"elapsed"`
	Published int             `json:"published"`
	Total     int             `json:"total"`
	Stages    []stageProgress `json:"stages"`
	Hosts     []hostProgress  `json:"hosts"`
}

// idle reports whether no stage has anything queued, delayed or in flight.
func (p progress) idle() bool {
	for _, s := range p.Stages {
		if s.Queued+s.Delayed+s.InFlight > 0 {
			return false
		}
	}
	return true
}

// watcher samples the fleet's queues, metrics and sites.
type watcher struct {
	env      *awsEnv
	registry prometheus.Gatherer
	roles    []string
	queues   map[string][2]string // role → queue URL, DLQ URL
	sites    devSites
	limit    int // requests per second a host's recipe allows
	start    time.Time
	// history holds recent samples; rates are taken over rateWindow.
	history []sampled
}

// sampled is one earlier sample, for rates.
type sampled struct {
	at time.Time
	p  progress
}

// rateWindow is how far back the live view's rates look.
const rateWindow = 5 * time.Second

func newWatcher(ctx context.Context, env *awsEnv, reg prometheus.Gatherer, roles []string, sites devSites, limit int) (*watcher, error) {
	w := &watcher{env: env, registry: reg, roles: roles, queues: map[string][2]string{}, sites: sites, limit: limit, start: time.Now()}
	for _, role := range roles {
		q, _ := env.topology.Queue(role)
		url, err := env.queueURL(ctx, q.Name)
		if err != nil {
			return nil, err
		}
		dlq, err := env.queueURL(ctx, q.DLQName())
		if err != nil {
			return nil, err
		}
		w.queues[role] = [2]string{url, dlq}
	}
	return w, nil
}

// sample reads the current progress; published and total say how much of
// the batch has been published.
func (w *watcher) sample(ctx context.Context, published, total int) (progress, error) {
	now := time.Now()
	p := progress{Elapsed: now.Sub(w.start).Round(100 * time.Millisecond), Published: published, Total: total}
	families, err := w.registry.Gather()
	if err != nil {
		return p, fmt.Errorf("reading metrics: %w", err)
	}
	m := metricIndex(families)
	var base progress
	var dt float64
	if len(w.history) > 0 {
		i := 0
		for i < len(w.history)-1 && now.Sub(w.history[i+1].at) >= rateWindow {
			i++
		}
		w.history = w.history[i:]
		base, dt = w.history[0].p, now.Sub(w.history[0].at).Seconds()
	}
	for i, role := range w.roles {
		q, _ := w.env.topology.Queue(role)
		urls := w.queues[role]
		attrs, err := w.env.queueAttrs(ctx, urls[0], types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible, types.QueueAttributeNameApproximateNumberOfMessagesDelayed)
		if err != nil {
			return p, err
		}
		dlq, err := w.env.queueAttrs(ctx, urls[1], types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)
		if err != nil {
			return p, err
		}
		s := stageProgress{
			Role:         role,
			Queued:       atoi(attrs["ApproximateNumberOfMessages"]),
			Delayed:      atoi(attrs["ApproximateNumberOfMessagesDelayed"]),
			InFlight:     atoi(attrs["ApproximateNumberOfMessagesNotVisible"]),
			DLQ:          atoi(dlq["ApproximateNumberOfMessages"]) + atoi(dlq["ApproximateNumberOfMessagesNotVisible"]),
			Done:         int(m.sum("quarry_jobs_processed_total", "queue", q.Name, "outcome", "ok")),
			Retried:      int(m.sum("quarry_jobs_retried_total", "queue", q.Name)),
			DeadLettered: int(m.sum("quarry_dead_lettered_total", "queue", q.Name)),
			Duplicates:   int(m.sum("quarry_duplicates_skipped_total", "queue", q.Name)),
		}
		if len(base.Stages) > i && dt > 0 {
			s.Rate = float64(s.Done-base.Stages[i].Done) / dt
		}
		p.Stages = append(p.Stages, s)
	}
	for i, site := range w.sites {
		st := site.site.Stats()
		h := hostProgress{Host: site.host, Requests: int(st.Requests), MaxPerSecond: st.MaxPerSecond, Limit: w.limit}
		if n := m.sum("quarry_fetch_host_requests_total", "host", site.host); n > 0 {
			h.Wait = time.Duration(m.sum("quarry_fetch_politeness_wait_seconds_total", "host", site.host) / n * float64(time.Second))
		}
		if len(base.Hosts) > i && dt > 0 {
			h.Rate = float64(h.Requests-base.Hosts[i].Requests) / dt
		}
		p.Hosts = append(p.Hosts, h)
	}
	w.history = append(w.history, sampled{at: now, p: p})
	return p, nil
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// metrics are gathered samples by name.
type metrics map[string][]*dto.Metric

func metricIndex(families []*dto.MetricFamily) metrics {
	m := make(metrics, len(families))
	for _, f := range families {
		m[f.GetName()] = f.GetMetric()
	}
	return m
}

// sum adds up the counters or gauges of name whose labels have the given
// name, value pairs.
func (m metrics) sum(name string, labels ...string) float64 {
	var total float64
next:
	for _, s := range m[name] {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range s.GetLabel() {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
					break
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case s.Counter != nil:
			total += s.GetCounter().GetValue()
		case s.Gauge != nil:
			total += s.GetGauge().GetValue()
		}
	}
	return total
}

// view draws progress: on a terminal it redraws one block in place; on
// anything else it writes a plain line now and then.
type view struct {
	out      io.Writer
	terminal bool
	drawn    int // lines of the block drawn last
	lastLine time.Time
}

// finish leaves the last drawn block on screen; what is written next goes
// below it.
func (v *view) finish() { v.drawn = 0 }

// plainEvery is how often a plain progress line is written.
const plainEvery = 5 * time.Second

func (v *view) draw(p progress, note string) {
	if !v.terminal {
		if time.Since(v.lastLine) < plainEvery && note == "" {
			return
		}
		v.lastLine = time.Now()
		var parts []string
		for _, s := range p.Stages {
			parts = append(parts, fmt.Sprintf("%s %d done %d queued %d in flight %.1f/s", s.Role, s.Done, s.Queued+s.Delayed, s.InFlight, s.Rate))
		}
		line := fmt.Sprintf("dev %6.1fs published %d/%d | %s", p.Elapsed.Seconds(), p.Published, p.Total, strings.Join(parts, " | "))
		if note != "" {
			line += " | " + note
		}
		fmt.Fprintln(v.out, line)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "quarry dev  %.1fs  published %d of %d jobs  %s\n", p.Elapsed.Seconds(), p.Published, p.Total, note)
	t := newNumberTable(&b, "stage", "queued", "in flight", "done", "retried", "duplicates", "DLQ", "jobs/s")
	for _, s := range p.Stages {
		t.row(s.Role, s.Queued+s.Delayed, s.InFlight, s.Done, s.Retried, s.Duplicates, s.DLQ, fmt.Sprintf("%.1f", s.Rate))
	}
	_ = t.flush()
	if len(p.Hosts) > 0 {
		t = newNumberTable(&b, "site host", "requests", "req/s", "most in 1s", "allowed", "wait/request")
		shown := p.Hosts
		if len(shown) > 8 {
			shown = shown[:8]
		}
		for _, h := range shown {
			t.row(h.Host, h.Requests, fmt.Sprintf("%.1f", h.Rate), h.MaxPerSecond, h.Limit, h.Wait.Round(time.Millisecond))
		}
		_ = t.flush()
		if len(p.Hosts) > len(shown) {
			fmt.Fprintf(&b, "  ... and %d more hosts\n", len(p.Hosts)-len(shown))
		}
	}
	if v.drawn > 0 {
		fmt.Fprintf(v.out, "\x1b[%dA\x1b[J", v.drawn) // back to the block's first line, clear below
	}
	fmt.Fprint(v.out, b.String())
	v.drawn = strings.Count(b.String(), "\n")
}
