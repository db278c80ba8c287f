package sns

import (
	"fmt"
	"net/http"
	"unicode"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// Query error codes (reference §3.9). Code is what the <Code> element
// carries and what the SDK maps to its typed exception.
const (
	codeNotFound              = "NotFound"
	codeInvalidParameter      = "InvalidParameter"
	codeParameterValueInvalid = "ParameterValueInvalid"
	codeValidationError       = "ValidationError"
	codeResourceNotFound      = "ResourceNotFound"
	codeFilterPolicyLimit     = "FilterPolicyLimitExceeded"
	codeTagLimitExceeded      = "TagLimitExceeded"
	codeEmptyBatch            = "EmptyBatchRequest"
	codeTooManyEntries        = "TooManyEntriesInBatchRequest"
	codeBatchIDsNotDistinct   = "BatchEntryIdsNotDistinct"
	codeInvalidBatchEntryID   = "InvalidBatchEntryId"
	codeBatchRequestTooLong   = "BatchRequestTooLong"
)

func errInvalidAction(action string) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, "InvalidAction", "InvalidAction",
		"The action %s is not valid for this endpoint.", action)
}

func errTopicNotFound() *awsproto.Error {
	return awsproto.Errorf(http.StatusNotFound, codeNotFound, "NotFoundException", "Topic does not exist")
}

func errSubscriptionNotFound() *awsproto.Error {
	return awsproto.Errorf(http.StatusNotFound, codeNotFound, "NotFoundException", "Subscription does not exist")
}

func errResourceNotFound() *awsproto.Error {
	return awsproto.Errorf(http.StatusNotFound, codeResourceNotFound, "ResourceNotFoundException", "Resource does not exist")
}

// errInvalidParameter answers "Invalid parameter: <reason>".
func errInvalidParameter(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, codeInvalidParameter, "InvalidParameterException",
		"Invalid parameter: %s", fmt.Sprintf(format, args...))
}

// errParameterValueInvalid is the code SNS uses for message-attribute
// problems.
func errParameterValueInvalid(format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, codeParameterValueInvalid, "InvalidParameterValueException", format, args...)
}

// errMissing answers a required member that was not sent, in the words of
// AWS's generic validation: the member is named in lower camel case.
func errMissing(member string) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, codeValidationError, "ValidationException",
		"1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", lowerFirst(member))
}

func errFilterPolicyLimit() *awsproto.Error {
	return awsproto.Errorf(http.StatusForbidden, codeFilterPolicyLimit, "FilterPolicyLimitExceededException",
		"Filter policy limit exceeded: a topic takes at most %d subscriptions with a filter policy", maxFilterPoliciesPerTopic)
}

func errTagLimit() *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, codeTagLimitExceeded, "TagLimitExceededException",
		"Could not complete request: tag quota of per resource exceeded")
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}
