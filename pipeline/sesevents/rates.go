package sesevents

import (
	"context"

	"github.com/rs/zerolog"
)

// AWS reviews an account at a 5 % bounce rate or a 0.1 % complaint rate;
// Quarry warns at half of each.
const (
	bounceWarn    = 0.025
	complaintWarn = 0.0005
	// ratesEvery is how often a handler recomputes the rates.
	ratesEveryMS = 5000
	// warnEvery is how often the warning may be repeated.
	warnEveryMS = 60000
)

// Rates are the bounce and complaint rates over the window.
type Rates struct {
	Sends, Bounces, Complaints, Deliveries int64
	BounceRate, ComplaintRate              float64
}

// Rates returns the current rates over the window.
func (h *Handler) Rates(ctx context.Context) (Rates, error) {
	t, err := h.windowTotals(ctx, counterSend, counterBounce, counterComplaint, counterDelivery)
	if err != nil {
		return Rates{}, err
	}
	r := Rates{Sends: t[counterSend], Bounces: t[counterBounce], Complaints: t[counterComplaint], Deliveries: t[counterDelivery]}
	if r.Sends > 0 {
		r.BounceRate = float64(r.Bounces) / float64(r.Sends)
		r.ComplaintRate = float64(r.Complaints) / float64(r.Sends)
	}
	return r, nil
}

// updateRates refreshes the rate gauges at most every ratesEvery and warns
// when a rate reaches half of AWS's review threshold over enough volume.
func (h *Handler) updateRates(ctx context.Context, log *zerolog.Logger) {
	now := h.cfg.Now().UnixMilli()
	last := h.ratesAt.Load()
	if now-last < ratesEveryMS || !h.ratesAt.CompareAndSwap(last, now) {
		return
	}
	r, err := h.Rates(ctx)
	if err != nil {
		log.Warn().Err(err).Msg("reading the bounce and complaint rates")
		return
	}
	h.metrics.bounceRate.Set(r.BounceRate)
	h.metrics.complaintRt.Set(r.ComplaintRate)
	h.metrics.windowSends.Set(float64(r.Sends))
	if r.Sends < int64(h.cfg.MinVolume) || (r.BounceRate < bounceWarn && r.ComplaintRate < complaintWarn) {
		return
	}
	h.warnMu.Lock()
	defer h.warnMu.Unlock()
	if h.cfg.Now().Sub(h.warnedAt).Milliseconds() < warnEveryMS && !h.warnedAt.IsZero() {
		return
	}
	h.warnedAt = h.cfg.Now()
	log.Warn().Int64("sends", r.Sends).Int64("hard_bounces", r.Bounces).Int64("complaints", r.Complaints).
		Float64("bounce_rate", r.BounceRate).Float64("complaint_rate", r.ComplaintRate).Dur("window", h.cfg.RateWindow).
		Msg("bounce or complaint rate at half of AWS's review threshold (5 % bounces, 0.1 % complaints): find the source before SES pauses sending")
}
