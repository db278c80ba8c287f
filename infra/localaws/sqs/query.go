package sqs

import (
	"encoding/base64"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// ServeQuery answers one query-protocol request; the result is marshalled with
// encoding/xml as the <ActionResult> element (nil for operations without output).
func (s *Service) ServeQuery(call *awsproto.Call, form awsproto.Form) (any, *awsproto.Error) {
	o, ok := s.ops[call.Action]
	if !ok {
		return nil, errUnknownAction(call.Action)
	}
	out, e := o.query(call, form)
	if e != nil && e.Code == codeNonExistentQueue {
		// The query protocol words this error differently (reference §1.15).
		e.Message = msgNonExistentQueueQuery
	}
	return out, e
}

// The form decoders read the query key names of reference §2.3: lists are
// prefix.N (1-based), maps are flattened prefix.N.Name/Value (tags
// prefix.N.Key/Value), structures in lists prefix.N.Member.

func formQueue(f awsproto.Form) (*QueueInput, *awsproto.Error) {
	return &QueueInput{QueueUrl: f.Get("QueueUrl")}, nil
}

func formCreateQueue(f awsproto.Form) (*CreateQueueInput, *awsproto.Error) {
	return &CreateQueueInput{
		QueueName:  f.Get("QueueName"),
		Attributes: f.Map("Attribute", "Name", "Value"),
		Tags:       f.Map("Tag", "Key", "Value"),
	}, nil
}

func formGetQueueURL(f awsproto.Form) (*GetQueueUrlInput, *awsproto.Error) {
	return &GetQueueUrlInput{QueueName: f.Get("QueueName"), QueueOwnerAWSAccountId: f.Get("QueueOwnerAWSAccountId")}, nil
}

func formListQueues(f awsproto.Form) (*ListQueuesInput, *awsproto.Error) {
	limit, e := f.Int32Ptr("MaxResults")
	if e != nil {
		return nil, e
	}
	return &ListQueuesInput{QueueNamePrefix: f.Get("QueueNamePrefix"), MaxResults: limit, NextToken: f.Get("NextToken")}, nil
}

func formGetQueueAttributes(f awsproto.Form) (*GetQueueAttributesInput, *awsproto.Error) {
	return &GetQueueAttributesInput{QueueUrl: f.Get("QueueUrl"), AttributeNames: f.List("AttributeName")}, nil
}

func formSetQueueAttributes(f awsproto.Form) (*SetQueueAttributesInput, *awsproto.Error) {
	return &SetQueueAttributesInput{QueueUrl: f.Get("QueueUrl"), Attributes: f.Map("Attribute", "Name", "Value")}, nil
}

func formTagQueue(f awsproto.Form) (*TagQueueInput, *awsproto.Error) {
	return &TagQueueInput{QueueUrl: f.Get("QueueUrl"), Tags: f.Map("Tag", "Key", "Value")}, nil
}

func formUntagQueue(f awsproto.Form) (*UntagQueueInput, *awsproto.Error) {
	return &UntagQueueInput{QueueUrl: f.Get("QueueUrl"), TagKeys: f.List("TagKey")}, nil
}

func formListDeadLetterSourceQueues(f awsproto.Form) (*ListDeadLetterSourceQueuesInput, *awsproto.Error) {
	limit, e := f.Int32Ptr("MaxResults")
	if e != nil {
		return nil, e
	}
	return &ListDeadLetterSourceQueuesInput{QueueUrl: f.Get("QueueUrl"), MaxResults: limit, NextToken: f.Get("NextToken")}, nil
}

// formMessageAttributes reads prefix.N.Name and prefix.N.Value.{DataType,
// StringValue, BinaryValue (base64)} into a map.
func formMessageAttributes(f awsproto.Form, prefix string) (map[string]MessageAttributeValue, *awsproto.Error) {
	members := f.Members(prefix)
	if len(members) == 0 {
		return nil, nil
	}
	out := make(map[string]MessageAttributeValue, len(members))
	for _, m := range members {
		v := MessageAttributeValue{
			DataType:         f.Get(m + ".Value.DataType"),
			StringValue:      f.StringPtr(m + ".Value.StringValue"),
			StringListValues: f.List(m + ".Value.StringListValue"),
		}
		if f.Has(m + ".Value.BinaryValue") {
			b, e := formBase64(f, m+".Value.BinaryValue")
			if e != nil {
				return nil, e
			}
			v.BinaryValue = b
		}
		for _, n := range f.Members(m + ".Value.BinaryListValue") {
			b, e := formBase64(f, n)
			if e != nil {
				return nil, e
			}
			v.BinaryListValues = append(v.BinaryListValues, b)
		}
		out[f.Get(m+".Name")] = v
	}
	return out, nil
}

func formBase64(f awsproto.Form, key string) ([]byte, *awsproto.Error) {
	b, err := base64.StdEncoding.DecodeString(f.Get(key))
	if err != nil {
		return nil, errInvalidParameter("Value for parameter %s is invalid. Reason: it is not valid base64: %v.", key, err)
	}
	return b, nil
}

func formSendMessage(f awsproto.Form) (*SendMessageInput, *awsproto.Error) {
	delay, e := f.Int32Ptr("DelaySeconds")
	if e != nil {
		return nil, e
	}
	attrs, e := formMessageAttributes(f, "MessageAttribute")
	if e != nil {
		return nil, e
	}
	sys, e := formMessageAttributes(f, "MessageSystemAttribute")
	if e != nil {
		return nil, e
	}
	return &SendMessageInput{
		QueueUrl:                f.Get("QueueUrl"),
		MessageBody:             f.Get("MessageBody"),
		DelaySeconds:            delay,
		MessageAttributes:       attrs,
		MessageSystemAttributes: sys,
		MessageDeduplicationId:  f.StringPtr("MessageDeduplicationId"),
		MessageGroupId:          f.StringPtr("MessageGroupId"),
	}, nil
}

func formSendMessageBatch(f awsproto.Form) (*SendMessageBatchInput, *awsproto.Error) {
	in := &SendMessageBatchInput{QueueUrl: f.Get("QueueUrl")}
	for _, p := range f.Members("SendMessageBatchRequestEntry") {
		delay, e := f.Int32Ptr(p + ".DelaySeconds")
		if e != nil {
			return nil, e
		}
		attrs, e := formMessageAttributes(f, p+".MessageAttribute")
		if e != nil {
			return nil, e
		}
		sys, e := formMessageAttributes(f, p+".MessageSystemAttribute")
		if e != nil {
			return nil, e
		}
		in.Entries = append(in.Entries, SendMessageBatchRequestEntry{
			Id:                      f.Get(p + ".Id"),
			MessageBody:             f.Get(p + ".MessageBody"),
			DelaySeconds:            delay,
			MessageAttributes:       attrs,
			MessageSystemAttributes: sys,
			MessageDeduplicationId:  f.StringPtr(p + ".MessageDeduplicationId"),
			MessageGroupId:          f.StringPtr(p + ".MessageGroupId"),
		})
	}
	return in, nil
}

func formReceiveMessage(f awsproto.Form) (*ReceiveMessageInput, *awsproto.Error) {
	in := &ReceiveMessageInput{
		QueueUrl:                    f.Get("QueueUrl"),
		AttributeNames:              f.List("AttributeName"),
		MessageSystemAttributeNames: f.List("MessageSystemAttributeName"),
		MessageAttributeNames:       f.List("MessageAttributeName"),
		ReceiveRequestAttemptId:     f.StringPtr("ReceiveRequestAttemptId"),
	}
	var e *awsproto.Error
	if in.MaxNumberOfMessages, e = f.Int32Ptr("MaxNumberOfMessages"); e != nil {
		return nil, e
	}
	if in.VisibilityTimeout, e = f.Int32Ptr("VisibilityTimeout"); e != nil {
		return nil, e
	}
	if in.WaitTimeSeconds, e = f.Int32Ptr("WaitTimeSeconds"); e != nil {
		return nil, e
	}
	return in, nil
}

func formDeleteMessage(f awsproto.Form) (*DeleteMessageInput, *awsproto.Error) {
	return &DeleteMessageInput{QueueUrl: f.Get("QueueUrl"), ReceiptHandle: f.Get("ReceiptHandle")}, nil
}

func formDeleteMessageBatch(f awsproto.Form) (*DeleteMessageBatchInput, *awsproto.Error) {
	in := &DeleteMessageBatchInput{QueueUrl: f.Get("QueueUrl")}
	for _, p := range f.Members("DeleteMessageBatchRequestEntry") {
		in.Entries = append(in.Entries, DeleteMessageBatchRequestEntry{Id: f.Get(p + ".Id"), ReceiptHandle: f.Get(p + ".ReceiptHandle")})
	}
	return in, nil
}

func formChangeMessageVisibility(f awsproto.Form) (*ChangeMessageVisibilityInput, *awsproto.Error) {
	v, e := f.Int32Ptr("VisibilityTimeout")
	if e != nil {
		return nil, e
	}
	return &ChangeMessageVisibilityInput{QueueUrl: f.Get("QueueUrl"), ReceiptHandle: f.Get("ReceiptHandle"), VisibilityTimeout: v}, nil
}

func formChangeMessageVisibilityBatch(f awsproto.Form) (*ChangeMessageVisibilityBatchInput, *awsproto.Error) {
	in := &ChangeMessageVisibilityBatchInput{QueueUrl: f.Get("QueueUrl")}
	for _, p := range f.Members("ChangeMessageVisibilityBatchRequestEntry") {
		v, e := f.Int32Ptr(p + ".VisibilityTimeout")
		if e != nil {
			return nil, e
		}
		in.Entries = append(in.Entries, ChangeMessageVisibilityBatchRequestEntry{Id: f.Get(p + ".Id"), ReceiptHandle: f.Get(p + ".ReceiptHandle"), VisibilityTimeout: v})
	}
	return in, nil
}

func formStartMessageMoveTask(f awsproto.Form) (*StartMessageMoveTaskInput, *awsproto.Error) {
	rate, e := f.Int32Ptr("MaxNumberOfMessagesPerSecond")
	if e != nil {
		return nil, e
	}
	return &StartMessageMoveTaskInput{SourceArn: f.Get("SourceArn"), DestinationArn: f.Get("DestinationArn"), MaxNumberOfMessagesPerSecond: rate}, nil
}

func formListMessageMoveTasks(f awsproto.Form) (*ListMessageMoveTasksInput, *awsproto.Error) {
	limit, e := f.Int32Ptr("MaxResults")
	if e != nil {
		return nil, e
	}
	return &ListMessageMoveTasksInput{SourceArn: f.Get("SourceArn"), MaxResults: limit}, nil
}

func formCancelMessageMoveTask(f awsproto.Form) (*CancelMessageMoveTaskInput, *awsproto.Error) {
	return &CancelMessageMoveTaskInput{TaskHandle: f.Get("TaskHandle")}, nil
}
