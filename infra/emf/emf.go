// Package emf publishes a worker's scaling inputs as CloudWatch embedded
// metric format (EMF) log lines: one JSON line per queue a minute, which
// CloudWatch Logs turns into metrics with no API call and no IAM grant
// beyond writing logs. The values come from the worker runtime's
// Prometheus metrics, so nothing is counted twice.
package emf

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// The runtime's Prometheus metrics the lines are made from (workers.Metrics).
const (
	metricInFlight = "quarry_jobs_in_flight"
	metricReceived = "quarry_messages_received_total"
	metricDuration = "quarry_handler_duration_seconds"
)

// Emitter writes the EMF lines.
type Emitter struct {
	Gatherer prometheus.Gatherer
	W        io.Writer
	// Namespace of the metrics (default "Quarry").
	Namespace string
	// Interval between lines (default one minute, CloudWatch's resolution
	// for the scaling alarms).
	Interval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	prev map[string]queueTotals
}

type queueTotals struct {
	received, runs, seconds float64
	inFlight                float64
}

// Run writes a line per queue every Interval until ctx ends, and a last one
// then.
func (e *Emitter) Run(ctx context.Context) error {
	if e.Interval <= 0 {
		e.Interval = time.Minute
	}
	tick := time.NewTicker(e.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return e.Emit()
		case <-tick.C:
			if err := e.Emit(); err != nil {
				return err
			}
		}
	}
}

// Emit writes one line per queue: jobs run, messages received and the
// mean processing time since the last line, and jobs in flight now.
func (e *Emitter) Emit() error {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	ns := e.Namespace
	if ns == "" {
		ns = "Quarry"
	}
	cur, err := e.totals()
	if err != nil {
		return err
	}
	queues := make([]string, 0, len(cur))
	for q := range cur {
		queues = append(queues, q)
	}
	sort.Strings(queues)
	for _, q := range queues {
		c, p := cur[q], e.prev[q]
		runs := c.runs - p.runs
		metrics := []map[string]string{
			{"Name": "JobsProcessed", "Unit": "Count"},
			{"Name": "MessagesReceived", "Unit": "Count"},
			{"Name": "InFlight", "Unit": "Count"},
		}
		line := map[string]any{
			"Queue": q, "JobsProcessed": runs, "MessagesReceived": c.received - p.received, "InFlight": c.inFlight,
		}
		if runs > 0 {
			metrics = append(metrics, map[string]string{"Name": "ProcessingTime", "Unit": "Milliseconds"})
			line["ProcessingTime"] = (c.seconds - p.seconds) / runs * 1000
		}
		line["_aws"] = map[string]any{
			"Timestamp": now().UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace": ns, "Dimensions": [][]string{{"Queue"}}, "Metrics": metrics,
			}},
		}
		b, err := json.Marshal(line)
		if err != nil {
			return fmt.Errorf("emf line of %s: %w", q, err)
		}
		if _, err := e.W.Write(append(b, '\n')); err != nil {
			return fmt.Errorf("writing the emf line of %s: %w", q, err)
		}
	}
	e.prev = cur
	return nil
}

func (e *Emitter) totals() (map[string]queueTotals, error) {
	mfs, err := e.Gatherer.Gather()
	if err != nil {
		return nil, fmt.Errorf("gathering the runtime's metrics: %w", err)
	}
	out := map[string]queueTotals{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			q := label(m, "queue")
			if q == "" {
				continue
			}
			t := out[q]
			switch mf.GetName() {
			case metricInFlight:
				t.inFlight += m.GetGauge().GetValue()
			case metricReceived:
				t.received += m.GetCounter().GetValue()
			case metricDuration:
				t.runs += float64(m.GetHistogram().GetSampleCount())
				t.seconds += m.GetHistogram().GetSampleSum()
			default:
				continue
			}
			out[q] = t
		}
	}
	return out, nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
