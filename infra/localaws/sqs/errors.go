package sqs

import (
	"net/http"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// Query codes and JSON shape names of the SQS errors the service answers
// (reference §1.15). Code is what the query protocol puts in <Code> and the
// JSON protocol in x-amzn-query-error; Type is the JSON __type shape.
const (
	codeNonExistentQueue      = "AWS.SimpleQueueService.NonExistentQueue"
	codeInvalidParameterValue = "InvalidParameterValue"
	codeMissingParameter      = "MissingParameter"
	codeReceiptHandleInvalid  = "ReceiptHandleIsInvalid"
	codeInvalidMessage        = "InvalidMessageContents"
)

// msgNonExistentQueueJSON and msgNonExistentQueueQuery are AWS's two wordings
// of QueueDoesNotExist; the query protocol adds "for this wsdl version".
const (
	msgNonExistentQueueJSON  = "The specified queue does not exist."
	msgNonExistentQueueQuery = "The specified queue does not exist for this wsdl version."
)

func errQueueDoesNotExist() *awsproto.Error {
	return &awsproto.Error{Status: http.StatusBadRequest, Code: codeNonExistentQueue, Type: "QueueDoesNotExist", Message: msgNonExistentQueueJSON}
}

func errQueueNameExists(attr string) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "QueueAlreadyExists", "QueueNameExists",
		"A queue already exists with the same name and a different value for attribute %s", attr)
}

func errQueueDeletedRecently(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently", format, args...)
}

func errInvalidParameter(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, codeInvalidParameterValue, "InvalidParameterValueException", format, args...)
}

func errMissingParameter(name string) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, codeMissingParameter, "MissingRequiredParameterException",
		"The request must contain the parameter %s.", name)
}

func errInvalidAttributeName(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "InvalidAttributeName", "InvalidAttributeName", format, args...)
}

func errInvalidAttributeValue(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "InvalidAttributeValue", "InvalidAttributeValue", format, args...)
}

func errInvalidMessageContents(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, codeInvalidMessage, "InvalidMessageContents", format, args...)
}

func errReceiptHandleInvalid(handle string) *awsproto.Error {
	return awsproto.Errorf(http.StatusNotFound, codeReceiptHandleInvalid, "ReceiptHandleIsInvalid",
		"The input receipt handle %q is not a valid receipt handle.", handle)
}

func errReceiptHandleExpired(handle string) *awsproto.Error {
	return errInvalidParameter("Value %s for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.", handle)
}

func errMessageNotAvailable(handle string) *awsproto.Error {
	return errInvalidParameter("Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.", handle)
}

func errPurgeInProgress(name string, every string) *awsproto.Error {
	return awsproto.Errorf(http.StatusForbidden, "AWS.SimpleQueueService.PurgeQueueInProgress", "PurgeQueueInProgress",
		"Only one PurgeQueue operation on %s is allowed every %s.", name, every)
}

func errOverLimit(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusForbidden, "OverLimit", "OverLimit", format, args...)
}

func errResourceNotFound(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusNotFound, "ResourceNotFoundException", "ResourceNotFoundException", format, args...)
}

func errUnsupported(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "AWS.SimpleQueueService.UnsupportedOperation", "UnsupportedOperation", format, args...)
}

// Whole-request batch errors (reference §1.14).

func errEmptyBatch(entryShape string) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "AWS.SimpleQueueService.EmptyBatchRequest", "EmptyBatchRequest",
		"There should be at least one %s in the request.", entryShape)
}

func errTooManyEntries(n int) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "TooManyEntriesInBatchRequest",
		"Maximum number of entries per request are %d. You have sent %d.", maxBatchEntries, n)
}

func errBatchIDsNotDistinct(id string) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "BatchEntryIdsNotDistinct",
		"Id %s repeated.", id)
}

func errInvalidBatchEntryID() *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "AWS.SimpleQueueService.InvalidBatchEntryId", "InvalidBatchEntryId",
		"A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
}

func errBatchTooLong(n int) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "AWS.SimpleQueueService.BatchRequestTooLong", "BatchRequestTooLong",
		"Batch requests cannot be longer than %d bytes. You have sent %d bytes.", maxMessageSize, n)
}

// errUnknownAction answers an action SQS does not have: the query protocol's
// InvalidAction, which the JSON protocol reports as UnknownOperationException.
func errUnknownAction(action string) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "InvalidAction", "UnknownOperationException",
		"The action %s is not valid for this endpoint.", action)
}

// errSerialization answers a JSON body that does not decode into the
// operation's input.
func errSerialization(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "SerializationException", "SerializationException", format, args...)
}
