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
// HandlerConfig.TemplateDir adds templates and replaces embedded ones of the same
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
// HandlerConfig.MaxMessageBytes after encoding (SES's 40 MB by default) fail the
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
// HandlerConfig.ConfigurationSet (events and reputation metrics) and the tags
// job_id, job_type and template (tag values allow only letters, digits,
// '_' and '-', so notify.email is tagged notify_email), so SES events map
// back to their job, and the effect tags quarry_effect_job (the job's
// idempotency key, base64url) and quarry_effect_attempt (the attempt's
// token), so SES's events for the message name the send they settle.
//
// # Send protocol
//
// SendEmail has no idempotency token, so the stage makes each send a
// once-only effect of the job (see package idempotency), under the lease
// the worker runtime puts in the handler's context. For each recipient:
//
//  1. ClaimEffect(lease, "email:"+address), before anything else.
//     Completed: sent (or found suppressed) by an earlier run; report it
//     with the stored SES message id. Unknown: an earlier attempt may have
//     sent it (below). InProgress: another run of this lease holds it;
//     the job is retried. Acquired: nothing has been attempted yet (a
//     claim an earlier run made but never attempted is taken over: that
//     run died before the request, so nothing went out).
//  2. Check the suppression list now, not when the job was published. A
//     suppressed address is completed as "suppressed: <reasons>" and not
//     mailed; the others still are.
//  3. Wait for the fleet-wide send rate.
//  4. AttemptEffect: the effect becomes attempting, fenced by the job's
//     lease and refused if Redis lost its epoch record (below). A crash
//     before this step leaves a claim the next run takes over; only a
//     crash between this step and the next one's answer leaves the send
//     unknown.
//  5. SendEmail, with the SDK's retries off: a retry after a lost answer
//     would send twice.
//  6. CompleteEffect with SES's message id (retried for up to
//     HandlerConfig.RecordTimeout while Redis does not answer).
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
//	transport error, timeout, 5xx          MarkEffectUnknown: SES may have accepted it
//
// # Unknown sends
//
// An unknown send (an answer lost, or a worker killed inside the call) is
// never simply sent again. SES publishes Send, Delivery and Bounce events
// for the message through the configuration set, with the send's tags;
// the ses-events stage settles the send as sent when one names it
// (idempotency's ObserveEffect), including an event that arrives while
// the send is still attempting. The job waits meanwhile: it is given back
// to the queue (RetryAfter) until HandlerConfig.UnknownQuiet (15 minutes) has
// passed since the send became unknown; then, if no event has settled it,
// the next run settles it as not sent (SettleQuietEffect) and sends it.
// With HandlerConfig.SettleUnknownByHand the send is instead left for a person:
// the job finishes reporting the recipient unknown, `quarry effects
// unknown` lists it, and `quarry effects resolve` settles it.
//
// The quiet period must be longer than SES's events take to come back; an
// event that arrives after its send was settled as not sent is logged as
// an error by the ses-events stage (the recipient may have two mails).
//
// # Redis data loss
//
// The records above are only as good as Redis's memory of them. A Redis
// that restarts without its data has forgotten which sends happened; a
// job redelivered afterwards would claim them afresh and mail everyone
// again. Every worker therefore knows the epoch record it found at start,
// and AttemptEffect is refused (idempotency.ErrEpochChanged) once Redis
// holds another or none: the send is released, HandlerConfig.Guard closes, the
// gate holds the queue's receives, and nothing more is sent until a
// person has looked and restarted the workers. See the README ("What
// Redis must be").
//
// # Fleet-wide send rate
//
// SES limits the account's send rate; going over it gets sends refused,
// not queued. Every notify worker waits on one GCRA schedule in Redis
// (github.com/go-redis/redis_rate) before each send, at
// HandlerConfig.SendRateFraction (85 %) of GetAccount's MaxSendRate, evenly
// spaced without a burst. GetAccount is read at the first job and every
// HandlerConfig.AccountRefresh (5 minutes) after. Keys, under HandlerConfig.Prefix P:
//
//	rate:P notify:ses-send      the GCRA schedule (redis_rate adds "rate:")
//	P notify:ses-send:slow      set for a minute after a 429: every worker runs at half rate
//
// # Pause
//
// When SES will not send (sending paused, the account suspended or shut
// down, the daily quota spent), the stage stops trying: jobs that meet the
// pause are returned for retry after HandlerConfig.PausePoll, and [Gate.Wait]
// (from [Handler.Gate], for the runner's workers.Config.Gate) holds the runner's
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
//	quarry_notify_unknown_settled_total{how}  unknown sends settled as not sent after the
//	                                          quiet period (how=quiet)
//
// Logs carry a hash of each address (recipient_hash), never the address:
// errors from SES and from Redis (whose effect names hold the address)
// have it replaced by the hash, in the log and in the job's error.
//
// # Concurrency
//
// A [Handler] is safe for concurrent use and starts no goroutines. Lock
// order: Handler.accountMu (held while GetAccount runs), then pause.mu or
// sendLimiter.mu; never the other way round.
package notify
