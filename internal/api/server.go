package api

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/internal/apiauth"
	"github.com/quarry-dev/quarry/internal/jobstatus"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/pipeline/suppression"
)

//go:embed openapi.yaml
var specYAML []byte

// Spec returns the OpenAPI document the server validates requests against
// and serves at /openapi.yaml.
func Spec() []byte { return bytes.Clone(specYAML) }

// Verifier checks a bearer token; *apiauth.Verifier is one.
type Verifier interface {
	Verify(token string) (apiauth.Claims, error)
}

// PermissionSource answers what a subject may do; *apiauth.Cache is one.
type PermissionSource interface {
	Permissions(ctx context.Context, subject string) (apiauth.Permissions, error)
}

// Publisher publishes jobs to the jobs topic; *infra.Publisher is one.
type Publisher interface {
	Publish(ctx context.Context, job messages.Job) (string, error)
	PublishBatch(ctx context.Context, jobs []messages.Job) error
}

// MirrorFunc copies a suppression change into SES's account-level list
// (QUARRY_SES_MIRROR_SUPPRESSIONS); add is false for a removal.
type MirrorFunc func(ctx context.Context, address string, r suppression.Reason, add bool) error

// Config is what the server works with. Pass it by value; New fills in
// defaults on its own copy.
type Config struct {
	// Verifier checks bearer tokens. Required.
	Verifier Verifier
	// Permissions answers what a subject may do. Required.
	Permissions PermissionSource
	// Redis holds the rate-limit schedules. Required.
	Redis redis.UniversalClient
	// Prefix starts the rate-limit keys (QUARRY_REDIS_PREFIX): redis_rate
	// stores "rate:" + Prefix + "api:" + subject.
	Prefix string
	// RatePerMinute is how many requests a subject may make per minute.
	// Defaults to 600.
	RatePerMinute int
	// RateBurst is how many requests a subject may make at once. Defaults
	// to 60.
	RateBurst int
	// SQS and Topology reach the queues. Required.
	SQS      jobstatus.SQS
	Topology infra.Topology
	// Endpoint is the SQS endpoint in use (AWS_ENDPOINT_URL); localaws
	// answers the oldest-message ages. Empty means AWS.
	Endpoint string
	// Publisher publishes jobs. Required.
	Publisher Publisher
	// Claims holds the fleet's claim records, which a job's report reads.
	// Required.
	Claims *idempotency.Store
	// Suppressions is the suppression list. Required.
	Suppressions *suppression.Store
	// Mirror, when set, copies hard-bounce and complaint changes into SES.
	Mirror MirrorFunc
	// MaxBodyBytes bounds a request body. Defaults to 1 MiB.
	MaxBodyBytes int64
	// MaxBatch bounds the jobs of one POST /v1/jobs. Defaults to 100.
	MaxBatch int
	// Logger gets one audit line per write and the server's errors.
	Logger zerolog.Logger
}

func (c Config) withDefaults() Config {
	if c.RatePerMinute <= 0 {
		c.RatePerMinute = 600
	}
	if c.RateBurst <= 0 {
		c.RateBurst = 60
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 100
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Verifier == nil:
		return errors.New("api: Verifier is required")
	case c.Permissions == nil:
		return errors.New("api: Permissions is required")
	case c.Redis == nil:
		return errors.New("api: Redis is required")
	case c.SQS == nil:
		return errors.New("api: SQS is required")
	case c.Publisher == nil:
		return errors.New("api: Publisher is required")
	case c.Claims == nil:
		return errors.New("api: Claims is required")
	case c.Suppressions == nil:
		return errors.New("api: Suppressions is required")
	}
	return c.Topology.Validate()
}

// Server is the HTTP API. It is safe for concurrent use.
type Server struct {
	cfg     Config
	log     zerolog.Logger
	spec    *openapi3.T
	rate    *redis_rate.Limiter
	limit   redis_rate.Limit
	handler http.Handler
}

// New checks the configuration and the OpenAPI document and builds the
// routes.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	spec, err := LoadSpec()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger.With().Str("component", "api").Logger(), spec: spec,
		rate:  redis_rate.NewLimiter(cfg.Redis),
		limit: redis_rate.Limit{Rate: cfg.RatePerMinute, Period: time.Minute, Burst: cfg.RateBurst},
	}
	mux := http.NewServeMux()
	for _, rt := range Routes() {
		op := spec.Paths.Find(rt.Path)
		if op == nil || op.GetOperation(rt.Method) == nil {
			return nil, fmt.Errorf("api: route %s %s is not in the OpenAPI document", rt.Method, rt.Path)
		}
		mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt, op))
	}
	mux.Handle("/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Status: http.StatusNotFound, Message: "no such route: " + r.Method + " " + r.URL.Path + " (see /openapi.yaml)"})
	}))
	s.static(mux)
	s.handler = mux
	return s, nil
}

// LoadSpec parses and validates the embedded OpenAPI document.
func LoadSpec() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData(specYAML)
	if err != nil {
		return nil, fmt.Errorf("api: loading the OpenAPI document: %w", err)
	}
	if err := spec.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("api: the OpenAPI document is not valid: %w", err)
	}
	return spec, nil
}

// ServeHTTP serves the API, the console and the documentation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Route is one route of the API.
type Route struct {
	Method string
	// Path is the path as the OpenAPI document writes it; ServeMux takes
	// the same {name} wildcards.
	Path string
	// Permission is what the subject needs; empty for a public route.
	Permission string
	handle     func(s *Server, c *call) error
}

// Permissions the routes need.
const (
	// PermJobsPublish is the prefix of the permission to publish a job
	// type: jobs:publish:fetch.document, or jobs:publish:* for every type.
	PermJobsPublish       = "jobs:publish:"
	PermJobsRead          = "jobs:read"
	PermQueuesRead        = "queues:read"
	PermDLQRead           = "dlq:read"
	PermDLQWrite          = "dlq:write"
	PermSuppressionsRead  = "suppressions:read"
	PermSuppressionsWrite = "suppressions:write"
)

// Routes is every route the server answers outside the console and the
// documentation pages; each is an operation of the OpenAPI document.
func Routes() []Route {
	return []Route{
		{http.MethodGet, "/healthz", "", (*Server).health},
		{http.MethodGet, "/openapi.yaml", "", (*Server).serveSpec},
		{http.MethodPost, "/v1/jobs", PermJobsPublish, (*Server).publishJobs},
		{http.MethodGet, "/v1/jobs/{id}", PermJobsRead, (*Server).getJob},
		{http.MethodGet, "/v1/queues", PermQueuesRead, (*Server).listQueues},
		{http.MethodGet, "/v1/dlq/{queue}", PermDLQRead, (*Server).peekDLQ},
		{http.MethodPost, "/v1/dlq/{queue}/redrive", PermDLQWrite, (*Server).redriveDLQ},
		{http.MethodDelete, "/v1/dlq/{queue}/{messageId}", PermDLQWrite, (*Server).deleteDLQMessage},
		{http.MethodGet, "/v1/suppressions", PermSuppressionsRead, (*Server).getSuppressions},
		{http.MethodPost, "/v1/suppressions", PermSuppressionsWrite, (*Server).addSuppression},
		{http.MethodDelete, "/v1/suppressions", PermSuppressionsWrite, (*Server).removeSuppression},
	}
}

// call is one request on its way through a route.
type call struct {
	w       http.ResponseWriter
	r       *http.Request
	subject string
	// perms is what the subject may do, narrowed by its token's scope.
	perms apiauth.Permissions
	body  []byte
	// audit gathers what a write changed, for its audit line.
	audit map[string]any
	// status is what the handler answered.
	status int
}

// respond writes v as JSON with the status.
func (c *call) respond(status int, v any) error {
	c.status = status
	c.w.Header().Set("Content-Type", "application/json")
	// Answers name addresses and jobs: no cache keeps them.
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.WriteHeader(status)
	if v == nil {
		return nil
	}
	return json.NewEncoder(c.w).Encode(v)
}

// note adds a field to the write's audit line.
func (c *call) note(key string, v any) { c.audit[key] = v }

// Error is an answer other than success: a status, a message, and the
// field of the request at fault when there is one.
type Error struct {
	Status  int    `json:"-"`
	Message string `json:"error"`
	Field   string `json:"field,omitempty"`
	// RetryAfter is set on 429.
	RetryAfter time.Duration `json:"-"`
	// missingToken marks a 401 for a request without a token.
	missingToken bool
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

func badRequest(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Field: field, Message: fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	switch e.Status {
	case http.StatusUnauthorized:
		// RFC 6750: no error code when the request carried no token.
		if e.missingToken {
			w.Header().Set("WWW-Authenticate", `Bearer realm="quarry"`)
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="quarry", error="invalid_token"`)
		}
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(e.RetryAfter.Round(time.Second)/time.Second))))
	}
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(e)
}

// wrap runs a route: authentication, rate limit, permission, body,
// validation, handler, audit line.
func (s *Server) wrap(rt Route, item *openapi3.PathItem) http.Handler {
	op := item.GetOperation(rt.Method)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r, audit: map[string]any{}}
		defer func() {
			// A handler's panic is this request's failure, logged with its
			// stack, not the process's.
			if p := recover(); p != nil {
				s.log.Error().Str("route", rt.Method+" "+rt.Path).Str("subject", c.subject).Interface("panic", p).
					Str("stack", string(debug.Stack())).Msg("api handler panicked")
				if c.status == 0 {
					writeError(w, &Error{Status: http.StatusInternalServerError, Message: "internal error"})
				}
			}
		}()
		err := s.serve(c, rt, item, op)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				s.log.Error().Err(err).Str("route", rt.Method+" "+rt.Path).Str("subject", c.subject).Msg("api call failed")
				e = &Error{Status: http.StatusInternalServerError, Message: err.Error()}
			}
			c.status = e.Status
			writeError(w, e)
		}
		if rt.Method != http.MethodGet && c.subject != "" && c.status != 0 {
			s.auditLine(c, rt, err)
		}
	})
}

func (s *Server) serve(c *call, rt Route, item *openapi3.PathItem, op *openapi3.Operation) error {
	r := c.r
	if rt.Permission != "" {
		if err := s.authorize(c, rt.Permission); err != nil {
			return err
		}
	}
	if r.Body != nil {
		body, err := io.ReadAll(http.MaxBytesReader(c.w, r.Body, s.cfg.MaxBodyBytes))
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return &Error{Status: http.StatusRequestEntityTooLarge, Field: "body", Message: fmt.Sprintf("the body is over %d bytes", s.cfg.MaxBodyBytes)}
			}
			return badRequest("body", "reading the body: %v", err)
		}
		c.body = body
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if err := s.validate(r, rt, item, op); err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(c.body))
	return rt.handle(s, c)
}

// authorize checks the token, the subject's rate and its permission.
func (s *Server) authorize(c *call, perm string) error {
	h := c.r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return &Error{Status: http.StatusUnauthorized, Field: "Authorization", Message: "a bearer token is required (Authorization: Bearer <JWT>)", missingToken: true}
	}
	claims, err := s.cfg.Verifier.Verify(strings.TrimSpace(token))
	if err != nil {
		return &Error{Status: http.StatusUnauthorized, Field: "Authorization", Message: err.Error()}
	}
	c.subject = claims.Subject
	res, err := s.rate.Allow(c.r.Context(), s.cfg.Prefix+"api:"+claims.Subject, s.limit)
	if err != nil {
		return fmt.Errorf("rate limit of %s: %w", claims.Subject, err)
	}
	if res.Allowed == 0 {
		return &Error{Status: http.StatusTooManyRequests, RetryAfter: res.RetryAfter,
			Message: fmt.Sprintf("%s is over its rate of %d requests a minute", claims.Subject, s.cfg.RatePerMinute)}
	}
	perms, err := s.cfg.Permissions.Permissions(c.r.Context(), claims.Subject)
	if err != nil {
		return fmt.Errorf("permissions of %s: %w", claims.Subject, err)
	}
	c.perms = perms.Narrow(claims.Scopes())
	// A permission ending in ":" is a family: the route needs one of it
	// here, and its handler checks the one each request needs.
	if family, ok := strings.CutSuffix(perm, ":"); ok {
		if !c.perms.HasUnder(perm) {
			return &Error{Status: http.StatusForbidden, Message: fmt.Sprintf("%s may not do this: it needs a permission %s:<job type>", claims.Subject, family)}
		}
		return nil
	}
	if !c.perms.Has(perm) {
		return &Error{Status: http.StatusForbidden, Message: fmt.Sprintf("%s may not do this: it needs the permission %s", claims.Subject, perm)}
	}
	return nil
}

// validate checks the request against its operation in the OpenAPI
// document and names the field at fault.
func (s *Server) validate(r *http.Request, rt Route, item *openapi3.PathItem, op *openapi3.Operation) error {
	params := map[string]string{}
	for _, p := range op.Parameters {
		if p.Value != nil && p.Value.In == openapi3.ParameterInPath {
			params[p.Value.Name] = r.PathValue(p.Value.Name)
		}
	}
	for _, p := range item.Parameters {
		if p.Value != nil && p.Value.In == openapi3.ParameterInPath {
			params[p.Value.Name] = r.PathValue(p.Value.Name)
		}
	}
	in := &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params,
		Route:   &routers.Route{Spec: s.spec, Path: rt.Path, PathItem: item, Method: rt.Method, Operation: op},
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SkipSettingDefaults: true},
	}
	err := openapi3filter.ValidateRequest(r.Context(), in)
	if err == nil {
		return nil
	}
	return requestError(err)
}

// requestError turns a validation failure into a 400 naming the field.
func requestError(err error) *Error {
	re, ok := errors.AsType[*openapi3filter.RequestError](err)
	if !ok {
		return badRequest("", "%v", err)
	}
	field := "body"
	if re.Parameter != nil {
		field = re.Parameter.Name
	}
	reason := re.Reason
	if se, ok := errors.AsType[*openapi3.SchemaError](re.Err); ok {
		if ptr := se.JSONPointer(); re.Parameter == nil {
			// An unknown property is reported at its parent: name it.
			if name, ok := unsupportedProperty(se.Reason); ok {
				ptr = append(ptr, name)
			}
			if len(ptr) > 0 {
				field = strings.Join(ptr, ".")
			}
		}
		reason = se.Reason
	} else if re.Err != nil {
		reason = strings.TrimSpace(strings.TrimPrefix(re.Error(), reason+":"))
		if re.Reason != "" && !strings.Contains(reason, re.Reason) {
			reason = re.Reason + ": " + reason
		}
	}
	if reason == "" {
		reason = re.Error()
	}
	if strings.Contains(reason, "header Content-Type") {
		field = "Content-Type"
	}
	if strings.Trim(field, ".") == "" {
		field = "body"
	}
	return badRequest(field, "%s", reason)
}

// unsupportedProperty reads the name out of kin-openapi's reason for a
// property additionalProperties: false refuses.
func unsupportedProperty(reason string) (string, bool) {
	rest, ok := strings.CutPrefix(reason, `property "`)
	if !ok {
		return "", false
	}
	name, tail, ok := strings.Cut(rest, `"`)
	return name, ok && strings.TrimSpace(tail) == "is unsupported"
}

// auditLine logs one write: who, which route, what answer, what changed.
func (s *Server) auditLine(c *call, rt Route, err error) {
	ev := s.log.Info()
	if c.status >= 400 {
		ev = s.log.Warn()
	}
	ev = ev.Str("audit", "api").Str("subject", c.subject).Str("method", rt.Method).Str("route", rt.Path).
		Str("path", c.r.URL.Path).Int("status", c.status)
	if err != nil {
		ev = ev.Str("error", err.Error())
	}
	ev.Fields(c.audit).Msg("api write")
}

func (s *Server) health(c *call) error {
	return c.respond(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) serveSpec(c *call) error {
	c.status = http.StatusOK
	c.w.Header().Set("Content-Type", "application/yaml")
	_, err := c.w.Write(specYAML)
	return err
}

var _ http.Handler = (*Server)(nil)
