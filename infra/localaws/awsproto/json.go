package awsproto

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// ContentTypeJSON10 is the content type of the AWS JSON 1.0 protocol.
const ContentTypeJSON10 = "application/x-amz-json-1.0"

// WriteJSON writes a successful AWS JSON 1.0 answer. A nil v writes {}.
func WriteJSON(w http.ResponseWriter, requestID string, v any) {
	body := []byte("{}")
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			WriteJSONError(w, requestID, "", InternalError("encoding response: "+err.Error()))
			return
		}
		body = b
	}
	h := w.Header()
	h.Set("Content-Type", ContentTypeJSON10)
	h.Set("x-amzn-RequestId", requestID)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// WriteJSONError writes an AWS JSON 1.0 error with the awsQueryCompatible
// x-amzn-query-error header, so SDKs report the query code. namespace is the
// shape namespace, e.g. "com.amazonaws.sqs".
func WriteJSONError(w http.ResponseWriter, requestID, namespace string, e *Error) {
	typ := e.ShapeName()
	if namespace != "" {
		typ = namespace + "#" + typ
	}
	body, _ := json.Marshal(map[string]string{"__type": typ, "message": e.Message})
	h := w.Header()
	h.Set("Content-Type", ContentTypeJSON10)
	h.Set("x-amzn-RequestId", requestID)
	h.Set("x-amzn-query-error", e.Code+";"+e.FaultType())
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// WriteRESTJSON writes a successful REST-JSON answer (SES v2). A nil v writes {}.
func WriteRESTJSON(w http.ResponseWriter, requestID string, status int, v any) {
	body := []byte("{}")
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			WriteRESTError(w, requestID, InternalError("encoding response: "+err.Error()))
			return
		}
		body = b
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-amzn-RequestId", requestID)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// WriteRESTError writes a REST-JSON error: X-Amzn-ErrorType header and a body
// carrying both __type and message, which every SDK accepts.
func WriteRESTError(w http.ResponseWriter, requestID string, e *Error) {
	body, _ := json.Marshal(map[string]string{"__type": e.Code, "message": e.Message})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-amzn-RequestId", requestID)
	h.Set("X-Amzn-ErrorType", e.Code)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
