package ses

import (
	"net/http"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// sesError builds an SES v2 error. SES v2 errors carry only a code (the
// X-Amzn-ErrorType header and __type), so Code and Type are the same.
func sesError(status int, code, format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(status, code, code, format, args...)
}

func errBadRequest(format string, args ...any) *awsproto.Error {
	return sesError(http.StatusBadRequest, "BadRequestException", format, args...)
}

func errNotFound(format string, args ...any) *awsproto.Error {
	return sesError(http.StatusNotFound, "NotFoundException", format, args...)
}

func errAlreadyExists(format string, args ...any) *awsproto.Error {
	return sesError(http.StatusBadRequest, "AlreadyExistsException", format, args...)
}

func errMessageRejected(format string, args ...any) *awsproto.Error {
	return sesError(http.StatusBadRequest, "MessageRejected", format, args...)
}

func errSendingPaused(format string, args ...any) *awsproto.Error {
	return sesError(http.StatusBadRequest, "SendingPausedException", format, args...)
}

func errLimitExceeded(format string, args ...any) *awsproto.Error {
	return sesError(http.StatusBadRequest, "LimitExceededException", format, args...)
}

func errTooManyRequests(format string, args ...any) *awsproto.Error {
	return sesError(http.StatusTooManyRequests, "TooManyRequestsException", format, args...)
}

func errInvalidNextToken(format string, args ...any) *awsproto.Error {
	return sesError(http.StatusBadRequest, "InvalidNextTokenException", format, args...)
}

func errInternal(format string, args ...any) *awsproto.Error {
	e := sesError(http.StatusInternalServerError, "InternalServiceErrorException", format, args...)
	e.Server = true
	return e
}
