// Package workers is Quarry's SQS consumer runtime: a [Runner] consumes one
// queue for one role, claims every job in the idempotency store before its
// handler runs, and settles every message it receives in exactly one way:
// deleted (done, or a duplicate of a done job), given back with a delay
// (retry, or shutdown), or moved to the DLQ with the reason. It knows
// nothing of PDFs, mail or sites: a stage is a [Handler].
//
// # One job's path
//
// The files follow one message from receive to delete, in this order:
//
//	runner.go     Runner, New, Run: starts the parts below and stops them in order
//	receive.go    receiveLoop: waits for free handler slots, long-polls for that many
//	delivery.go   track: a received message becomes a delivery, held until settled
//	admit.go      admit: decode each body, claim the batch's jobs in one store call;
//	              duplicates, jobs running elsewhere and bad bodies end here
//	execute.go    runJob: run the handler under the job's lease, with a timeout
//	completer.go  completer: record finished jobs in batches (CompleteBatch)
//	settle.go     completed, retry, release, toDLQ, settle: how a delivery ends
//	dlq.go        deadLetter: the DLQ copy with quarry.error and friends
//	deleter.go    deleter: delete settled messages in batches of 10
//
// Beside the path: heartbeat.go extends the visibility of every message
// held and the lease of every job running, every third of the visibility
// timeout, and cancels a job whose claim another worker took over;
// backoff.go computes retry delays; metrics.go the Prometheus metrics;
// config.go the configuration and its defaults; claims.go the store the
// runner needs.
//
// # Shutdown
//
// When Run's context ends: the receive loops stop at once (a receive in
// flight is abandoned; its messages come back after their visibility
// timeout); admissions in progress finish; running jobs get
// SoftStopTimeout to finish, after which they are cancelled with
// [ErrShutdown], their claims released and their messages given back
// (visibility 0); then the heartbeat stops, the completer records what it
// holds, and the deleter flushes its last deletes. Run then returns nil.
package workers
