package sesevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/rs/zerolog"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/pipeline/suppression"
)

// Handler handles messages.TypeSESEvent jobs. It is safe for concurrent
// use.
type Handler struct {
	cfg     HandlerConfig
	metrics *metrics

	ratesAt  atomic.Int64 // unix ms of the last rate computation
	warnMu   sync.Mutex
	warnedAt time.Time
}

// NewHandler returns the stage's handler.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Handler{cfg: cfg, metrics: newMetrics(cfg.Registerer)}, nil
}

// Outcomes of one recipient of an event, as the job's result lists them.
const (
	OutcomeSuppressed     = "suppressed"      // a reason was added
	OutcomeAlready        = "already"         // the reason was already in force
	OutcomeSoftCounted    = "soft_counted"    // a soft bounce below the threshold
	OutcomeAutoReply      = "auto_reply"      // a transient bounce after a delivery
	OutcomeContent        = "content"         // a bounce our content caused
	OutcomeNotSpam        = "not_spam"        // a complaint saying "not spam"
	OutcomeCounted        = "counted"         // deliveries, sends and other events
	OutcomeReplay         = "replay"          // handled before
	OutcomeInvalidAddress = "invalid_address" // the event named something that is not an address
)

// Result is the job's result: what happened to each recipient.
type Result struct {
	Kind       messages.SESKind  `json:"kind"`
	MessageID  string            `json:"message_id"`
	Recipients []RecipientResult `json:"recipients"`
}

// RecipientResult is what one recipient's event did.
type RecipientResult struct {
	AddressHash string `json:"address_hash"`
	Outcome     string `json:"outcome"`
	Reason      string `json:"reason,omitempty"`
}

// Handle handles one SES event.
func (h *Handler) Handle(ctx context.Context, job messages.Job) ([]byte, error) {
	var ev messages.SESEvent
	if err := job.DecodePayload(&ev); err != nil {
		return nil, messages.Permanent(fmt.Errorf("ses-events: %w", err))
	}
	if ev.Mail.MessageID == "" {
		return nil, messages.Permanent(errors.New("ses-events: the event has no mail.messageId"))
	}
	log := zerolog.Ctx(ctx)
	if log.GetLevel() == zerolog.Disabled {
		log = &h.cfg.Logger
	}
	res := Result{Kind: ev.Kind, MessageID: ev.Mail.MessageID}
	for _, r := range recipientsOf(&ev) {
		out, err := h.recipient(ctx, log, &ev, r)
		if err != nil {
			return nil, err
		}
		res.Recipients = append(res.Recipients, out)
	}
	h.updateRates(ctx, log)
	return json.Marshal(res)
}

// recipient is one address an event concerns, with the DSN fields of a
// bounce.
type recipient struct {
	addr           string
	status         string
	diagnosticCode string
}

func recipientsOf(ev *messages.SESEvent) []recipient {
	var out []recipient
	switch {
	case ev.Bounce != nil:
		for _, r := range ev.Bounce.Recipients {
			out = append(out, recipient{addr: r.Email, status: r.Status, diagnosticCode: r.DiagnosticCode})
		}
	default:
		for _, a := range ev.Recipients() {
			out = append(out, recipient{addr: a})
		}
	}
	return out
}

// eventID names one recipient of one event: kind, SES message id,
// recipient, and the feedback id of a bounce or complaint.
func eventID(ev *messages.SESEvent, addr string) string {
	id := string(ev.Kind) + ":" + ev.Mail.MessageID + ":" + addr
	switch {
	case ev.Bounce != nil && ev.Bounce.FeedbackID != "":
		id += ":" + ev.Bounce.FeedbackID
	case ev.Complaint != nil && ev.Complaint.FeedbackID != "":
		id += ":" + ev.Complaint.FeedbackID
	}
	return id
}

func (h *Handler) recipient(ctx context.Context, log *zerolog.Logger, ev *messages.SESEvent, r recipient) (RecipientResult, error) {
	addr, err := messages.NormalizeAddress(r.addr)
	if err != nil {
		log.Warn().Str("kind", string(ev.Kind)).Str("ses_message_id", ev.Mail.MessageID).Err(err).Msg("SES event names an invalid recipient; skipped")
		return RecipientResult{Outcome: OutcomeInvalidAddress}, nil
	}
	out := RecipientResult{AddressHash: h.hash(addr)}
	id := eventID(ev, addr)
	done, err := h.handled(ctx, id)
	if err != nil {
		return out, err
	}
	if done {
		h.metrics.replays.Inc()
		out.Outcome = OutcomeReplay
		return out, nil
	}
	rlog := log.With().Str("kind", string(ev.Kind)).Str("ses_message_id", ev.Mail.MessageID).Str("address_hash", out.AddressHash).Logger()
	if err := h.observe(ctx, rlog, ev, addr); err != nil {
		return out, err
	}

	var counters []string
	simulator := isSimulator(addr)
	count := func(c string) {
		if !simulator { // AWS leaves the mailbox simulator out of the rates
			counters = append(counters, c)
		}
	}
	switch {
	case ev.Bounce != nil:
		out.Outcome, out.Reason, err = h.bounce(ctx, rlog, ev, addr, r)
		if out.Outcome == OutcomeSuppressed || out.Outcome == OutcomeAlready {
			if out.Reason == string(suppression.HardBounce) && ev.Bounce.SubType != "OnAccountSuppressionList" {
				count(counterBounce)
			}
		}
	case ev.Complaint != nil:
		out.Outcome, out.Reason, err = h.complaint(ctx, rlog, ev, addr)
		if out.Outcome != OutcomeNotSpam && ev.Complaint.SubType != "OnAccountSuppressionList" {
			count(counterComplaint)
		}
	case ev.Delivery != nil:
		err = h.recordDelivery(ctx, addr, ev.Mail.MessageID)
		out.Outcome = OutcomeCounted
		count(counterDelivery)
	case ev.Kind == messages.SESSend:
		out.Outcome = OutcomeCounted
		count(counterSend)
	default:
		out.Outcome = OutcomeCounted
		h.logOther(rlog, ev)
	}
	if err != nil {
		return out, err
	}
	first, err := h.mark(ctx, id, counters...)
	if err != nil {
		return out, err
	}
	if first {
		kind := string(ev.Kind)
		if !ev.Kind.Known() {
			kind = "other" // bounded label values whatever SES adds
		}
		h.metrics.events.WithLabelValues(kind).Inc()
	}
	return out, nil
}

// bounce applies the bounce policy to one recipient.
func (h *Handler) bounce(ctx context.Context, log zerolog.Logger, ev *messages.SESEvent, addr string, r recipient) (outcome, reason string, err error) {
	b := ev.Bounce
	evidence := &suppression.Evidence{
		SESMessageID: ev.Mail.MessageID, FeedbackID: b.FeedbackID, BounceType: b.Type, BounceSubType: b.SubType,
		Status: r.status, DiagnosticCode: r.diagnosticCode, JobID: jobID(ev),
	}
	switch classifyBounce(b.Type, b.SubType, r.status) {
	case bounceHard:
		if strings.HasPrefix(r.status, "5.7.") {
			log.Warn().Str("status", r.status).Str("diagnostic_code", r.diagnosticCode).
				Msg("hard bounce 5.7.x: often a policy or authentication rejection of our mail (SPF, DKIM, DMARC, blocklist); check the sending domain")
		}
		return h.suppress(ctx, log, ev, addr, suppression.Entry{Reason: suppression.HardBounce, Evidence: evidence}, sestypes.SuppressionListReasonBounce)
	case bounceContent:
		h.metrics.contentIssue.WithLabelValues(b.SubType).Inc()
		log.Warn().Str("sub_type", b.SubType).Str("diagnostic_code", r.diagnosticCode).
			Msg("transient bounce caused by our message (size, content or attachment), not counted against the recipient")
		return OutcomeContent, "", nil
	}
	// A soft bounce.
	if b.SubType == "General" {
		delivered, err := h.wasDelivered(ctx, addr, ev.Mail.MessageID)
		if err != nil {
			return "", "", err
		}
		if delivered {
			h.metrics.autoReplies.Inc()
			log.Debug().Msg("transient bounce after a delivery of the same message: an auto-reply, not counted")
			return OutcomeAutoReply, "", nil
		}
	}
	at := b.Timestamp
	if at.IsZero() {
		at = ev.Timestamp
	}
	n, err := h.countSoftBounce(ctx, addr, ev.Mail.MessageID, at)
	if err != nil {
		return "", "", err
	}
	h.metrics.softBounces.Inc()
	if n < int64(h.cfg.Policy.SoftThreshold) {
		log.Debug().Int64("soft_bounces", n).Msg("soft bounce counted")
		return OutcomeSoftCounted, "", nil
	}
	// A soft bounce adds nothing to an address already held for a lasting reason.
	active, err := h.cfg.Suppressions.Suppressed(ctx, addr)
	if err != nil {
		return "", "", err
	}
	for _, a := range active {
		if a != string(suppression.SoftBounce) {
			return OutcomeAlready, a, nil
		}
	}
	evidence.Count = int(n)
	return h.suppress(ctx, log, ev, addr, suppression.Entry{
		Reason: suppression.SoftBounce, ExpiresAt: h.cfg.Now().Add(h.cfg.Policy.SoftExpiry), Evidence: evidence,
	}, "")
}

// complaint applies the complaint policy to one recipient.
func (h *Handler) complaint(ctx context.Context, log zerolog.Logger, ev *messages.SESEvent, addr string) (outcome, reason string, err error) {
	c := ev.Complaint
	if c.FeedbackType == "not-spam" {
		log.Info().Msg("complaint feedback says not spam: recorded only")
		return OutcomeNotSpam, "", nil
	}
	switch c.FeedbackType {
	case "fraud", "virus", "auth-failure":
		log.Warn().Str("feedback_type", c.FeedbackType).Msg("complaint reports fraud, a virus or an authentication failure: check the sending domain and the content")
	}
	return h.suppress(ctx, log, ev, addr, suppression.Entry{Reason: suppression.Complaint, Evidence: &suppression.Evidence{
		SESMessageID: ev.Mail.MessageID, FeedbackID: c.FeedbackID, ComplaintFeedbackType: c.FeedbackType, JobID: jobID(ev),
	}}, sestypes.SuppressionListReasonComplaint)
}

// suppress adds the entry and, when set up, mirrors it into SES's
// account-level list (every time: PutSuppressedDestination is idempotent,
// and a mirror that failed before is retried with the event).
func (h *Handler) suppress(ctx context.Context, log zerolog.Logger, ev *messages.SESEvent, addr string, e suppression.Entry, mirror sestypes.SuppressionListReason) (outcome, reason string, err error) {
	e.Source = suppression.SourceSESEvent
	e.CreatedBy = h.cfg.Actor
	added, err := h.cfg.Suppressions.Add(ctx, addr, e, "ses:"+ev.Mail.MessageID+"/"+feedbackID(ev))
	if err != nil {
		return "", "", err
	}
	if h.cfg.Mirror != nil && mirror != "" {
		if _, err := h.cfg.Mirror.PutSuppressedDestination(ctx, &sesv2.PutSuppressedDestinationInput{
			EmailAddress: aws.String(addr), Reason: mirror,
		}); err != nil {
			return "", "", fmt.Errorf("ses-events: mirroring %s into the SES suppression list: %w", h.hash(addr), err)
		}
	}
	if !added {
		return OutcomeAlready, string(e.Reason), nil
	}
	h.metrics.suppressions.WithLabelValues(string(e.Reason)).Inc()
	log.Info().Str("reason", string(e.Reason)).Msg("address suppressed")
	return OutcomeSuppressed, string(e.Reason), nil
}

func (h *Handler) logOther(log zerolog.Logger, ev *messages.SESEvent) {
	switch {
	case ev.Reject != nil:
		log.Warn().Str("reason", ev.Reject.Reason).Msg("SES rejected a message (content, not the recipient)")
	case ev.RenderingFailure != nil:
		log.Error().Str("template", ev.RenderingFailure.TemplateName).Str("error", ev.RenderingFailure.ErrorMessage).Msg("SES could not render a template")
	case ev.DeliveryDelay != nil:
		log.Info().Str("delay_type", ev.DeliveryDelay.DelayType).Msg("delivery delayed; SES keeps trying")
	case !ev.Kind.Known():
		log.Info().Msg("SES event of a kind Quarry does not know: acknowledged and counted")
	}
}

// Bounce classes.
const (
	bounceHard = iota + 1
	bounceSoft
	bounceContent
)

// classifyBounce applies the policy table: permanent bounces are hard;
// transient ones caused by our content count against nobody; the rest are
// soft, except an undetermined bounce whose status says the address does
// not exist (5.1.x).
func classifyBounce(typ, subType, status string) int {
	switch typ {
	case messages.BouncePermanent:
		return bounceHard
	case messages.BounceTransient:
		switch subType {
		case "MessageTooLarge", "ContentRejected", "AttachmentRejected":
			return bounceContent
		}
		return bounceSoft
	}
	if strings.HasPrefix(status, "5.1.") {
		return bounceHard
	}
	return bounceSoft
}

func feedbackID(ev *messages.SESEvent) string {
	switch {
	case ev.Bounce != nil:
		return ev.Bounce.FeedbackID
	case ev.Complaint != nil:
		return ev.Complaint.FeedbackID
	}
	return ""
}

// jobID is the Quarry job that sent the mail, from its job_id tag.
func jobID(ev *messages.SESEvent) string {
	if v := ev.Mail.Tags["job_id"]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func isSimulator(addr string) bool {
	return strings.HasSuffix(addr, "@simulator.amazonses.com")
}

func (h *Handler) hash(addr string) string {
	return h.cfg.Suppressions.Hash(addr)
}

// observe tells the effect store that SES accepted the send this event is
// about, when the send carries its effect tags: an unknown send is then
// settled as sent. Reject and RenderingFailure events mean SES did not
// send, and settle nothing.
func (h *Handler) observe(ctx context.Context, log zerolog.Logger, ev *messages.SESEvent, addr string) error {
	if h.cfg.Effects == nil {
		return nil
	}
	switch ev.Kind {
	case messages.SESSend, messages.SESDelivery, messages.SESBounce, messages.SESComplaint, messages.SESDeliveryDelay:
	default:
		return nil
	}
	key, attempt, ok := ev.Mail.EffectOf()
	if !ok {
		return nil
	}
	got, err := h.cfg.Effects.ObserveEffect(ctx, key, "email:"+addr, attempt, ev.Mail.MessageID)
	if err != nil {
		return fmt.Errorf("ses-events: settling the send of job key %q to %s: %w", key, h.hash(addr), redactAddr(err, addr, h.hash(addr)))
	}
	h.metrics.effects.WithLabelValues(string(got)).Inc()
	switch got {
	case idempotency.ObservedSettled:
		log.Info().Str("job_key", key).Msg("an unknown send is settled as sent: SES reports the message")
	case idempotency.ObservedLate:
		log.Warn().Str("job_key", key).Msg("SES reports a send after its quiet period had settled it as not sent, before it was sent again: settled as sent; consider a longer QUARRY_NOTIFY_UNKNOWN_QUIET")
	case idempotency.ObservedStale:
		log.Error().Str("job_key", key).
			Msg("SES reports a send that was settled as not sent after its quiet period and sent again: this recipient may have two mails; lengthen QUARRY_NOTIFY_UNKNOWN_QUIET beyond the time SES events take to arrive")
	}
	return nil
}

// redactAddr returns err with addr replaced by its hash in the message.
func redactAddr(err error, addr, hash string) error {
	msg := strings.ReplaceAll(err.Error(), addr, "<"+hash+">")
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
