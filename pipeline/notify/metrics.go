package notify

import "github.com/prometheus/client_golang/prometheus"

// Metric outcome labels: the recipient outcomes of a Result, and throttled
// and rejected, which end a run without a result.
const (
	metricSent        = string(OutcomeSent)
	metricAlreadySent = string(OutcomeAlreadySent)
	metricSuppressed  = string(OutcomeSuppressed)
	metricUnknown     = string(OutcomeUnknown)
	metricThrottled   = "throttled"
	metricRejected    = "rejected"
)

type metrics struct {
	recipients *prometheus.CounterVec // by outcome, per run of a job
	paused     prometheus.Gauge
	waits      prometheus.Histogram
	rate       prometheus.Gauge
	settled    *prometheus.CounterVec // unknown sends settled, by how
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		recipients: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quarry_notify_recipients_total",
			Help: "Recipients of notify.email jobs by outcome (sent, suppressed, already_sent, unknown, throttled, rejected), counted on every run of a job.",
		}, []string{"outcome"}),
		paused: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quarry_notify_paused",
			Help: "1 while the stage holds its sends because SES has paused sending or the daily quota is spent.",
		}),
		waits: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "quarry_notify_send_wait_seconds",
			Help:    "Time each send waited for the fleet-wide SES send rate.",
			Buckets: []float64{0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}),
		rate: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quarry_notify_send_rate",
			Help: "Sends per second the fleet-wide limiter allows now (halved for a minute after SES throttles).",
		}),
		settled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quarry_notify_unknown_settled_total",
			Help: "Unknown sends settled as not sent after the quiet period without an SES event (how=quiet); the ses-events stage counts those its events settle.",
		}, []string{"how"}),
	}
	m.settled.WithLabelValues("quiet")
	for _, o := range []string{metricSent, metricAlreadySent, metricSuppressed, metricUnknown, metricThrottled, metricRejected} {
		m.recipients.WithLabelValues(o)
	}
	if reg != nil {
		reg.MustRegister(m.recipients, m.paused, m.waits, m.rate, m.settled)
	}
	return m
}
