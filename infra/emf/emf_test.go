package emf_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quarry-dev/quarry/infra/emf"
	"github.com/quarry-dev/quarry/workers"
)

// TestEmitFromRuntimeMetrics: the runtime's own metrics (registered by
// workers.NewMetrics) become one EMF line per queue with deltas since the
// last line.
func TestEmitFromRuntimeMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	workers.NewMetrics(reg)
	// The runtime's vectors, found by name, fed as a runner would.
	inFlight := findGauge(t, reg, "quarry_jobs_in_flight")
	received := findCounter(t, reg, "quarry_messages_received_total")
	duration := findHistogram(t, reg, "quarry_handler_duration_seconds")

	var out bytes.Buffer
	e := &emf.Emitter{Gatherer: reg, W: &out, Now: func() time.Time { return time.UnixMilli(1_700_000_000_000) }}
	received.WithLabelValues("quarry-fetch").Add(5)
	inFlight.WithLabelValues("quarry-fetch").Set(2)
	duration.WithLabelValues("quarry-fetch", "fetch.document").Observe(0.5)
	duration.WithLabelValues("quarry-fetch", "fetch.document").Observe(1.5)
	if err := e.Emit(); err != nil {
		t.Fatal(err)
	}
	line := decode(t, out.String())
	if line["Queue"] != "quarry-fetch" || line["JobsProcessed"] != 2.0 || line["MessagesReceived"] != 5.0 || line["InFlight"] != 2.0 || line["ProcessingTime"] != 1000.0 {
		t.Errorf("first line %v", line)
	}
	aws := line["_aws"].(map[string]any)
	if aws["Timestamp"] != 1.7e12 {
		t.Errorf("timestamp %v", aws["Timestamp"])
	}
	cwm := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if cwm["Namespace"] != "Quarry" || len(cwm["Metrics"].([]any)) != 4 {
		t.Errorf("CloudWatchMetrics %v", cwm)
	}

	out.Reset()
	received.WithLabelValues("quarry-fetch").Add(1)
	inFlight.WithLabelValues("quarry-fetch").Set(0)
	if err := e.Emit(); err != nil {
		t.Fatal(err)
	}
	line = decode(t, out.String())
	if line["JobsProcessed"] != 0.0 || line["MessagesReceived"] != 1.0 || line["InFlight"] != 0.0 {
		t.Errorf("second line %v", line)
	}
	if _, ok := line["ProcessingTime"]; ok {
		t.Errorf("a minute with no jobs reports a processing time: %v", line)
	}
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one line, got %q", s)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The runtime's metric vectors are unexported; registering a twin under
// the same name hands back the registered one.
func findGauge(t *testing.T, reg *prometheus.Registry, name string) *prometheus.GaugeVec {
	t.Helper()
	v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: "Messages received and not yet finished."}, []string{"queue"})
	return reregister(t, reg, v).(*prometheus.GaugeVec)
}

func findCounter(t *testing.T, reg *prometheus.Registry, name string) *prometheus.CounterVec {
	t.Helper()
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: "Messages received from SQS."}, []string{"queue"})
	return reregister(t, reg, v).(*prometheus.CounterVec)
}

func findHistogram(t *testing.T, reg *prometheus.Registry, name string) *prometheus.HistogramVec {
	t.Helper()
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: "Handler run time.",
		Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 10, 30, 60, 300}}, []string{"queue", "job_type"})
	return reregister(t, reg, v).(*prometheus.HistogramVec)
}

func reregister(t *testing.T, reg *prometheus.Registry, c prometheus.Collector) prometheus.Collector {
	t.Helper()
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if err == nil {
		t.Fatalf("the runtime registers no metric like %T: the emf names drifted", c)
	}
	if !errors.As(err, &are) {
		t.Fatalf("registering a twin: %v", err)
	}
	return are.ExistingCollector
}
