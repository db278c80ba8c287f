package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/messages"
)

// Handler runs notify.email jobs: it renders the job's template, and for
// each recipient claims the send as an effect of the job, checks the
// suppression list, waits for the fleet-wide send rate and sends one raw
// MIME message through SES v2. See the package documentation for the
// protocol and what each failure does.
//
// A Handler is safe for concurrent use. It starts no goroutines: the
// account is read by the jobs and the [Gate] that need it.
type Handler struct {
	cfg       HandlerConfig
	log       zerolog.Logger
	from      string // From, for SES and the header, display name RFC 2047-encoded
	unsub     unsubscriber
	templates templates
	limiter   *sendLimiter
	metrics   *metrics
	pause     pause
	gate      *Gate
	boundary  func() string // MIME boundaries; fixed in golden tests

	accountMu   sync.Mutex // guards accountRead and accountAt; held while GetAccount runs
	accountRead bool       // a GetAccount has succeeded
	accountAt   time.Time  // when GetAccount was last called

	throttles atomic.Int64 // sends throttled in a row, for the backoff
}

// NewHandler checks the configuration, parses the templates and returns
// the handler, or an error naming the bad field or template file.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	cfg = cfg.withDefaults()
	from, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	ts, err := loadTemplates(cfg.TemplateDir)
	if err != nil {
		return nil, err
	}
	h := &Handler{
		cfg:       cfg,
		log:       cfg.Logger.With().Str("component", "notify").Logger(),
		from:      from.String(),
		unsub:     unsubscriber{mailto: cfg.UnsubscribeMailto, url: cfg.UnsubscribeURL, key: cfg.UnsubscribeKey},
		templates: ts,
		limiter:   newSendLimiter(cfg.Redis, cfg.Prefix, cfg.Now),
		metrics:   newMetrics(cfg.Registerer),
		boundary:  newBoundary,
	}
	if h.unsub.mailto == "" {
		h.unsub.mailto = from.Address
	}
	h.gate = &Gate{h: h}
	return h, nil
}

// Gate returns the gate that holds the notify runner's receives while
// SES is not sending (workers.Config.Gate).
func (h *Handler) Gate() *Gate { return h.gate }

// Handle runs one notify.email job and returns its [Result] as JSON. Its
// signature is the worker runtime's handler signature, and it must run
// under the runtime: the job's lease comes from ctx
// (idempotency.LeaseFrom).
//
// A bad payload, an unknown template, data that does not fit it, a
// missing or refused attachment, a message over the size limit and a
// message SES rejects are [messages.Permanent]. Throttling and a pause
// are [messages.RetryAfter]. Recipients whose send may or may not have
// happened are reported as unknown in the result and never re-sent.
func (h *Handler) Handle(ctx context.Context, job messages.Job) ([]byte, error) {
	if job.Type != messages.TypeNotifyEmail {
		return nil, messages.Permanent(fmt.Errorf("notify: job %s has type %q, want %s", job.ID, job.Type, messages.TypeNotifyEmail))
	}
	var p messages.NotifyEmail
	if err := job.DecodePayload(&p); err != nil {
		return nil, messages.Permanent(fmt.Errorf("notify: job %s: %w", job.ID, err))
	}
	lease := idempotency.LeaseFrom(ctx)
	if lease == nil {
		return nil, fmt.Errorf("notify: job %s: no job lease in the context: the handler runs under the worker runtime, which claims the job and passes its lease (idempotency.WithLease)", job.ID)
	}
	rcpts, err := normaliseRecipients(p.Recipients)
	if err != nil {
		return nil, messages.Permanent(fmt.Errorf("notify: job %s: %w", job.ID, err))
	}
	r, err := h.templates.render(p.Template, p.TemplateData)
	if err != nil {
		return nil, err
	}
	if p.Subject != "" {
		r.subject = p.Subject
	}
	if r.subject == "" {
		return nil, messages.Permanent(fmt.Errorf("notify: template %q renders an empty subject and the payload sets none", p.Template))
	}
	if err := h.refreshAccount(ctx, h.cfg.AccountRefresh); err != nil {
		return nil, err
	}
	if reason, _ := h.pause.current(); reason != "" {
		return nil, h.pausedError(reason)
	}
	msg, err := h.compose(ctx, p, r, rcpts)
	if err != nil {
		return nil, err
	}

	log := h.logger(ctx)
	res := Result{Template: p.Template, Recipients: make([]RecipientResult, 0, len(rcpts))}
	var rejected []error
	for i, rc := range rcpts {
		rr, err := h.deliver(ctx, lease, job, p.Template, msg, rc, log.With().Int("recipient", i).Str("recipient_hash", h.addressHash(rc.addr)).Logger())
		var rej *rejectedError
		switch {
		case errors.As(err, &rej):
			// SES refused this message; the other recipients still get
			// theirs, then the job fails with every refusal.
			rejected = append(rejected, err)
		case err != nil:
			return nil, err
		default:
			res.Recipients = append(res.Recipients, rr)
		}
	}
	if len(rejected) > 0 {
		return nil, messages.Permanent(fmt.Errorf("notify: job %s: %w", job.ID, errors.Join(rejected...)))
	}
	body, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("notify: encoding the result of job %s: %w", job.ID, err)
	}
	return body, nil
}

// compose reads the attachments and builds the message body, and checks
// the largest recipient's message against the size limit.
func (h *Handler) compose(ctx context.Context, p messages.NotifyEmail, r rendered, rcpts []recipient) (*message, error) {
	atts, err := readAttachments(ctx, h.cfg.Blobs, p.Attachments, h.cfg.MaxMessageBytes)
	if err != nil {
		return nil, err
	}
	msg, err := composeMessage(h.from, r.subject, h.cfg.Now(), r, atts, h.boundary)
	if err != nil {
		return nil, fmt.Errorf("notify: composing the message of template %q: %w", p.Template, err)
	}
	var size int64
	for _, rc := range rcpts {
		size = max(size, msg.sizeFor(rc.addr, h.unsub.header(rc.addr)))
	}
	if size > h.cfg.MaxMessageBytes {
		return nil, tooLarge(atts, "", size, h.cfg.MaxMessageBytes)
	}
	return msg, nil
}

// logger returns the job's logger from ctx, or the handler's own when the
// caller put none there.
func (h *Handler) logger(ctx context.Context) *zerolog.Logger {
	if l := zerolog.Ctx(ctx); l.GetLevel() != zerolog.Disabled {
		return l
	}
	return &h.log
}
