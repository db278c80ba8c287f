// Package suppression keeps Quarry's list of addresses that must not be
// mailed, in Redis, with an append-only audit trail.
//
// An address is suppressed for one or more reasons (hard_bounce,
// soft_bounce, complaint, unsubscribe, manual), each with where it came
// from, when, by whom, an optional expiry (soft bounces) and the evidence
// (SES message id, feedback id, bounce type, status, diagnostic code). It
// may be mailed only when none of its reasons is in force. Adding a reason
// that is already in force changes nothing, so replayed events are
// harmless; removing one leaves the others.
//
// The notify stage asks [Store.Suppressed] right before each send; the
// ses-events stage adds reasons from bounces and complaints; `quarry
// suppress` lists, checks, adds and removes. Every change, automatic or
// manual, is written to the audit stream in the same Lua script that
// makes it, so the trail cannot miss a change or record one that did not
// happen.
//
// Keys, under the configured prefix:
//
//	suppress:addr:{<address>}   hash: r:<reason> → entry JSON, x:<reason> → expiry (unix ms, 0 = none)
//	suppress:index              sorted set of suppressed addresses, scored by first suppression (unix ms)
//	suppress:audit              stream of changes, oldest first, never trimmed
//
// Addresses are normalized ([messages.NormalizeAddress]) before every
// lookup. Logs carry [Store.Hash] of an address, never the address.
package suppression
