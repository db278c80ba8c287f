package notify

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/rs/zerolog"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/messages"
)

// cleanupTimeout bounds releasing or marking an effect after the job's
// context has ended.
const cleanupTimeout = 5 * time.Second

// rejectedError is SES refusing one recipient's message: the job fails
// permanently once the other recipients are done.
type rejectedError struct {
	addr string
	err  error
}

func (e *rejectedError) Error() string {
	return fmt.Sprintf("SES rejected the message to %s: %v", e.addr, e.err)
}

func (e *rejectedError) Unwrap() error { return e.err }

// effectName names the send to addr among the job's effects.
func effectName(addr string) string { return "email:" + addr }

// deliver runs the send protocol for one recipient: claim the send as an
// effect of the job first, and act on what the claim says.
func (h *Handler) deliver(ctx context.Context, lease *idempotency.Lease, job messages.Job, tmpl string, msg *message, rc recipient, log zerolog.Logger) (RecipientResult, error) {
	claim, err := h.cfg.Effects.ClaimEffect(ctx, lease, effectName(rc.addr))
	if err != nil {
		return RecipientResult{}, fmt.Errorf("notify: claiming the send to %s: %w", rc.addr, err)
	}
	switch claim.Status {
	case idempotency.EffectCompleted:
		rr := completedResult(rc.addr, claim.Result)
		h.count(string(rr.Outcome))
		log.Debug().Str("outcome", string(rr.Outcome)).Msg("recipient done in an earlier run; skipped")
		return rr, nil
	case idempotency.EffectInProgress:
		return RecipientResult{}, fmt.Errorf("notify: the send to %s is under way in another run of job %s under the same lease; retry later", rc.addr, job.ID)
	case idempotency.EffectUnknown:
		h.count(metricUnknown)
		log.Warn().Str("reason", claim.Reason).
			Msg("whether this recipient was mailed is unknown; not sending again (`quarry effects unknown` lists it)")
		return RecipientResult{Address: rc.addr, Outcome: OutcomeUnknown, Detail: claim.Reason}, nil
	case idempotency.EffectAcquired:
		return h.send(ctx, job, tmpl, msg, rc, claim.Effect, log)
	}
	return RecipientResult{}, fmt.Errorf("notify: claiming the send to %s: unexpected status %s", rc.addr, claim.Status)
}

// send performs an acquired send effect: suppression check, rate, SES.
func (h *Handler) send(ctx context.Context, job messages.Job, tmpl string, msg *message, rc recipient, eff *idempotency.Effect, log zerolog.Logger) (RecipientResult, error) {
	reasons, err := h.suppressed(ctx, rc)
	if err != nil {
		h.release(ctx, eff, log)
		return RecipientResult{}, fmt.Errorf("notify: checking the suppression list for %s: %w", rc.addr, err)
	}
	if len(reasons) > 0 {
		if err := h.cfg.Effects.CompleteEffect(ctx, eff, suppressedEffect(reasons)); err != nil {
			h.release(ctx, eff, log)
			return RecipientResult{}, fmt.Errorf("notify: recording that %s is suppressed: %w", rc.addr, err)
		}
		h.count(metricSuppressed)
		log.Info().Strs("reasons", reasons).Msg("recipient is suppressed; not mailed")
		return RecipientResult{Address: rc.addr, Outcome: OutcomeSuppressed, SuppressionReasons: reasons}, nil
	}
	if reason, _ := h.pause.current(); reason != "" {
		h.release(ctx, eff, log)
		return RecipientResult{}, h.pausedError(reason)
	}
	raw := msg.bytesFor(rc.addr, h.unsub.header(rc.addr))
	waited, err := h.limiter.wait(ctx)
	h.metrics.waits.Observe(waited.Seconds())
	if err != nil {
		h.release(ctx, eff, log)
		return RecipientResult{}, fmt.Errorf("notify: waiting for the send rate: %w", err)
	}

	id, sent, err := h.sendEmail(ctx, job, tmpl, rc.addr, raw)
	if err == nil {
		h.throttles.Store(0)
		if err := h.cfg.Effects.CompleteEffect(ctx, eff, []byte(id)); err != nil {
			// The mail went out but is not recorded: make sure no later
			// run sends it again, and keep the message id for whoever
			// settles it.
			h.markUnknown(ctx, eff, fmt.Sprintf("SES accepted it as message %s, but recording the send failed: %v", id, err), log)
			return RecipientResult{}, fmt.Errorf("notify: recording the send to %s (SES message %s): %w", rc.addr, id, err)
		}
		h.count(metricSent)
		log.Debug().Str("ses_message_id", id).Dur("waited", waited).Msg("sent")
		return RecipientResult{Address: rc.addr, Outcome: OutcomeSent, MessageID: id}, nil
	}

	switch classify(err, sent) {
	case failThrottled:
		h.release(ctx, eff, log)
		h.count(metricThrottled)
		if serr := h.limiter.slowDown(context.WithoutCancel(ctx)); serr != nil {
			log.Warn().Err(serr).Msg("could not halve the fleet's send rate")
		}
		d := throttleDelay(int(h.throttles.Add(1)))
		return RecipientResult{}, messages.RetryAfter(d, fmt.Errorf("notify: SES throttled the send to %s; the fleet sends at half rate for a minute: %w", rc.addr, err))
	case failDailyQuota:
		h.release(ctx, eff, log)
		h.enterPause(fmt.Sprintf("the SES daily sending quota is spent (%v)", err))
		return RecipientResult{}, h.pausedError("the daily sending quota is spent")
	case failPaused:
		h.release(ctx, eff, log)
		reason := fmt.Sprintf("SES refuses to send: %v; fix the account or configuration set %q, SES's console says why", err, h.cfg.ConfigurationSet)
		h.enterPause(reason)
		return RecipientResult{}, h.pausedError(reason)
	case failRejected:
		h.release(ctx, eff, log)
		h.count(metricRejected)
		log.Error().Err(err).Msg("SES rejected the message")
		return RecipientResult{}, &rejectedError{addr: rc.addr, err: err}
	case failConfig:
		h.release(ctx, eff, log)
		return RecipientResult{}, fmt.Errorf("notify: SES is missing something the send needs (is configuration set %q created? quarry infra apply creates it): %w", h.cfg.ConfigurationSet, err)
	case failRefused:
		h.release(ctx, eff, log)
		return RecipientResult{}, fmt.Errorf("notify: SES refused the send to %s: %w", rc.addr, err)
	case failNotSent:
		h.release(ctx, eff, log)
		return RecipientResult{}, fmt.Errorf("notify: sending to %s (the request never left): %w", rc.addr, err)
	}
	// failAmbiguous: SES may have accepted it. Never send it again.
	reason := fmt.Sprintf("SendEmail may have reached SES but no answer came back: %v", err)
	h.markUnknown(ctx, eff, reason, log)
	h.count(metricUnknown)
	log.Warn().Err(err).Msg("whether this recipient was mailed is unknown; not sending again (`quarry effects unknown` lists it)")
	return RecipientResult{Address: rc.addr, Outcome: OutcomeUnknown, Detail: reason}, nil
}

// sendEmail sends one raw message and returns SES's message id. sent
// reports whether the request reached the HTTP transport: before that,
// a failure certainly sent nothing.
func (h *Handler) sendEmail(ctx context.Context, job messages.Job, tmpl, to string, raw []byte) (id string, sent bool, err error) {
	if err := context.Cause(ctx); err != nil {
		return "", false, err
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.SendTimeout)
	defer cancel()
	out, err := h.cfg.SES.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress:     aws.String(h.from),
		Destination:          &types.Destination{ToAddresses: []string{to}},
		Content:              &types.EmailContent{Raw: &types.RawMessage{Data: raw}},
		ConfigurationSetName: aws.String(h.cfg.ConfigurationSet),
		EmailTags: []types.MessageTag{
			{Name: aws.String("job_id"), Value: aws.String(tagValue(job.ID))},
			{Name: aws.String("job_type"), Value: aws.String(tagValue(job.Type))},
			{Name: aws.String("template"), Value: aws.String(tagValue(tmpl))},
		},
	}, sendOnce(&sent))
	if err != nil {
		return "", sent, err
	}
	return aws.ToString(out.MessageId), true, nil
}

// sendOnce configures one SendEmail call: no SDK retries (SendEmail has
// no idempotency token, so a retry after a lost answer sends twice;
// throttling is retried by the job), and *sent set once the request
// reaches the HTTP transport.
func sendOnce(sent *bool) func(*sesv2.Options) {
	return func(o *sesv2.Options) {
		o.Retryer = aws.NopRetryer{}
		o.RetryMaxAttempts = 0
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc("QuarryRequestSent",
				func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
					*sent = true
					return next.HandleDeserialize(ctx, in)
				}), middleware.After)
		})
	}
}

// suppressed returns the reasons the recipient is suppressed for, under
// its ASCII form and, for an internationalised domain, its Unicode form.
func (h *Handler) suppressed(ctx context.Context, rc recipient) ([]string, error) {
	reasons, err := h.cfg.Suppressions.Suppressed(ctx, rc.addr)
	if err != nil || rc.unicode == "" {
		return reasons, err
	}
	more, err := h.cfg.Suppressions.Suppressed(ctx, rc.unicode)
	for _, r := range more {
		if !slices.Contains(reasons, r) {
			reasons = append(reasons, r)
		}
	}
	return reasons, err
}

// release frees an effect that certainly did not happen, so a later run
// performs it. It outlives the job's context. A failure leaves the effect
// claimed, and the next owner of the job reports it unknown: safe, and
// logged.
func (h *Handler) release(ctx context.Context, eff *idempotency.Effect, log zerolog.Logger) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := h.cfg.Effects.ReleaseEffect(ctx, eff); err != nil {
		log.Warn().Err(err).Msg("could not release the send effect; the next run reports this recipient unknown")
	}
}

// markUnknown records that a send may have happened. It outlives the
// job's context. A failure leaves the effect claimed, which the next owner
// of the job also treats as unknown.
func (h *Handler) markUnknown(ctx context.Context, eff *idempotency.Effect, reason string, log zerolog.Logger) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := h.cfg.Effects.MarkEffectUnknown(ctx, eff, reason); err != nil {
		log.Warn().Err(err).Msg("could not mark the send effect unknown; it stays claimed, which later runs treat the same way")
	}
}

func (h *Handler) count(outcome string) {
	h.metrics.recipients.WithLabelValues(outcome).Inc()
}

// tagValue makes s a valid SES message tag value: ASCII letters, digits,
// '_' and '-', at most 256 characters; anything else becomes '_'
// (notify.email → notify_email).
func tagValue(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b[:min(len(b), 256)])
}

// addressHash identifies an address in logs without writing it out.
// addressHash is what logs carry instead of addr: the suppression list's
// keyed hash, so the notify and ses-events logs of one address match.
func (h *Handler) addressHash(addr string) string {
	return h.cfg.Suppressions.Hash(addr)
}
