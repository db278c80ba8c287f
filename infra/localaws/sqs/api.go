package sqs

// Input and output shapes of the SQS operations. Inputs are decoded from AWS
// JSON 1.0 bodies (json.go) and from query forms (query.go) into the same
// structs. Outputs marshal both to the JSON the SDKs expect (empty members
// omitted) and, through the xml tags and the map types of xmlmaps.go, to the
// flattened <ActionResult> content of the query protocol. Member names follow
// the SQS API model exactly, including its lower-case "tags" and "queueUrls".

// MessageAttributeValue is one typed message attribute, on input and output.
// Binary values are base64 in JSON and in query forms.
type MessageAttributeValue struct {
	StringValue      *string  `json:",omitempty"`
	BinaryValue      []byte   `json:",omitempty"`
	StringListValues []string `json:",omitempty"`
	BinaryListValues [][]byte `json:",omitempty"`
	DataType         string
}

// CreateQueueInput is the input of CreateQueue.
type CreateQueueInput struct {
	QueueName  string
	Attributes map[string]string
	Tags       map[string]string `json:"tags"`
}

// CreateQueueOutput is the output of CreateQueue.
type CreateQueueOutput struct {
	QueueUrl string
}

// GetQueueUrlInput is the input of GetQueueUrl.
type GetQueueUrlInput struct {
	QueueName              string
	QueueOwnerAWSAccountId string
}

// GetQueueUrlOutput is the output of GetQueueUrl.
type GetQueueUrlOutput struct {
	QueueUrl string
}

// QueueInput is the input of the operations that only name a queue
// (DeleteQueue, PurgeQueue, ListQueueTags).
type QueueInput struct {
	QueueUrl string
}

// ListQueuesInput is the input of ListQueues.
type ListQueuesInput struct {
	QueueNamePrefix string
	MaxResults      *int32
	NextToken       string
}

// ListQueuesOutput is the output of ListQueues.
type ListQueuesOutput struct {
	QueueUrls []string `json:",omitempty" xml:"QueueUrl"`
	NextToken string   `json:",omitempty" xml:",omitempty"`
}

// GetQueueAttributesInput is the input of GetQueueAttributes.
type GetQueueAttributesInput struct {
	QueueUrl       string
	AttributeNames []string
}

// GetQueueAttributesOutput is the output of GetQueueAttributes.
type GetQueueAttributesOutput struct {
	Attributes attrMap `json:",omitempty" xml:"Attribute,omitempty"`
}

// SetQueueAttributesInput is the input of SetQueueAttributes.
type SetQueueAttributesInput struct {
	QueueUrl   string
	Attributes map[string]string
}

// TagQueueInput is the input of TagQueue.
type TagQueueInput struct {
	QueueUrl string
	Tags     map[string]string
}

// UntagQueueInput is the input of UntagQueue.
type UntagQueueInput struct {
	QueueUrl string
	TagKeys  []string
}

// ListQueueTagsOutput is the output of ListQueueTags.
type ListQueueTagsOutput struct {
	Tags tagMap `json:",omitempty" xml:"Tag,omitempty"`
}

// ListDeadLetterSourceQueuesInput is the input of ListDeadLetterSourceQueues.
type ListDeadLetterSourceQueuesInput struct {
	QueueUrl   string
	MaxResults *int32
	NextToken  string
}

// ListDeadLetterSourceQueuesOutput is the output of
// ListDeadLetterSourceQueues; queueUrls is required and always present.
type ListDeadLetterSourceQueuesOutput struct {
	QueueUrls []string `json:"queueUrls" xml:"QueueUrl"`
	NextToken string   `json:",omitempty" xml:",omitempty"`
}

// SendMessageInput is the input of SendMessage.
type SendMessageInput struct {
	QueueUrl                string
	MessageBody             string
	DelaySeconds            *int32
	MessageAttributes       map[string]MessageAttributeValue
	MessageSystemAttributes map[string]MessageAttributeValue
	MessageDeduplicationId  *string
	MessageGroupId          *string
}

// SendMessageOutput is the output of SendMessage.
type SendMessageOutput struct {
	MessageId                    string
	MD5OfMessageBody             string
	MD5OfMessageAttributes       string `json:",omitempty" xml:",omitempty"`
	MD5OfMessageSystemAttributes string `json:",omitempty" xml:",omitempty"`
	SequenceNumber               string `json:",omitempty" xml:",omitempty"`
}

// SendMessageBatchRequestEntry is one entry of SendMessageBatch.
type SendMessageBatchRequestEntry struct {
	Id                      string
	MessageBody             string
	DelaySeconds            *int32
	MessageAttributes       map[string]MessageAttributeValue
	MessageSystemAttributes map[string]MessageAttributeValue
	MessageDeduplicationId  *string
	MessageGroupId          *string
}

// SendMessageBatchInput is the input of SendMessageBatch.
type SendMessageBatchInput struct {
	QueueUrl string
	Entries  []SendMessageBatchRequestEntry
}

// SendMessageBatchResultEntry is one successful entry of SendMessageBatch.
type SendMessageBatchResultEntry struct {
	Id                           string
	MessageId                    string
	MD5OfMessageBody             string
	MD5OfMessageAttributes       string `json:",omitempty" xml:",omitempty"`
	MD5OfMessageSystemAttributes string `json:",omitempty" xml:",omitempty"`
	SequenceNumber               string `json:",omitempty" xml:",omitempty"`
}

// BatchResultErrorEntry is one failed entry of a batch operation.
type BatchResultErrorEntry struct {
	Id          string
	SenderFault bool
	Code        string
	Message     string `json:",omitempty" xml:",omitempty"`
}

// SendMessageBatchOutput is the output of SendMessageBatch. Successful and
// Failed are required members and always present in JSON.
type SendMessageBatchOutput struct {
	Successful []SendMessageBatchResultEntry `xml:"SendMessageBatchResultEntry"`
	Failed     []BatchResultErrorEntry       `xml:"BatchResultErrorEntry"`
}

// ReceiveMessageInput is the input of ReceiveMessage. AttributeNames (legacy)
// and MessageSystemAttributeNames are both accepted and merged.
type ReceiveMessageInput struct {
	QueueUrl                    string
	AttributeNames              []string
	MessageSystemAttributeNames []string
	MessageAttributeNames       []string
	MaxNumberOfMessages         *int32
	VisibilityTimeout           *int32
	WaitTimeSeconds             *int32
	ReceiveRequestAttemptId     *string
}

// Message is one received message.
type Message struct {
	MessageId              string
	ReceiptHandle          string
	MD5OfBody              string
	Body                   string
	Attributes             attrMap    `json:",omitempty" xml:"Attribute,omitempty"`
	MD5OfMessageAttributes string     `json:",omitempty" xml:",omitempty"`
	MessageAttributes      msgAttrMap `json:",omitempty" xml:"MessageAttribute,omitempty"`
}

// ReceiveMessageOutput is the output of ReceiveMessage; an empty receive is
// {} in JSON and an empty <ReceiveMessageResult/> in XML.
type ReceiveMessageOutput struct {
	Messages []Message `json:",omitempty" xml:"Message"`
}

// DeleteMessageInput is the input of DeleteMessage.
type DeleteMessageInput struct {
	QueueUrl      string
	ReceiptHandle string
}

// DeleteMessageBatchRequestEntry is one entry of DeleteMessageBatch.
type DeleteMessageBatchRequestEntry struct {
	Id            string
	ReceiptHandle string
}

// DeleteMessageBatchInput is the input of DeleteMessageBatch.
type DeleteMessageBatchInput struct {
	QueueUrl string
	Entries  []DeleteMessageBatchRequestEntry
}

// BatchResultEntry is a successful entry of DeleteMessageBatch or
// ChangeMessageVisibilityBatch: just its Id.
type BatchResultEntry struct {
	Id string
}

// DeleteMessageBatchOutput is the output of DeleteMessageBatch.
type DeleteMessageBatchOutput struct {
	Successful []BatchResultEntry      `xml:"DeleteMessageBatchResultEntry"`
	Failed     []BatchResultErrorEntry `xml:"BatchResultErrorEntry"`
}

// ChangeMessageVisibilityInput is the input of ChangeMessageVisibility. A
// missing VisibilityTimeout is 0: the Go SDK leaves a zero value out.
type ChangeMessageVisibilityInput struct {
	QueueUrl          string
	ReceiptHandle     string
	VisibilityTimeout *int32
}

// ChangeMessageVisibilityBatchRequestEntry is one entry of
// ChangeMessageVisibilityBatch.
type ChangeMessageVisibilityBatchRequestEntry struct {
	Id                string
	ReceiptHandle     string
	VisibilityTimeout *int32
}

// ChangeMessageVisibilityBatchInput is the input of
// ChangeMessageVisibilityBatch.
type ChangeMessageVisibilityBatchInput struct {
	QueueUrl string
	Entries  []ChangeMessageVisibilityBatchRequestEntry
}

// ChangeMessageVisibilityBatchOutput is the output of
// ChangeMessageVisibilityBatch.
type ChangeMessageVisibilityBatchOutput struct {
	Successful []BatchResultEntry      `xml:"ChangeMessageVisibilityBatchResultEntry"`
	Failed     []BatchResultErrorEntry `xml:"BatchResultErrorEntry"`
}

// StartMessageMoveTaskInput is the input of StartMessageMoveTask.
type StartMessageMoveTaskInput struct {
	SourceArn                    string
	DestinationArn               string
	MaxNumberOfMessagesPerSecond *int32
}

// StartMessageMoveTaskOutput is the output of StartMessageMoveTask.
type StartMessageMoveTaskOutput struct {
	TaskHandle string
}

// ListMessageMoveTasksInput is the input of ListMessageMoveTasks.
type ListMessageMoveTasksInput struct {
	SourceArn  string
	MaxResults *int32
}

// ListMessageMoveTasksResultEntry describes one move task.
type ListMessageMoveTasksResultEntry struct {
	TaskHandle                        string `json:",omitempty" xml:",omitempty"`
	Status                            string
	SourceArn                         string
	DestinationArn                    string `json:",omitempty" xml:",omitempty"`
	MaxNumberOfMessagesPerSecond      *int32 `json:",omitempty" xml:",omitempty"`
	ApproximateNumberOfMessagesMoved  int64
	ApproximateNumberOfMessagesToMove *int64 `json:",omitempty" xml:",omitempty"`
	FailureReason                     string `json:",omitempty" xml:",omitempty"`
	StartedTimestamp                  int64
}

// ListMessageMoveTasksOutput is the output of ListMessageMoveTasks.
type ListMessageMoveTasksOutput struct {
	Results []ListMessageMoveTasksResultEntry `json:",omitempty" xml:"ListMessageMoveTasksResultEntry"`
}

// CancelMessageMoveTaskInput is the input of CancelMessageMoveTask.
type CancelMessageMoveTaskInput struct {
	TaskHandle string
}

// CancelMessageMoveTaskOutput is the output of CancelMessageMoveTask.
type CancelMessageMoveTaskOutput struct {
	ApproximateNumberOfMessagesMoved int64
}
