// Package fetch is the fetch.document stage: it runs a site recipe (see
// package recipe) that reaches a PDF behind a legacy web form, and returns
// the validated document with where it came from.
//
// # Engine
//
// Every [Fetcher.Fetch] builds a fresh colly collector with its own cookie
// jar and connections, so sessions never leak between jobs. Steps run
// synchronously in order: get, submit (the form as a browser posts it: every
// successful control and only the clicked submit), pick (one row of a results
// grid), postback (__EVENTTARGET/__EVENTARGUMENT), follow (JavaScript and
// meta refresh redirects), wait, download and validate. Every body has a cap
// and is checked against Content-Length, so truncation is an error, not a
// short PDF. The caller's context cancels everything, waits included.
//
// # Failures
//
// Failures are [*Failure] values with a [Class] and the label of the step,
// wrapped as [messages.RetryAfter] (network, server_5xx, throttled,
// session_expired, truncated) or [messages.Permanent] (not_found, ambiguous,
// invalid_input, event_validation, recipe_broken, redirect_loop, not_pdf,
// too_large, validation, blocked, policy). A session_expired, truncated or
// event_validation failure first restarts the flow with a fresh session, up
// to limits.max_flow_attempts.
//
// These outcome types mirror messages.Permanent and messages.RetryAfter,
// which replace them when the messages package lands.
//
// # Safety and politeness
//
// A flow reaches only the hosts its recipe declares (redirects included),
// and its dialer refuses loopback, private and link-local addresses after
// DNS resolution unless the recipe or dev mode allows them. Every request
// first passes a [Gate]: one rate per host for the whole fleet, a fleet-wide
// cooldown when a site sends Retry-After, and a cap on concurrent sessions
// per host (politeness.Limiter implements it on Redis). The User-Agent names
// Quarry ([UserAgent]).
//
// # Running once
//
// [RunOnce] runs a recipe for one key without queues, reporting each step,
// for `quarry fetch`.
package fetch
