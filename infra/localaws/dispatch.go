package localaws

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
	"github.com/quarry-dev/quarry/infra/localaws/sns"
	"github.com/quarry-dev/quarry/infra/localaws/sqs"
)

// Service names as the call counters and fault rules use them.
const (
	svcSQS = "sqs"
	svcSNS = "sns"
	svcSES = "ses"
	svcS3  = "s3"
)

// Query protocol versions, which tell SQS from SNS (they share action names).
const (
	versionSQS = "2012-11-05"
	versionSNS = "2010-03-31"
)

// Paths of the endpoint's own (non-AWS) HTTP interface.
const (
	pathAdmin  = "/_localaws/"
	pathCalls  = "/_localaws/calls"
	pathHealth = "/_localaws/health"
	pathMail   = "/_localaws/mail"
	pathQueues = "/_localaws/queues"
)

// ServeHTTP dispatches a request to the service and protocol it speaks.
// Dispatch never relies on Action alone: SQS JSON is told by X-Amz-Target,
// query requests by Version (or the SigV4 credential scope), SES v2 by its
// /v2/email/ path, and what remains is S3.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	switch {
	case r.URL.Path == pathHealth:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
		return
	case r.URL.Path == pathCalls:
		s.serveCalls(w, r)
		return
	case r.URL.Path == pathQueues:
		s.serveQueues(w, r)
		return
	case r.URL.Path == pathMail || strings.HasPrefix(r.URL.Path, pathMail+"/"):
		http.StripPrefix(pathMail, s.ses.Mailbox()).ServeHTTP(w, r)
		return
	case strings.HasPrefix(r.URL.Path, pathAdmin):
		http.NotFound(w, r)
		return
	}

	requestID := awsproto.NewRequestID()
	scope, signed := awsproto.ParseScope(r)
	call := &awsproto.Call{
		Ctx:       r.Context(),
		BaseURL:   awsproto.BaseURL(r),
		Region:    s.cfg.Region,
		RequestID: requestID,
	}
	if signed && scope.Region != "" {
		call.Region = scope.Region
	}

	switch {
	case strings.HasPrefix(r.URL.Path, "/v2/email/") && (!signed || scope.Service == "ses" || scope.Service == "email"):
		s.serveSES(w, r, call)
	case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS."):
		s.serveSQSJSON(w, r, call)
	case r.Header.Get("X-Amz-Target") != "":
		// Another JSON service (DynamoDB, SSM...): answer as AWS does for
		// an operation the endpoint does not have.
		awsproto.WriteJSONError(w, requestID, "", awsproto.Errorf(http.StatusBadRequest, "UnknownOperationException", "UnknownOperationException",
			"localaws does not serve %s: it speaks SQS, SNS, SES v2 and S3", r.Header.Get("X-Amz-Target")))
	case signed && scope.Service == svcS3:
		s.serveS3(w, r)
	case isQuery(r):
		s.serveQuery(w, r, call, scope.Service)
	default:
		s.serveS3(w, r)
	}
	s.log.Debug("localaws request", "method", r.Method, "path", r.URL.Path, "action", call.Action, "took", time.Since(start))
}

// isQuery reports whether r looks like a query-protocol request: a form body
// or an Action in the query string.
func isQuery(r *http.Request) bool {
	if r.URL.Query().Get("Action") != "" {
		return true
	}
	if r.Method != http.MethodPost {
		return false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded"
}

func (s *Server) serveSQSJSON(w http.ResponseWriter, r *http.Request, call *awsproto.Call) {
	call.Action = strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	s.calls.add(svcSQS, call.Action)
	if e := s.faults.before(call.Ctx, svcSQS, call.Action); e != nil {
		awsproto.WriteJSONError(w, call.RequestID, sqs.Namespace, e)
		return
	}
	release, e := s.holdAPIBody(w, r)
	if e != nil {
		awsproto.WriteJSONError(w, call.RequestID, sqs.Namespace, e)
		return
	}
	defer release()
	body, e := s.readBody(r, s.limits.MaxBody)
	if e != nil {
		awsproto.WriteJSONError(w, call.RequestID, sqs.Namespace, e)
		return
	}
	out, e := s.sqs.ServeJSON(call, body)
	if e != nil {
		awsproto.WriteJSONError(w, call.RequestID, sqs.Namespace, e)
		return
	}
	awsproto.WriteJSON(w, call.RequestID, out)
}

func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, call *awsproto.Call, scopeService string) {
	release, e := s.holdAPIBody(w, r)
	if e != nil {
		awsproto.WriteQueryError(w, sqs.XMLNS, call.RequestID, e)
		return
	}
	defer release()
	body, e := s.readBody(r, s.limits.MaxBody)
	if e != nil {
		awsproto.WriteQueryError(w, sqs.XMLNS, call.RequestID, e)
		return
	}
	form, err := awsproto.ParseForm(r, body)
	if err != nil {
		awsproto.WriteQueryError(w, sqs.XMLNS, call.RequestID,
			awsproto.Errorf(http.StatusBadRequest, "MalformedQueryString", "MalformedQueryString", "malformed form body: %v", err))
		return
	}
	call.Action = form.Get("Action")
	service := svcSQS
	switch version := form.Get("Version"); {
	case version == versionSNS:
		service = svcSNS
	case version == versionSQS:
	case scopeService == svcSNS:
		service = svcSNS
	}
	xmlns := sqs.XMLNS
	if service == svcSNS {
		xmlns = sns.XMLNS
	}
	if call.Action == "" {
		awsproto.WriteQueryError(w, xmlns, call.RequestID,
			awsproto.Errorf(http.StatusBadRequest, "MissingAction", "MissingAction", "The request must contain the parameter Action."))
		return
	}
	// A query request sent to a queue URL path names its queue by the path.
	if service == svcSQS && !form.Has("QueueUrl") && strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 1 {
		form.Set("QueueUrl", call.BaseURL+r.URL.Path)
	}
	s.calls.add(service, call.Action)
	if e := s.faults.before(call.Ctx, service, call.Action); e != nil {
		awsproto.WriteQueryError(w, xmlns, call.RequestID, e)
		return
	}
	var out any
	if service == svcSNS {
		out, e = s.sns.ServeQuery(call, form)
	} else {
		out, e = s.sqs.ServeQuery(call, form)
	}
	if e != nil {
		awsproto.WriteQueryError(w, xmlns, call.RequestID, e)
		return
	}
	awsproto.WriteQuery(w, xmlns, call.Action, call.RequestID, out)
}

func (s *Server) serveSES(w http.ResponseWriter, r *http.Request, call *awsproto.Call) {
	call.Action = s.ses.Route(r.Method, r.URL.Path)
	if call.Action == "" {
		awsproto.WriteRESTError(w, call.RequestID, awsproto.Errorf(http.StatusNotFound, "UnknownOperationException", "UnknownOperationException",
			"no SES v2 operation at %s %s", r.Method, r.URL.Path))
		return
	}
	s.calls.add(svcSES, call.Action)
	if e := s.faults.before(call.Ctx, svcSES, call.Action); e != nil {
		awsproto.WriteRESTError(w, call.RequestID, e)
		return
	}
	release, e := s.holdAPIBody(w, r)
	if e != nil {
		awsproto.WriteRESTError(w, call.RequestID, e)
		return
	}
	defer release()
	body, e := s.readBody(r, s.limits.MaxBody)
	if e != nil {
		awsproto.WriteRESTError(w, call.RequestID, e)
		return
	}
	status, out, e := s.ses.ServeREST(call, r, body)
	if e != nil {
		awsproto.WriteRESTError(w, call.RequestID, e)
		return
	}
	awsproto.WriteRESTJSON(w, call.RequestID, status, out)
}

func (s *Server) serveS3(w http.ResponseWriter, r *http.Request) {
	action := s3Action(r)
	s.calls.add(svcS3, action)
	if e := s.faults.before(r.Context(), svcS3, action); e != nil {
		s3Error(w, e)
		return
	}
	release, e := s.holdBody(w, r, s.limits.MaxObject)
	if e != nil {
		s3Error(w, e)
		return
	}
	defer release()
	s.s3.ServeHTTP(w, r)
}

// s3Action names an S3 request for the call counters (path-style addressing).
func s3Action(r *http.Request) string {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
	bucket, key := parts[0], ""
	if len(parts) == 2 {
		key = parts[1]
	}
	switch {
	case bucket == "":
		return "ListBuckets"
	case key == "":
		switch r.Method {
		case http.MethodPut:
			return "CreateBucket"
		case http.MethodDelete:
			return "DeleteBucket"
		case http.MethodHead:
			return "HeadBucket"
		case http.MethodPost:
			return "DeleteObjects"
		default:
			return "ListObjects"
		}
	default:
		switch r.Method {
		case http.MethodPut:
			if r.Header.Get("X-Amz-Copy-Source") != "" {
				return "CopyObject"
			}
			return "PutObject"
		case http.MethodDelete:
			return "DeleteObject"
		case http.MethodHead:
			return "HeadObject"
		case http.MethodPost:
			return "MultipartUpload"
		default:
			return "GetObject"
		}
	}
}

// serveCalls answers GET /_localaws/calls with the call counters as JSON
// ({"sqs":{"SendMessage":3}}) and DELETE with a reset.
func (s *Server) serveCalls(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.calls.snapshot())
	case http.MethodDelete:
		s.calls.reset()
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// Calls returns the call counters: service → action → count.
func (s *Server) Calls() map[string]map[string]int64 { return s.calls.snapshot() }

// ResetCalls sets every call counter to zero.
func (s *Server) ResetCalls() { s.calls.reset() }
