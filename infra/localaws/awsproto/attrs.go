package awsproto

// MessageAttribute is one typed message attribute as SQS and SNS carry it.
// DataType is String, Number or Binary, optionally with a custom suffix
// (Number.float, Binary.png); String and Number use StringValue.
type MessageAttribute struct {
	DataType    string
	StringValue *string
	BinaryValue []byte
}

// QueueMessage is what one service hands to SQS for delivery: SNS fan-out and
// DLQ redrives use it.
type QueueMessage struct {
	Body                   string
	Attributes             map[string]MessageAttribute
	MessageGroupID         string
	MessageDeduplicationID string
}
