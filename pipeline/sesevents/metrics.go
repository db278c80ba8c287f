package sesevents

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	events       *prometheus.CounterVec // by kind: events handled the first time, per recipient
	replays      prometheus.Counter
	suppressions *prometheus.CounterVec // by reason: suppressions this stage added
	softBounces  prometheus.Counter
	autoReplies  prometheus.Counter
	contentIssue *prometheus.CounterVec // by bounce sub-type: transient bounces our content caused
	bounceRate   prometheus.Gauge
	complaintRt  prometheus.Gauge
	windowSends  prometheus.Gauge
	effects      *prometheus.CounterVec // by observation: what events of tagged sends did to their effects
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		effects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quarry_ses_effect_events_total",
			Help: "Events of sends tagged with their effect, by what they did: settled (an unknown send settled as sent), observed (the send was still attempting), completed, claimed, missing, stale (the send had been settled as not sent: it may have gone twice).",
		}, []string{"result"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quarry_ses_events_total", Help: "SES events handled, per recipient, by kind (replays not counted).",
		}, []string{"kind"}),
		replays: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quarry_ses_event_replays_total", Help: "Recipients of SES events already handled, skipped.",
		}),
		suppressions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quarry_ses_suppressions_total", Help: "Addresses suppressed by SES events, by reason.",
		}, []string{"reason"}),
		softBounces: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quarry_ses_soft_bounces_total", Help: "Soft bounces counted against their recipient.",
		}),
		autoReplies: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quarry_ses_auto_replies_total", Help: "Transient bounces after a delivery (auto-replies), not counted.",
		}),
		contentIssue: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quarry_ses_content_bounces_total", Help: "Transient bounces caused by our content (size, content, attachment), by sub-type.",
		}, []string{"sub_type"}),
		bounceRate: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quarry_ses_bounce_rate", Help: "Hard bounces / sends over the rate window (simulator excluded).",
		}),
		complaintRt: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quarry_ses_complaint_rate", Help: "Complaints / sends over the rate window (simulator excluded).",
		}),
		windowSends: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "quarry_ses_window_sends", Help: "Sends in the rate window (simulator excluded).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.events, m.replays, m.suppressions, m.softBounces, m.autoReplies, m.contentIssue, m.bounceRate, m.complaintRt, m.windowSends, m.effects)
	}
	return m
}
