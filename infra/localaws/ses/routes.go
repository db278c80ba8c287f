package ses

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// label marks a path segment that is a parameter ({EmailIdentity} and the
// like) in a route pattern.
const label = "{}"

// request is one SES v2 call as a handler sees it.
type request struct {
	call   *awsproto.Call
	http   *http.Request
	labels []string // decoded path labels, in order
	query  url.Values
	body   []byte
}

// route maps a method and a path under /v2/email/ to an operation.
type route struct {
	method  string
	pattern []string
	action  string
	handle  func(*request) (any, *awsproto.Error)
}

// routeTable lists the operations the service answers. ListEmailIdentities
// and ListConfigurationSets appear twice: older SDKs and the AWS CLI use
// GET on the collection, current SDKs POST to list-identities and
// list-configuration-sets.
func (s *Service) routeTable() []route {
	r := func(method, path, action string, h func(*request) (any, *awsproto.Error)) route {
		return route{method: method, pattern: strings.Split(path, "/"), action: action, handle: h}
	}
	const (
		get, post, put, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	)
	return []route{
		r(post, "outbound-emails", "SendEmail", s.sendEmail),

		r(get, "account", "GetAccount", s.getAccount),
		r(put, "account/sending", "PutAccountSendingAttributes", s.putAccountSendingAttributes),
		r(put, "account/suppression", "PutAccountSuppressionAttributes", s.putAccountSuppressionAttributes),

		r(put, "suppression/addresses", "PutSuppressedDestination", s.putSuppressedDestination),
		r(get, "suppression/addresses", "ListSuppressedDestinations", s.listSuppressedDestinations),
		r(get, "suppression/addresses/{}", "GetSuppressedDestination", s.getSuppressedDestination),
		r(del, "suppression/addresses/{}", "DeleteSuppressedDestination", s.deleteSuppressedDestination),

		r(post, "identities", "CreateEmailIdentity", s.createEmailIdentity),
		r(get, "identities", "ListEmailIdentities", s.listEmailIdentities),
		r(post, "list-identities", "ListEmailIdentities", s.listEmailIdentities),
		r(get, "identities/{}", "GetEmailIdentity", s.getEmailIdentity),
		r(del, "identities/{}", "DeleteEmailIdentity", s.deleteEmailIdentity),
		r(put, "identities/{}/feedback", "PutEmailIdentityFeedbackAttributes", s.putEmailIdentityFeedbackAttributes),

		r(post, "templates", "CreateEmailTemplate", s.createEmailTemplate),
		r(get, "templates", "ListEmailTemplates", s.listEmailTemplates),
		r(get, "templates/{}", "GetEmailTemplate", s.getEmailTemplate),
		r(put, "templates/{}", "UpdateEmailTemplate", s.updateEmailTemplate),
		r(del, "templates/{}", "DeleteEmailTemplate", s.deleteEmailTemplate),
		r(post, "templates/{}/render", "TestRenderEmailTemplate", s.testRenderEmailTemplate),

		r(post, "configuration-sets", "CreateConfigurationSet", s.createConfigurationSet),
		r(get, "configuration-sets", "ListConfigurationSets", s.listConfigurationSets),
		r(post, "list-configuration-sets", "ListConfigurationSets", s.listConfigurationSets),
		r(get, "configuration-sets/{}", "GetConfigurationSet", s.getConfigurationSet),
		r(del, "configuration-sets/{}", "DeleteConfigurationSet", s.deleteConfigurationSet),
		r(put, "configuration-sets/{}/sending", "PutConfigurationSetSendingOptions", s.putConfigurationSetSendingOptions),
		r(put, "configuration-sets/{}/suppression-options", "PutConfigurationSetSuppressionOptions", s.putConfigurationSetSuppressionOptions),
		r(post, "configuration-sets/{}/event-destinations", "CreateConfigurationSetEventDestination", s.createEventDestination),
		r(get, "configuration-sets/{}/event-destinations", "GetConfigurationSetEventDestinations", s.getEventDestinations),
		r(put, "configuration-sets/{}/event-destinations/{}", "UpdateConfigurationSetEventDestination", s.updateEventDestination),
		r(del, "configuration-sets/{}/event-destinations/{}", "DeleteConfigurationSetEventDestination", s.deleteEventDestination),
	}
}

// pathPrefix is where every SES v2 operation lives.
const pathPrefix = "/v2/email/"

// splitPath returns the segments of path below /v2/email/; ok is false for
// other paths. Each segment is percent-decoded when escaped is true.
func splitPath(path string, escaped bool) (segs []string, ok bool) {
	if !strings.HasPrefix(path, pathPrefix) {
		return nil, false
	}
	rest := strings.TrimSuffix(path[len(pathPrefix):], "/")
	if rest == "" {
		return nil, false
	}
	segs = strings.Split(rest, "/")
	if escaped {
		for i, seg := range segs {
			dec, err := url.PathUnescape(seg)
			if err != nil {
				return nil, false
			}
			segs[i] = dec
		}
	}
	return segs, true
}

// match finds the route for method and segments and returns its labels.
func (s *Service) match(method string, segs []string) (*route, []string) {
	for i := range s.routes {
		rt := &s.routes[i]
		if rt.method != method || len(rt.pattern) != len(segs) {
			continue
		}
		var labels []string
		ok := true
		for j, p := range rt.pattern {
			switch {
			case p == label:
				if segs[j] == "" {
					ok = false
				}
				labels = append(labels, segs[j])
			case p != segs[j]:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok {
			return rt, labels
		}
	}
	return nil, nil
}

// Route names the SES v2 operation of a request by method and path
// (e.g. POST /v2/email/outbound-emails → SendEmail); "" when none matches.
// path is the decoded URL path.
func (s *Service) Route(method, path string) string {
	segs, ok := splitPath(path, false)
	if !ok {
		return ""
	}
	if rt, _ := s.match(method, segs); rt != nil {
		return rt.action
	}
	return ""
}

// ServeREST answers one REST-JSON request. status is the HTTP status of a
// successful answer and out its JSON body (nil for {}).
func (s *Service) ServeREST(call *awsproto.Call, r *http.Request, body []byte) (status int, out any, err *awsproto.Error) {
	// Labels are taken from the escaped path, so that an encoded "/" inside
	// a label does not split it.
	segs, ok := splitPath(r.URL.EscapedPath(), true)
	var rt *route
	var labels []string
	if ok {
		rt, labels = s.match(r.Method, segs)
	}
	if rt == nil {
		return 0, nil, sesError(http.StatusNotFound, "UnknownOperationException", "no SES v2 operation at %s %s", r.Method, r.URL.Path)
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("ses: handler failed", "action", rt.action, "panic", p)
			status, out, err = 0, nil, errInternal("internal error while handling %s", rt.action)
		}
	}()
	out, err = rt.handle(&request{call: call, http: r, labels: labels, query: r.URL.Query(), body: body})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

// decode reads the JSON body into v. An empty body is an empty object;
// unknown fields are ignored, as newer SDKs may send them.
func (rq *request) decode(v any) *awsproto.Error {
	body := bytes.TrimSpace(rq.body)
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errBadRequest("Invalid request body: %v", err)
	}
	return nil
}

// sourceIP is the caller's IP address as SES reports it in ses:source-ip.
func (rq *request) sourceIP() string {
	if rq.http == nil {
		return "127.0.0.1"
	}
	host, _, err := net.SplitHostPort(rq.http.RemoteAddr)
	if err != nil || host == "" {
		return "127.0.0.1"
	}
	return host
}

// callerIdentity names the caller as SES reports it in ses:caller-identity:
// the SigV4 access key (there are no IAM users here), or "anonymous" for
// unsigned requests.
func (rq *request) callerIdentity() string {
	if rq.http == nil {
		return "anonymous"
	}
	if scope, ok := awsproto.ParseScope(rq.http); ok && scope.AccessKey != "" {
		return scope.AccessKey
	}
	return "anonymous"
}

// region is the region of the call (its SigV4 scope), else the service's.
func (s *Service) region(rq *request) string {
	if rq.call != nil && rq.call.Region != "" {
		return rq.call.Region
	}
	return s.cfg.Region
}
