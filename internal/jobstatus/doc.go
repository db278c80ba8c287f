// Package jobstatus reads where the fleet's work is: the depth of every
// queue of the topology and its DLQ ([CollectQueues]), and where one job
// and the other jobs of its pipeline are ([Trace]), from the claim records
// in Redis and the DLQs. `quarry status` prints what it reads; the HTTP API
// serves the same reports as JSON.
//
// Nothing here changes a queue: DLQs are read as `quarry dlq peek` reads
// them, each message held for a moment and given back (which counts as a
// receive).
package jobstatus
