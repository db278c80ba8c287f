package awsproto

import (
	"fmt"
	"net/http"
)

// Error is an AWS service error as the emulator answers it. One value can be
// written in any protocol: Code is the query-protocol code (the <Code> element,
// the x-amzn-query-error header and the REST X-Amzn-ErrorType), Type the JSON
// shape name (the __type of AWS JSON 1.0); when Type is empty Code is used.
type Error struct {
	Status  int    // HTTP status
	Code    string // query code, e.g. AWS.SimpleQueueService.NonExistentQueue
	Type    string // JSON shape name, e.g. QueueDoesNotExist
	Message string
	Server  bool // a Receiver (server) fault rather than a Sender fault
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// ShapeName is the JSON __type without namespace.
func (e *Error) ShapeName() string {
	if e.Type != "" {
		return e.Type
	}
	return e.Code
}

// FaultType is "Sender" or "Receiver".
func (e *Error) FaultType() string {
	if e.Server {
		return "Receiver"
	}
	return "Sender"
}

// Errorf builds a sender-fault error.
func Errorf(status int, code, typ, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Type: typ, Message: fmt.Sprintf(format, args...)}
}

// InternalError is the generic 500 every service answers when it fails.
func InternalError(msg string) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: "InternalError", Type: "InternalError", Message: msg, Server: true}
}
