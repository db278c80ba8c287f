// Package messages defines everything that crosses a Quarry queue: the job
// envelope and its payload types, the SNS envelope and SES notifications a
// worker may receive, validation, and the outcomes a handler returns. It
// imports only the standard library, so every other package can depend on
// it and it depends on none.
//
// # Jobs
//
// A [Job] is an envelope around a typed payload:
//
//	type              payload            does
//	fetch.document    [FetchDocument]    run a site recipe, store the PDF, maybe publish extract.tables
//	extract.tables    [ExtractTables]    extract a stored PDF's tables, maybe publish notify.email
//	notify.email      [NotifyEmail]      mail a template once per recipient through SES
//
// Jobs are built with [NewJob] (a root job) and [Child] (a job published by
// another job), encoded with [Job.Encode] (or encoding/json), and decoded with
// [DecodeJob] or [DecodeQueueBody]. Decoding and validation report the first
// bad field as a [*ValidationError] ("job.payload.recipients[1]: …").
//
// Version is the payload schema version. This build writes and reads
// [CurrentVersion]; a job with a higher version is refused rather than
// misread, so it lands in the DLQ until the workers are upgraded.
//
// # Ids
//
// Job ids are ULIDs: 26 characters of Crockford base32, sortable by creation
// time. They are generated here, without a library, because this package is
// stdlib-only: [NewID] reads crypto/rand, and an [IDGenerator] adds strict
// monotonic order (within a millisecond, and across a clock stepping back)
// for producers that need it. Only canonical upper-case ids are accepted,
// because an id is also the default idempotency key and two spellings would
// be two keys.
//
// A child's id is not random: [ChildID](parent, stage) keeps the parent's
// timestamp and takes its 80 random bits from SHA-256 over the parent's id
// and the stage. A parent that fails after publishing and is retried
// publishes the same child id, the child's idempotency key (its id) is
// already claimed or completed, and the copy is swallowed. The child's
// payload must therefore be the same on every retry, or the idempotency store
// reports a payload conflict ([PayloadHash]).
//
// # What arrives on a queue
//
// [DecodeQueueBody] takes an SQS message body and returns a [Body]: a job or
// an SES event ([SESEvent]), raw or inside an SNS envelope ([SNSEnvelope],
// present when the subscription does not use raw message delivery), or
// [KindSESSetup] for the one-off notices SES sends when a topic is wired up.
// SES notifications come in two formats, event publishing ("eventType", from
// configuration sets) and identity notifications ("notificationType"); both
// decode to one normalised [SESEvent]. Decoding is lenient about fields it
// does not know (AWS adds fields) and strict about those a worker relies on.
//
// # Outcomes
//
// A handler's error says what happens to the job:
//
//	nil                 done: store the result, delete the message
//	Permanent(err)      to the DLQ now, with err as the reason; never retried
//	RetryAfter(d, err)  retried after d (the message's visibility is set to d)
//	any other error     retried with exponential backoff and jitter
//
// [IsPermanent] and [RetryDelay] read the decision with errors.As, so
// wrapping with %w keeps it; the outermost outcome in a chain wins. A
// [*ValidationError] is permanent, because a malformed message is malformed
// on every retry.
package messages
