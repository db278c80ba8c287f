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
// the job runs again (one email per recipient). An effect's record moves
// through these states:
//
//	ClaimEffect ──► claimed ──AttemptEffect──► attempting ──CompleteEffect──► completed
//	                   │                           │
//	                   │ ReleaseEffect             ├─ReleaseEffect (certainly not sent) ──► (gone)
//	                   ▼                           └─MarkEffectUnknown, or a crash ──► unknown
//	                 (gone)
//
// [Store.ClaimEffect] claims one under the job's lease: nothing has been
// attempted, so a claim whose owner dies is simply taken over by the next
// owner of the job. [Store.AttemptEffect] marks the moment the request
// leaves, immediately before it, after every check and wait: only a crash
// between it and the answer can leave the outcome in doubt.
// [Store.CompleteEffect] records that it happened (with a result such as
// the SES message id), [Store.ReleaseEffect] that it did not. All are
// fenced by the job lease: after a takeover the stale owner can neither
// claim, attempt, complete nor release an effect.
//
// An effect is unknown only when it may have happened: its request went
// out and no answer came back ([Store.MarkEffectUnknown]), or an earlier
// owner attempted it and never said how the request ended (found by the
// next ClaimEffect). Marking an effect unknown and adding it to the index
// that [Store.ListUnknownEffects] reads are one script, so the listing
// misses none. Unknown effects are never performed again as they are;
// they are settled:
//
//   - by the provider's own report: [Store.ObserveEffect] (an SES event
//     tagged with the effect's job key and attempt) completes an unknown
//     effect, and an attempting one is completed instead of becoming
//     unknown if its owner dies;
//   - after a quiet period without such a report: [Store.SettleQuietEffect]
//     releases it, so the next claim performs it (a report of the settled
//     attempt that arrives before then still completes it);
//   - or by a person: [Store.ResolveEffect].
//
// # What Redis must be
//
// The protocol is exactly-once only while Redis keeps what it was told.
// A Redis that loses acknowledged writes (a restart without persistence,
// an eviction, a failover to a replica that had not caught up) forgets
// completed jobs and effects, and their next delivery does them again.
// Production Redis must therefore be durable: AOF with appendfsync always
// (no acknowledged write lost) or everysec (up to about a second of
// writes lost on a crash of the machine or the server), and
// maxmemory-policy noeviction (an evicting Redis drops records silently).
// A durable in-memory service such as Amazon MemoryDB (a transaction log
// across zones) or Redis with AOF on a persistent disk qualifies; a cache
// without persistence does not. The store needs one primary, not a Redis
// Cluster (MemoryDB runs in cluster mode): the effect scripts write the
// unknown-effects index and read the epoch record beside a job's keys, in
// other hash slots.
//
// Data loss is detected rather than trusted: an epoch record (a random
// value, [Store.CreateEpoch]) is written when the topology is applied and
// when a worker starts, and a store whose Epoch is set refuses
// AttemptEffect with [ErrEpochChanged] once Redis holds another or none.
// No effect is then performed until a person has looked
// ([Store.ReplaceEpoch] accepts the loss).
//
// # Key layout
//
// Under the store's prefix P (default "quarry:"), for idempotency key K and
// effect name N:
//
//	P idem:{K}               hash   state (in_progress|completed|released), hash, fence,
//	                                owner, lease_until, result, claimed_ms, completed_ms,
//	                                released_ms
//	P idem:{K}:effect:N      hash   state (claimed|attempting|completed|unknown|released),
//	                                fence, owner,
//	                                token, job, name, result, reason, claimed_ms, attempt_ms,
//	                                marked_ms, observed, settled_by
//	P idem:unknown-effects   zset   members "K\nN", scored by the time they were marked
//	P epoch                  string the epoch record (random; gone or changed: data loss)
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
