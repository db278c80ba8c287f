// Package notify is the notify.email stage: it renders a template and
// mails the result through SES v2, one message per recipient, at most once
// per (job, recipient) however often the job runs.
//
// # Input and output
//
// A job's payload is a [messages.NotifyEmail]: recipients, a template name
// and its data, blob keys of files to attach, and an optional subject that
// replaces the template's. The extract stage publishes these with the
// data pdf_key, tables, pages, failed_pages and outputs. The job's result
// is a [Result]: each distinct recipient with its outcome (sent,
// already_sent, suppressed, unknown), SES's message id, and the
// suppression reasons.
//
// # Templates
//
// A template NAME is three files: NAME.subject.tmpl and NAME.txt.tmpl
// (text/template) and, optionally, NAME.html.tmpl (html/template, which
// escapes the data). They are parsed when the handler is built, so a
// broken template stops the worker at start, not a job later. The
// embedded defaults include tables-ready, for the extract stage's data;
// Config.TemplateDir adds templates and replaces embedded ones of the same
// name, all files of a name at once. Templates run with missingkey=error
// and may call base (path.Base), join (a list with a separator) and
// plural (plural 3 "table" "tables" gives "3 tables"). An unknown
// template, or data that does not fit it (a missing key, a value of the
// wrong type), fails the job permanently with an error naming the
// template and the problem. The rendered subject is one line.
//
// # The message
//
// Each recipient gets a raw MIME message of its own (SES attributes
// bounces, complaints and the send rate per message, so one recipient
// each keeps them exact):
//
//	From, To (the one recipient), Subject (RFC 2047 when not ASCII), Date,
//	MIME-Version, List-Unsubscribe (signed one-click https link when
//	configured, then mailto:), List-Unsubscribe-Post, Content-Type
//	multipart/mixed
//	├── multipart/alternative
//	│   ├── text/plain; charset=UTF-8   quoted-printable
//	│   └── text/html; charset=UTF-8    quoted-printable (when the template has HTML)
//	└── one part per attachment         base64, 76-character lines; file name
//	                                    = the blob key's base name, RFC 2231
//	                                    when not ASCII
//
// Lines end in CRLF and every part is 7-bit. There is no Message-ID: SES
// sets its own. Attachments whose type SES refuses (.exe, .js, .bat and
// the other executables and scripts), a missing blob, and a message over
// Config.MaxMessageBytes after encoding (SES's 40 MB by default) fail the
// job permanently, naming the file and the sizes.
//
// Recipients are trimmed, lower-cased ([messages.NormalizeAddress]) and
// must be bare addresses SES can send to: a 7-bit local part (SES has no
// SMTPUTF8) and an internationalised domain converted to Punycode. An
// address that is not fails the job permanently, naming
// job.payload.recipients[i]. Duplicates after normalisation get one
// message.
//
// SendEmail carries FromEmailAddress, the one recipient, the raw message,
// Config.ConfigurationSet (events and reputation metrics) and the tags
// job_id, job_type and template (tag values allow only letters, digits,
// '_' and '-', so notify.email is tagged notify_email), so SES events map
// back to their job.
//
// # Send protocol
//
// SendEmail has no idempotency token, so the stage makes each send a
// once-only effect of the job (see package idempotency), under the lease
// the worker runtime puts in the handler's context. For each recipient:
//
//  1. ClaimEffect(lease, "email:"+address), before anything else.
//     Completed: sent (or found suppressed) by an earlier run; report it
//     with the stored SES message id. Unknown: an earlier run may have
//     sent it; report it, never send. InProgress: another run of this
//     lease holds it; the job is retried.
//  2. Acquired: check the suppression list now, not when the job was
//     published. A suppressed address is completed as
//     "suppressed: <reasons>" and not mailed; the others still are.
//  3. Wait for the fleet-wide send rate.
//  4. SendEmail, with the SDK's retries off: a retry after a lost answer
//     would send twice.
//  5. CompleteEffect with SES's message id.
//
// What a failed SendEmail does:
//
//	throttled (TooManyRequestsException)   release; the fleet halves its rate for a minute;
//	                                       RetryAfter with full-jitter backoff (1 s up to 1 min)
//	"Daily message quota exceeded"         release; pause (below); RetryAfter
//	SendingPausedException,                release; pause; RetryAfter, the error says why
//	AccountSuspendedException,
//	MailFromDomainNotVerifiedException
//	MessageRejected, BadRequestException   release; the other recipients are sent, then the
//	                                       job fails permanently naming each refusal
//	NotFoundException                      release; retryable: the configuration set is missing
//	other 4xx, or the request never left   release; retryable
//	transport error, timeout, 5xx          MarkEffectUnknown: SES may have accepted it; it is
//	                                       never re-sent automatically; the job goes on and
//	                                       reports the recipient unknown
//
// Unknown sends are listed by idempotency's ListUnknownEffects (`quarry
// effects unknown`) until a person settles them with ResolveEffect
// (`quarry effects resolve`; the SES console, or a Send event carrying the
// job_id tag, tells whether the mail went). A worker that
// dies between claim and completion leaves the same state: the next owner
// of the job finds the effect abandoned and reports it unknown.
//
// # Fleet-wide send rate
//
// SES limits the account's send rate; going over it gets sends refused,
// not queued. Every notify worker waits on one GCRA schedule in Redis
// (github.com/go-redis/redis_rate) before each send, at
// Config.SendRateFraction (85 %) of GetAccount's MaxSendRate, evenly
// spaced without a burst. GetAccount is read at the first job and every
// Config.AccountRefresh (5 minutes) after. Keys, under Config.Prefix P:
//
//	rate:P notify:ses-send      the GCRA schedule (redis_rate adds "rate:")
//	P notify:ses-send:slow      set for a minute after a 429: every worker runs at half rate
//
// # Pause
//
// When SES will not send (sending paused, the account suspended or shut
// down, the daily quota spent), the stage stops trying: jobs that meet the
// pause are returned for retry after Config.PausePoll, and [Gate.Wait]
// (from [Handler.Gate], for the runner's Config.Gate) holds the runner's
// receives, so jobs wait in the queue without spending their receive
// counts. The gate polls GetAccount every PausePoll and opens once SES
// says sending is enabled and, for the quota, the last 24 hours have room.
// A configuration set paused on its own cannot be seen in GetAccount: the
// gate then opens after a poll, and the next send finds out again. The
// pause is logged once when it begins and once when it ends, and exported
// as a gauge.
//
// # Metrics
//
//	quarry_notify_recipients_total{outcome}   sent, already_sent, suppressed, unknown,
//	                                          throttled, rejected; counted on every run
//	quarry_notify_paused                      1 while paused
//	quarry_notify_send_wait_seconds           time each send waited for the rate
//	quarry_notify_send_rate                   the limiter's full rate, sends per second
//
// Logs carry a hash of each address (recipient_hash), never the address.
//
// # Concurrency
//
// A [Handler] is safe for concurrent use and starts no goroutines. Lock
// order: Handler.accountMu (held while GetAccount runs), then pause.mu or
// sendLimiter.mu; never the other way round.
package notify
