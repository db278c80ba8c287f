package workers

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the runtime's Prometheus metrics, shared by every runner of a
// process and labelled by queue.
type Metrics struct {
	received     *prometheus.CounterVec
	processed    *prometheus.CounterVec
	duplicates   *prometheus.CounterVec
	retried      *prometheus.CounterVec
	deadLettered *prometheus.CounterVec
	inFlight     *prometheus.GaugeVec
	duration     *prometheus.HistogramVec
	lag          *prometheus.HistogramVec
}

// NewMetrics creates the metrics and registers them with reg (nil: a fresh
// registry nobody scrapes, for tests and tools).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "quarry", Name: "messages_received_total", Help: "Messages received from SQS.",
		}, []string{"queue"}),
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "quarry", Name: "jobs_processed_total", Help: "Jobs whose handler ran, by outcome (ok, retry, permanent, shutdown).",
		}, []string{"queue", "job_type", "outcome"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "quarry", Name: "duplicates_skipped_total", Help: "Deliveries acknowledged without running the handler because the job was already done.",
		}, []string{"queue"}),
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "quarry", Name: "jobs_retried_total", Help: "Deliveries given back to SQS to be retried later.",
		}, []string{"queue", "reason"}),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "quarry", Name: "dead_lettered_total", Help: "Messages moved to the dead-letter queue by the runner.",
		}, []string{"queue", "reason"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "quarry", Name: "jobs_in_flight", Help: "Messages received and not yet finished.",
		}, []string{"queue"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "quarry", Name: "handler_duration_seconds", Help: "Handler run time.",
			Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 10, 30, 60, 300},
		}, []string{"queue", "job_type"}),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "quarry", Name: "queue_lag_seconds", Help: "Time from a message's SentTimestamp to its receive.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900, 3600},
		}, []string{"queue"}),
	}
	reg.MustRegister(m.received, m.processed, m.duplicates, m.retried, m.deadLettered, m.inFlight, m.duration, m.lag)
	return m
}

// queueMetrics are one runner's metric children, looked up once when the
// runner is built rather than with WithLabelValues for every message (which
// hashes the label values and locks the vector each time).
type queueMetrics struct {
	received   prometheus.Counter
	duplicates prometheus.Counter
	inFlight   prometheus.Gauge
	lag        prometheus.Observer
	// byType holds the children of each job type the runner has a handler
	// for. It is not written after the runner is built.
	byType map[string]typeMetrics
}

// typeMetrics are the children of one job type on one queue.
type typeMetrics struct {
	duration prometheus.Observer
	ok       prometheus.Counter
}

func (m *Metrics) forQueue(queue string, handlers map[string]Handler) queueMetrics {
	q := queueMetrics{
		received:   m.received.WithLabelValues(queue),
		duplicates: m.duplicates.WithLabelValues(queue),
		inFlight:   m.inFlight.WithLabelValues(queue),
		lag:        m.lag.WithLabelValues(queue),
		byType:     make(map[string]typeMetrics, len(handlers)),
	}
	for t := range handlers {
		q.byType[t] = typeMetrics{
			duration: m.duration.WithLabelValues(queue, t),
			ok:       m.processed.WithLabelValues(queue, t, "ok"),
		}
	}
	return q
}
