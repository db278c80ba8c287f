package notify

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/quarry-dev/quarry/messages"
)

// pause is the stage's switch for "SES will not send now": set when SES
// says sending is paused or the account suspended, or the daily quota is
// spent; cleared when GetAccount says sending is enabled (and the quota
// has room).
type pause struct {
	mu      sync.Mutex    // guards the fields below
	reason  string        // why sends are held; "" while they are not
	since   time.Time     // when the pause began
	resumed chan struct{} // closed when the pause ends
}

// enter starts a pause for reason and reports whether it began now (false
// if one was already on).
func (p *pause) enter(reason string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reason != "" {
		return false
	}
	p.reason, p.since, p.resumed = reason, now, make(chan struct{})
	return true
}

// leave ends the pause and returns what it was; ok is false if there was
// none.
func (p *pause) leave() (reason string, since time.Time, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reason == "" {
		return "", time.Time{}, false
	}
	reason, since = p.reason, p.since
	close(p.resumed)
	p.reason, p.resumed = "", nil
	return reason, since, true
}

// current returns the pause's reason ("" when there is none) and a
// channel closed when it ends.
func (p *pause) current() (string, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reason, p.resumed
}

// Gate holds the notify runner's receives while SES cannot send, so jobs
// wait in the queue instead of being received and retried. It satisfies
// the worker runtime's Gate (workers.Config.Gate). Get it from
// [Handler.Gate]; it is safe for concurrent use.
type Gate struct {
	h *Handler
}

// Wait returns at once while the stage can send. While it cannot (SES has
// paused sending or suspended the account, or the daily quota is spent),
// it polls GetAccount every HandlerConfig.PausePoll and returns once SES says
// sending is enabled again and, for the quota, the last 24 hours have
// room. While the HandlerConfig.Guard is closed (Redis lost its data) it holds
// the receives until ctx ends. It returns an error only when ctx ends: its
// cause.
func (g *Gate) Wait(ctx context.Context) error {
	h := g.h
	if err := h.waitGuard(ctx); err != nil {
		return err
	}
	if reason, _ := h.pause.current(); reason == "" {
		// The scheduled refresh can find a pause before any job meets
		// one. A failure to read the account is left to the next job,
		// which reports it.
		_ = h.refreshAccount(ctx, h.cfg.AccountRefresh)
	}
	for {
		reason, resumed := h.pause.current()
		if reason == "" {
			return nil
		}
		if err := h.refreshAccount(ctx, h.cfg.PausePoll); err != nil && ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if reason, _ = h.pause.current(); reason == "" {
			return nil
		}
		t := time.NewTimer(h.cfg.PausePoll)
		select {
		case <-ctx.Done():
		case <-resumed:
		case <-t.C:
		}
		t.Stop()
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
	}
}

// pausedError is the error of a job that met the pause: it is retried
// after PausePoll, by when the gate holds the queue's receives.
func (h *Handler) pausedError(reason string) error {
	return messages.RetryAfter(h.cfg.PausePoll, fmt.Errorf("notify: SES is not sending now (%s); the job waits for the pause to end", reason))
}

// enterPause holds sends for reason, logging once when the pause begins.
func (h *Handler) enterPause(reason string) {
	if h.pause.enter(reason, h.cfg.Now()) {
		h.metrics.paused.Set(1)
		h.log.Error().Str("reason", reason).Dur("poll", h.cfg.PausePoll).
			Msg("sending paused: notify.email jobs wait in the queue until SES sends again")
	}
}

// leavePause ends a pause, logging once.
func (h *Handler) leavePause() {
	if reason, since, ok := h.pause.leave(); ok {
		h.metrics.paused.Set(0)
		h.log.Info().Str("reason", reason).Dur("paused_for", h.cfg.Now().Sub(since)).
			Msg("sending resumed: SES says sending is enabled")
	}
}

// refreshAccount reads GetAccount unless the last read is more recent
// than every: it sets the fleet's send rate from the quota and enters or
// leaves the pause. Only the first read's failure is returned (there is
// no rate without it); later failures are logged and the last values
// kept. One caller reads at a time; the others wait for its answer.
func (h *Handler) refreshAccount(ctx context.Context, every time.Duration) error {
	h.accountMu.Lock()
	defer h.accountMu.Unlock()
	now := h.cfg.Now()
	if h.accountRead && now.Sub(h.accountAt) < every {
		return nil
	}
	out, err := h.cfg.SES.GetAccount(ctx, &sesv2.GetAccountInput{})
	h.accountAt = now
	if err != nil {
		if !h.accountRead {
			return fmt.Errorf("notify: reading the SES account (GetAccount) for the send rate and quota: %w", err)
		}
		if ctx.Err() == nil {
			h.log.Warn().Err(err).Msg("reading the SES account failed; keeping the last send rate and pause state")
		}
		return nil
	}
	h.accountRead = true
	h.applyAccount(out)
	return nil
}

// applyAccount acts on what GetAccount said.
func (h *Handler) applyAccount(out *sesv2.GetAccountOutput) {
	var q struct{ maxRate, max24, sent24 float64 }
	if out.SendQuota != nil {
		q.maxRate, q.max24, q.sent24 = out.SendQuota.MaxSendRate, out.SendQuota.Max24HourSend, out.SendQuota.SentLast24Hours
	}
	rate := q.maxRate * h.cfg.SendRateFraction
	h.limiter.setRate(rate)
	h.metrics.rate.Set(rate)
	enforcement := aws.ToString(out.EnforcementStatus)
	switch {
	case !out.SendingEnabled || enforcement == "SHUTDOWN":
		h.enterPause(fmt.Sprintf("SES reports sending disabled for the account (SendingEnabled=%t, EnforcementStatus=%s); re-enable it with PutAccountSendingAttributes or see the SES console", out.SendingEnabled, enforcement))
	case q.max24 >= 0 && q.sent24 >= q.max24:
		h.enterPause(fmt.Sprintf("the SES daily quota is spent: %.0f sent in the last 24 hours of %.0f allowed", q.sent24, q.max24))
	default:
		h.leavePause()
	}
}
