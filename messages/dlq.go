package messages

// AttrJobType is the message attribute that carries a job's type: Quarry's
// publisher sets it for the SNS subscriptions' filter policies, and the
// worker runtime sets it on a job it moves to a dead-letter queue, so the
// DLQ tools can filter by type without decoding bodies.
const AttrJobType = "job_type"

// Message attributes the worker runtime sets on a message it moves to a
// dead-letter queue, so the DLQ tools can say why it is there.
const (
	// DLQAttrError is "<reason>: <error>", e.g. "permanent: rendering: ...".
	DLQAttrError = "quarry.error"
	// DLQAttrStage is the role that gave up on the message.
	DLQAttrStage = "quarry.stage"
	// DLQAttrReceiveCount is the message's receive count at that point.
	DLQAttrReceiveCount = "quarry.receive_count"
	// DLQAttrFirstSeen is its first receive, RFC 3339.
	DLQAttrFirstSeen = "quarry.first_seen"
)
