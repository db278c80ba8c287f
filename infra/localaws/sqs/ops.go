package sqs

import (
	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// operation is one SQS action as both protocols reach it: json decodes an AWS
// JSON 1.0 body, query a query form, into the same input, and both run the
// same core method.
type operation struct {
	json  func(call *awsproto.Call, body []byte) (any, *awsproto.Error)
	query func(call *awsproto.Call, f awsproto.Form) (any, *awsproto.Error)
}

// noOutput is the output type of operations that answer nothing; their core
// methods return a nil *noOutput.
type noOutput struct{}

// op wires a core method to both decoders. A nil output becomes an untyped
// nil, which the root writes as {} in JSON and as no <ActionResult> in XML.
func op[I, O any](run func(*awsproto.Call, *I) (*O, *awsproto.Error), fromForm func(awsproto.Form) (*I, *awsproto.Error)) operation {
	finish := func(out *O, e *awsproto.Error) (any, *awsproto.Error) {
		switch {
		case e != nil:
			return nil, e
		case out == nil:
			return nil, nil
		}
		return out, nil
	}
	return operation{
		json: func(call *awsproto.Call, body []byte) (any, *awsproto.Error) {
			in, e := decodeJSON[I](body)
			if e != nil {
				return nil, e
			}
			return finish(run(call, in))
		},
		query: func(call *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
			in, e := fromForm(f)
			if e != nil {
				return nil, e
			}
			return finish(run(call, in))
		},
	}
}

// unsupported answers an SQS action the endpoint does not implement.
func unsupported(action, advice string) operation {
	fail := func() (any, *awsproto.Error) {
		return nil, errUnsupported("%s is not supported by the embedded endpoint; %s", action, advice)
	}
	return operation{
		json:  func(*awsproto.Call, []byte) (any, *awsproto.Error) { return fail() },
		query: func(*awsproto.Call, awsproto.Form) (any, *awsproto.Error) { return fail() },
	}
}

// operations is the action table.
func (s *Service) operations() map[string]operation {
	return map[string]operation{
		"CreateQueue":                  op(s.createQueue, formCreateQueue),
		"GetQueueUrl":                  op(s.getQueueURL, formGetQueueURL),
		"ListQueues":                   op(s.listQueues, formListQueues),
		"DeleteQueue":                  op(s.deleteQueue, formQueue),
		"PurgeQueue":                   op(s.purgeQueue, formQueue),
		"GetQueueAttributes":           op(s.getQueueAttributes, formGetQueueAttributes),
		"SetQueueAttributes":           op(s.setQueueAttributes, formSetQueueAttributes),
		"TagQueue":                     op(s.tagQueue, formTagQueue),
		"UntagQueue":                   op(s.untagQueue, formUntagQueue),
		"ListQueueTags":                op(s.listQueueTags, formQueue),
		"ListDeadLetterSourceQueues":   op(s.listDeadLetterSourceQueues, formListDeadLetterSourceQueues),
		"SendMessage":                  op(s.sendMessage, formSendMessage),
		"SendMessageBatch":             op(s.sendMessageBatch, formSendMessageBatch),
		"ReceiveMessage":               op(s.receiveMessage, formReceiveMessage),
		"DeleteMessage":                op(s.deleteMessage, formDeleteMessage),
		"DeleteMessageBatch":           op(s.deleteMessageBatch, formDeleteMessageBatch),
		"ChangeMessageVisibility":      op(s.changeMessageVisibility, formChangeMessageVisibility),
		"ChangeMessageVisibilityBatch": op(s.changeMessageVisibilityBatch, formChangeMessageVisibilityBatch),
		"StartMessageMoveTask":         op(s.startMessageMoveTask, formStartMessageMoveTask),
		"ListMessageMoveTasks":         op(s.listMessageMoveTasks, formListMessageMoveTasks),
		"CancelMessageMoveTask":        op(s.cancelMessageMoveTask, formCancelMessageMoveTask),
		"AddPermission":                unsupported("AddPermission", "set the queue's Policy attribute instead"),
		"RemovePermission":             unsupported("RemovePermission", "set the queue's Policy attribute instead"),
	}
}
