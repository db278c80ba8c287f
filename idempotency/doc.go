// Package idempotency makes each job's effects happen once although SQS
// delivers at least once. It is a claim protocol on Redis: a worker claims
// the job's idempotency key before running it, holds the claim as a lease
// while it runs, and completes it with the job's result, or releases it
// after a retryable failure. Every check and the write that depends on it
// run together in one Lua script, so no interleaving of workers can get
// between them.
//
// # Protocol
//
//	Claim(key, payloadHash, leaseTTL)
//	  ├─ Acquired        a Lease {owner token, fencing number}: run the job
//	  │    ├─ Extend(lease, ttl)          heartbeat: renew the lease while the job runs
//	  │    ├─ Complete(lease, result, r)  done: store result for r (default 15 days)
//	  │    └─ Release(lease)              failed, retryable: free the key now
//	  ├─ Completed       done before: acknowledge, return the stored result
//	  ├─ InProgress      another live lease holds it: look again after RetryIn
//	  └─ PayloadConflict the key was claimed for another payload hash
//
// A lease has a random owner token and a fencing number that grows by one
// on every acquisition of the key. A lease that is not extended expires
// (its end is kept in the record in Redis time, so it runs by Redis's
// clock, not the workers'), and the next Claim takes the key over with a
// higher fencing number. From then on the old owner's Complete, Extend and
// Release, and its effect operations, are refused with [ErrNotOwner];
// operations on a claim that has already ended (completed, released,
// expired with its record) get [ErrLeaseLost]. A lease that lapsed while
// nobody claimed the key is still the current one: its fencing number
// proves no one else ran the job, so Extend restores it and Complete
// succeeds.
//
// Complete and Release are idempotent for their owner, so a call retried
// after a lost reply does no harm. A key stays bound to the payload hash it
// was first claimed with for as long as its record lives: a later claim
// with another hash is a PayloadConflict even after a release, because
// effects may already have happened for the first payload.
//
// A worker draining a busy queue claims the jobs of one receive together
// and records the jobs that finish at the same moment together:
// [Store.ClaimBatch] and [Store.CompleteBatch] answer for each job exactly
// as Claim and Complete would, in one script call on a single Redis
// server (one round trip and one script run for the batch).
//
// # Effects
//
// A job may have several side effects that must each happen once even if
// the job runs again (one email per recipient). [Store.ClaimEffect] claims
// one, under the job's lease; [Store.CompleteEffect] records that it
// happened (with a result such as the SES message id), [Store.ReleaseEffect]
// that it did not. All three are fenced by the job lease: after a takeover
// the stale owner can neither claim, complete nor release an effect.
//
// When the outcome of an effect is unknown (the request went out and no
// answer came back), [Store.MarkEffectUnknown] records that. An effect
// claimed by an earlier owner that never completed or released it is
// treated the same way. Unknown effects are never retried automatically;
// [Store.ListUnknownEffects] lists them and [Store.ResolveEffect] settles
// each once a person has checked what happened.
//
// # Key layout
//
// Under the store's prefix P (default "quarry:"), for idempotency key K and
// effect name N:
//
//	P idem:{K}               hash   state (in_progress|completed|released), hash, fence,
//	                                owner, lease_until, result, claimed_ms, completed_ms,
//	                                released_ms
//	P idem:{K}:effect:N      hash   state (in_progress|completed|unknown), fence, owner,
//	                                token, job, name, result, reason, claimed_ms, marked_ms
//	P idem:unknown-effects   zset   members "K\nN", scored by the time they were marked
//
// A job is in progress while its state is in_progress and lease_until is
// ahead of Redis's clock. The lease lives in the record rather than in a
// key of its own with a TTL: a claim and a completion then write one key
// each (three commands for a fresh claim, three for a completion).
//
// Times (*_ms, lease_until) are Redis's TIME in Unix milliseconds. {K} is a Redis
// Cluster hash tag, so every script touches keys of one slot; keys may
// therefore not contain braces, nor control characters.
//
// # Retention
//
// A completed record, a record never completed, and every effect are kept
// for [DefaultRetention], 15 days, unless configured otherwise. That is
// longer than the longest an SQS message can live (14 days, and a DLQ
// redrive keeps the original enqueue time), so no delivery can arrive after
// the record that says its job is done has gone. Lowering the retention
// below the queue's MessageRetentionPeriod reopens that window.
//
// # Compared with AWS Powertools' idempotency utility
//
// Powertools (for Lambda) stores an INPROGRESS record, then COMPLETED with
// the response; it expires records, validates a payload hash, and returns
// the stored response on duplicates. This protocol keeps all of that and
// closes two known gaps:
//
//   - Powertools completes and deletes records by key alone, not by owner:
//     a handler whose in-progress record expired and was taken over can
//     still overwrite the new owner's record, or delete it on failure. Here
//     Complete, Release and Extend check the owner token and the fencing
//     number inside the script, so a stale owner is refused, and effects
//     carry the same fence.
//   - Powertools' in-progress expiry is fixed when the record is written
//     (from the Lambda's remaining time) and never follows the work: a long
//     run either blocks retries for the whole timeout or loses its claim
//     while still running. Here the lease is short and renewed by Extend
//     from the worker's heartbeat, so it lasts exactly as long as its
//     worker is alive, and a crashed worker's job is taken over one lease
//     TTL later.
package idempotency
