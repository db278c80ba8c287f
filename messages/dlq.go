package messages

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
