package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/rs/zerolog"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/internal/delay"
	"github.com/quarry-dev/quarry/messages"
)

// rejectedError is SES refusing one recipient's message: the job fails
// permanently once the other recipients are done.
type rejectedError struct {
	hash string // the recipient's address hash
	err  error  // SES's error, with the address replaced by its hash
}

func (e *rejectedError) Error() string {
	return fmt.Sprintf("SES rejected the message to recipient %s: %v", e.hash, e.err)
}

func (e *rejectedError) Unwrap() error { return e.err }

// effectName names the send to addr among the job's effects.
func effectName(addr string) string { return "email:" + addr }

// deliver runs the send protocol for one recipient: claim the send as an
// effect of the job first, and act on what the claim says.
func (h *Handler) deliver(ctx context.Context, lease *idempotency.Lease, job messages.Job, tmpl string, msg *message, rc recipient, log zerolog.Logger) (RecipientResult, error) {
	for settled := false; ; settled = true {
		claim, err := h.cfg.Effects.ClaimEffect(ctx, lease, effectName(rc.addr))
		if err != nil {
			return RecipientResult{}, h.redact(rc, fmt.Errorf("notify: claiming the send to %s: %w", rc.addr, err))
		}
		switch claim.Status {
		case idempotency.EffectCompleted:
			rr := completedResult(rc.addr, claim.Result)
			h.count(string(rr.Outcome))
			log.Debug().Str("outcome", string(rr.Outcome)).Msg("recipient done in an earlier run; skipped")
			return rr, nil
		case idempotency.EffectInProgress:
			return RecipientResult{}, fmt.Errorf("notify: the send to recipient %s is under way in another run of job %s under the same lease; retry later", h.addressHash(rc.addr), job.ID)
		case idempotency.EffectUnknown:
			if h.cfg.SettleUnknownByHand || settled {
				h.count(metricUnknown)
				log.Warn().Str("reason", h.redactText(rc, claim.Reason)).
					Msg("whether this recipient was mailed is unknown; not sending again (`quarry effects unknown` lists it)")
				return RecipientResult{Address: rc.addr, Outcome: OutcomeUnknown, Detail: claim.Reason}, nil
			}
			ok, err := h.settleQuiet(ctx, lease.Key, job, rc, claim, log)
			if err != nil || !ok {
				return RecipientResult{}, err
			}
			// Settled as not sent: claim it afresh and send it.
		case idempotency.EffectAcquired:
			if claim.TakenOver {
				log.Info().Msg("an earlier run claimed this send but never attempted it; sending it now")
			}
			return h.send(ctx, job, tmpl, msg, rc, claim.Effect, log)
		default:
			return RecipientResult{}, fmt.Errorf("notify: claiming the send to recipient %s: unexpected status %s", h.addressHash(rc.addr), claim.Status)
		}
	}
}

// settleQuiet settles an unknown send as not sent once it has been
// unknown for HandlerConfig.UnknownQuiet without an SES event naming it (an event
// settles it as sent through the ses-events stage). Until then the job
// waits, given back to the queue until the quiet period ends: ok is false
// and the error a RetryAfter.
func (h *Handler) settleQuiet(ctx context.Context, key string, job messages.Job, rc recipient, claim idempotency.EffectClaim, log zerolog.Logger) (ok bool, err error) {
	ok, err = h.cfg.Effects.SettleQuietEffect(ctx, key, effectName(rc.addr), h.cfg.UnknownQuiet)
	if err != nil {
		return false, h.redact(rc, fmt.Errorf("notify: settling the unknown send to %s: %w", rc.addr, err))
	}
	if ok {
		h.metrics.settled.WithLabelValues("quiet").Inc()
		log.Warn().Time("unknown_since", claim.MarkedAt).Dur("quiet", h.cfg.UnknownQuiet).
			Msg("no SES event reported the unknown send within the quiet period: settled as not sent; sending it again")
		return true, nil
	}
	wait := time.Until(claim.MarkedAt.Add(h.cfg.UnknownQuiet))
	wait = min(max(wait, time.Second), h.cfg.UnknownQuiet) + time.Second
	h.count(metricUnknown)
	log.Info().Time("unknown_since", claim.MarkedAt).Dur("retry_in", wait).
		Msg("whether this recipient was mailed is unknown; the job waits for SES's events or the end of the quiet period")
	return false, messages.RetryAfter(wait, fmt.Errorf("notify: whether recipient %s of job %s was mailed is unknown since %s (%s); waiting for an SES event naming the send, or the quiet period (%s), to settle it",
		h.addressHash(rc.addr), job.ID, claim.MarkedAt.Format(time.RFC3339), h.redactText(rc, claim.Reason), h.cfg.UnknownQuiet))
}

// send performs an acquired send effect: suppression check, rate,
// attempt, SES.
func (h *Handler) send(ctx context.Context, job messages.Job, tmpl string, msg *message, rc recipient, eff *idempotency.Effect, log zerolog.Logger) (RecipientResult, error) {
	reasons, err := h.suppressed(ctx, rc)
	if err != nil {
		h.release(ctx, eff, log)
		return RecipientResult{}, h.redact(rc, fmt.Errorf("notify: checking the suppression list for %s: %w", rc.addr, err))
	}
	if len(reasons) > 0 {
		if err := h.cfg.Effects.CompleteEffect(ctx, eff, suppressedEffect(reasons)); err != nil {
			h.release(ctx, eff, log)
			return RecipientResult{}, h.redact(rc, fmt.Errorf("notify: recording that %s is suppressed: %w", rc.addr, err))
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
	if err := h.guardErr(); err != nil {
		h.release(ctx, eff, log)
		return RecipientResult{}, h.guardedError(err)
	}

	// From here until the effect is completed, released or marked, a crash
	// leaves the send unknown: nothing else may come between this and the
	// request.
	if err := h.cfg.Effects.AttemptEffect(ctx, eff); err != nil {
		if errors.Is(err, idempotency.ErrEpochChanged) {
			h.tripGuard(err)
			return RecipientResult{}, h.guardedError(err)
		}
		h.release(ctx, eff, log)
		return RecipientResult{}, h.redact(rc, fmt.Errorf("notify: recording the attempt to send to %s: %w", rc.addr, err))
	}
	id, sent, err := h.sendEmail(ctx, job, tmpl, rc.addr, raw, eff)
	if err == nil {
		h.throttles.Store(0)
		if err := h.record(ctx, func(ctx context.Context) error { return h.cfg.Effects.CompleteEffect(ctx, eff, []byte(id)) }); err != nil {
			// The mail went out but is not recorded: make sure no later
			// run sends it again, and keep the message id for whoever
			// settles it (its SES events settle it too).
			h.markUnknown(ctx, eff, fmt.Sprintf("SES accepted it as message %s, but recording the send failed: %v", id, h.redact(rc, err)), log)
			return RecipientResult{}, h.redact(rc, fmt.Errorf("notify: recording the send to %s (SES message %s): %w", rc.addr, id, err))
		}
		h.count(metricSent)
		log.Debug().Str("ses_message_id", id).Dur("waited", waited).Msg("sent")
		return RecipientResult{Address: rc.addr, Outcome: OutcomeSent, MessageID: id}, nil
	}
	err = h.redact(rc, err) // SES's messages may name the recipient

	switch classify(err, sent) {
	case failThrottled:
		h.release(ctx, eff, log)
		h.count(metricThrottled)
		if serr := h.limiter.slowDown(context.WithoutCancel(ctx)); serr != nil {
			log.Warn().Err(serr).Msg("could not halve the fleet's send rate")
		}
		d := throttleDelay(int(h.throttles.Add(1)))
		return RecipientResult{}, messages.RetryAfter(d, fmt.Errorf("notify: SES throttled the send to recipient %s; the fleet sends at half rate for a minute: %w", h.addressHash(rc.addr), err))
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
		return RecipientResult{}, &rejectedError{hash: h.addressHash(rc.addr), err: err}
	case failConfig:
		h.release(ctx, eff, log)
		return RecipientResult{}, fmt.Errorf("notify: SES is missing something the send needs (is configuration set %q created? quarry infra apply creates it): %w", h.cfg.ConfigurationSet, err)
	case failRefused:
		h.release(ctx, eff, log)
		return RecipientResult{}, fmt.Errorf("notify: SES refused the send to recipient %s: %w", h.addressHash(rc.addr), err)
	case failNotSent:
		h.release(ctx, eff, log)
		return RecipientResult{}, fmt.Errorf("notify: sending to recipient %s (the request never left): %w", h.addressHash(rc.addr), err)
	}
	// failAmbiguous: SES may have accepted it. Not sent again until its
	// SES events or the quiet period settle it.
	reason := fmt.Sprintf("SendEmail may have reached SES but no answer came back: %v", err)
	h.markUnknown(ctx, eff, reason, log)
	h.count(metricUnknown)
	log.Warn().Err(err).Msg("whether this recipient was mailed is unknown; not sending again until SES's events or the quiet period settle it (`quarry effects unknown` lists it)")
	if !h.cfg.SettleUnknownByHand {
		return RecipientResult{}, messages.RetryAfter(h.cfg.UnknownQuiet+time.Second, fmt.Errorf("notify: whether recipient %s of job %s was mailed is unknown (%s); the job waits for SES's events or the quiet period (%s)", h.addressHash(rc.addr), job.ID, reason, h.cfg.UnknownQuiet))
	}
	return RecipientResult{Address: rc.addr, Outcome: OutcomeUnknown, Detail: reason}, nil
}

// sendEmail sends one raw message and returns SES's message id. sent
// reports whether the request reached the HTTP transport: before that,
// a failure certainly sent nothing.
func (h *Handler) sendEmail(ctx context.Context, job messages.Job, tmpl, to string, raw []byte, eff *idempotency.Effect) (id string, sent bool, err error) {
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
		EmailTags:            h.tags(job, tmpl, eff),
	}, sendOnce(&sent))
	if err != nil {
		return "", sent, err
	}
	return aws.ToString(out.MessageId), true, nil
}

// tags are the send's message tags: the job, and the effect the send
// performs when its key fits a tag value (256 characters).
func (h *Handler) tags(job messages.Job, tmpl string, eff *idempotency.Effect) []types.MessageTag {
	tags := []types.MessageTag{
		{Name: aws.String("job_id"), Value: aws.String(tagValue(job.ID))},
		{Name: aws.String("job_type"), Value: aws.String(tagValue(job.Type))},
		{Name: aws.String("template"), Value: aws.String(tagValue(tmpl))},
	}
	if k := messages.EffectTag(eff.Key); len(k) <= 256 {
		tags = append(tags,
			types.MessageTag{Name: aws.String(messages.TagEffectJob), Value: aws.String(k)},
			types.MessageTag{Name: aws.String(messages.TagEffectAttempt), Value: aws.String(eff.Attempt())})
	}
	return tags
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
// claimed (or attempting), and the next owner of the job takes a claimed
// one over (or reports an attempting one unknown): safe, and logged.
func (h *Handler) release(ctx context.Context, eff *idempotency.Effect, log zerolog.Logger) {
	if err := h.record(ctx, func(ctx context.Context) error { return h.cfg.Effects.ReleaseEffect(ctx, eff) }); err != nil {
		log.Warn().Err(h.redactName(eff, err)).Msg("could not release the send effect; the next run of the job takes it over")
	}
}

// markUnknown records that a send may have happened. It outlives the
// job's context and retries while Redis does not answer (a restart). If
// it still fails, the effect stays attempting as long as Redis kept it,
// and the next owner of the job reports it unknown; a Redis that lost it
// has lost its epoch record too, which stops every send (the epoch guard).
func (h *Handler) markUnknown(ctx context.Context, eff *idempotency.Effect, reason string, log zerolog.Logger) {
	if err := h.record(ctx, func(ctx context.Context) error { return h.cfg.Effects.MarkEffectUnknown(ctx, eff, reason) }); err != nil {
		log.Error().Err(h.redactName(eff, err)).Msg("could not mark the send effect unknown; if Redis kept the attempt, the next run of the job reports it unknown, and if Redis lost its data, the epoch guard stops sends")
	}
}

// record runs a write that must outlive the job's context (a completion,
// a release, a mark): it retries a failure that is not a refusal (Redis
// restarting, a dropped connection) with backoff for up to
// HandlerConfig.RecordTimeout.
func (h *Handler) record(ctx context.Context, write func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.RecordTimeout)
	defer cancel()
	backoff := 50 * time.Millisecond
	for {
		err := write(ctx)
		if err == nil || errors.Is(err, idempotency.ErrNotOwner) || errors.Is(err, idempotency.ErrLeaseLost) || errors.Is(err, idempotency.ErrInvalid) {
			return err
		}
		if serr := delay.Sleep(ctx, backoff); serr != nil {
			return err
		}
		backoff = min(2*backoff, time.Second)
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
