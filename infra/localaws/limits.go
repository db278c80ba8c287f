package localaws

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// Limits bound what requests may make the endpoint hold. Zero fields take
// the defaults.
type Limits struct {
	// MaxBody bounds one SQS, SNS or SES request body. Default 48 MiB
	// (SES v2 takes raw messages up to 40 MB).
	MaxBody int64
	// MaxObject bounds one S3 object upload (PutObject, a multipart part).
	// Default 64 MiB, the largest document a fetch keeps; S3 itself
	// takes 5 GiB in one PUT.
	MaxObject int64
	// MaxInFlight bounds the request bodies held at once, all requests
	// together: a request whose body does not fit waits for others to
	// finish (up to InFlightWait), then gets a 503 to retry. An SQS, SNS or
	// SES body counts three times its size (it is decoded in memory), an
	// S3 body once. Default 256 MiB.
	MaxInFlight int64
	// InFlightWait is how long a request waits for room. Default 30s.
	InFlightWait time.Duration
	// BodyIdleTimeout drops a request whose body sends nothing for this
	// long (a stalled or deliberately slow client). Default 10s.
	BodyIdleTimeout time.Duration
}

// Defaults of Limits.
const (
	DefaultMaxBody         = 48 << 20
	DefaultMaxObject       = 64 << 20
	DefaultMaxInFlight     = 256 << 20
	DefaultInFlightWait    = 30 * time.Second
	DefaultBodyIdleTimeout = 10 * time.Second
)

func (l Limits) withDefaults() Limits {
	l.MaxBody = cmp.Or(l.MaxBody, DefaultMaxBody)
	l.MaxObject = cmp.Or(l.MaxObject, DefaultMaxObject)
	l.MaxInFlight = cmp.Or(l.MaxInFlight, DefaultMaxInFlight)
	l.InFlightWait = cmp.Or(l.InFlightWait, DefaultInFlightWait)
	l.BodyIdleTimeout = cmp.Or(l.BodyIdleTimeout, DefaultBodyIdleTimeout)
	return l
}

func (l Limits) validate() error {
	if l.MaxBody < 0 || l.MaxObject < 0 || l.MaxInFlight < 0 || l.InFlightWait < 0 || l.BodyIdleTimeout < 0 {
		return errors.New("localaws: limits must not be negative")
	}
	return nil
}

// budget counts the request-body bytes held by all requests together.
type budget struct {
	mu   sync.Mutex
	free int64
	wake chan struct{} // closed when bytes are released
	held atomic.Int64
	peak atomic.Int64
}

func newBudget(n int64) *budget { return &budget{free: n} }

// acquire takes n bytes, waiting until they are free or ctx ends.
func (b *budget) acquire(ctx context.Context, n int64) error {
	for {
		b.mu.Lock()
		if b.free >= n {
			b.free -= n
			b.mu.Unlock()
			h := b.held.Add(n)
			for p := b.peak.Load(); h > p && !b.peak.CompareAndSwap(p, h); p = b.peak.Load() {
			}
			return nil
		}
		if b.wake == nil {
			b.wake = make(chan struct{})
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *budget) release(n int64) {
	b.held.Add(-n)
	b.mu.Lock()
	b.free += n
	if b.wake != nil {
		close(b.wake)
		b.wake = nil
	}
	b.mu.Unlock()
}

// PeakBodyBytes is the most request-body bytes the endpoint has held at
// once since it started; it stays within Limits.MaxInFlight.
func (s *Server) PeakBodyBytes() int64 { return s.bodies.peak.Load() }

// idleReader drops a body that sends nothing for d: each Read gets a
// fresh read deadline on the connection.
type idleReader struct {
	r        io.Reader
	rc       *http.ResponseController
	d        time.Duration
	timedOut bool
}

func (ir *idleReader) Read(p []byte) (int, error) {
	_ = ir.rc.SetReadDeadline(time.Now().Add(ir.d))
	n, err := ir.r.Read(p)
	switch {
	case err == io.EOF:
		// The whole body is in: the handler may now wait (a long poll)
		// with the connection idle, and the server's background read,
		// which notices a client that hangs up, must not time out.
		_ = ir.rc.SetReadDeadline(time.Time{})
	case errors.Is(err, os.ErrDeadlineExceeded):
		ir.timedOut = true
		err = errBodyTimeout
	}
	return n, err
}

var errBodyTimeout = errors.New("request body timed out")

// watchBody reads r's body under the idle timeout d.
func watchBody(w http.ResponseWriter, r *http.Request, d time.Duration) *idleReader {
	return &idleReader{r: r.Body, rc: http.NewResponseController(w), d: d}
}

// done clears the read deadline once the body is no longer read. After a
// timeout the deadline stays, so the server's own read of what is left
// of the body fails at once and the connection closes.
func (ir *idleReader) done() {
	if !ir.timedOut {
		_ = ir.rc.SetReadDeadline(time.Time{})
	}
}

// holdBody makes room for the body of r in the in-flight budget and
// bounds it to limit bytes and to the idle timeout. It returns the
// release function, or the error to answer with: 413 over the limit, 503
// when no room came free in time.
func (s *Server) holdBody(w http.ResponseWriter, r *http.Request, limit int64) (func(), *awsproto.Error) {
	return s.holdBodyFactor(w, r, limit, 1)
}

// apiBodyFactor is what an SQS, SNS or SES body costs in memory, in
// multiples of its size: the bytes read, the decoded copy of the largest
// field (a message, a raw mail) and the parser's own.
const apiBodyFactor = 3

// holdAPIBody is holdBody for a request that is read into memory and
// decoded there.
func (s *Server) holdAPIBody(w http.ResponseWriter, r *http.Request) (func(), *awsproto.Error) {
	return s.holdBodyFactor(w, r, s.limits.MaxBody, apiBodyFactor)
}

func (s *Server) holdBodyFactor(w http.ResponseWriter, r *http.Request, limit, factor int64) (func(), *awsproto.Error) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return func() {}, nil
	}
	if r.ContentLength > limit {
		drainRefused(w, r, s.limits.BodyIdleTimeout)
		return nil, tooLarge(limit)
	}
	n := r.ContentLength
	if n < 0 {
		n = limit // unknown length: room for the most it may be
	}
	n = min(n*factor, s.limits.MaxInFlight)
	ctx, cancel := context.WithTimeout(r.Context(), s.limits.InFlightWait)
	err := s.bodies.acquire(ctx, n)
	cancel()
	if err != nil {
		return nil, &awsproto.Error{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Type: "ServiceUnavailable", Server: true,
			Message: fmt.Sprintf("localaws holds %d bytes of request bodies, its limit; retry", s.limits.MaxInFlight)}
	}
	ir := watchBody(w, r, s.limits.BodyIdleTimeout)
	r.Body = http.MaxBytesReader(w, struct {
		io.Reader
		io.Closer
	}{ir, r.Body}, limit)
	return func() {
		ir.done()
		s.bodies.release(n)
	}, nil
}

// drainLimit bounds what is read and dropped of a body refused for its
// size before the refusal is sent.
const drainLimit = 256 << 20

// drainRefused reads and drops the body of a request refused for its size,
// none of it kept, so that the client reads the refusal. The AWS SDK writes
// the whole body before it reads an answer: its requests ask for
// "Expect: 100-continue" but are not marked HTTP/1.1, so Go's transport
// does not wait for the 100. Answered before its body is in, such a client
// met the server closing a connection with unread data, a reset, and
// retried, instead of reading EntityTooLarge. A body over drainLimit, or
// one that stalls past the idle timeout, is not waited for.
func drainRefused(w http.ResponseWriter, r *http.Request, idle time.Duration) {
	if r.ContentLength > drainLimit {
		return
	}
	ir := watchBody(w, r, idle)
	_, _ = io.Copy(io.Discard, ir)
	ir.done()
}

func tooLarge(limit int64) *awsproto.Error {
	return awsproto.Errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "RequestEntityTooLarge", "request body is larger than localaws's limit of %d bytes", limit)
}

// readBody reads a held body (see holdBody) into memory.
func (s *Server) readBody(r *http.Request, limit int64) ([]byte, *awsproto.Error) {
	var buf []byte
	if r.ContentLength > 0 && r.ContentLength <= limit {
		buf = make([]byte, 0, r.ContentLength)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, bodyError(err, limit)
		}
	}
}

func bodyError(err error, limit int64) *awsproto.Error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return tooLarge(limit)
	case errors.Is(err, errBodyTimeout):
		return awsproto.Errorf(http.StatusBadRequest, "RequestTimeout", "RequestTimeout",
			"Your socket connection to the server was not read from or written to within the timeout period.")
	default:
		return awsproto.Errorf(http.StatusBadRequest, "InvalidRequest", "InvalidRequest", "reading request body: %v", err)
	}
}

// s3Error writes an S3 error document.
func s3Error(w http.ResponseWriter, e *awsproto.Error) {
	code := e.Code
	switch code {
	case "RequestEntityTooLarge":
		code = "EntityTooLarge" // S3's name, with status 400
		e = &awsproto.Error{Status: http.StatusBadRequest, Code: code, Message: e.Message}
	case "ServiceUnavailable", "Throttling":
		code = "SlowDown"
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(s3ErrorDoc(code, e.Message))))
	w.WriteHeader(e.Status)
	_, _ = io.WriteString(w, s3ErrorDoc(code, e.Message))
}

func s3ErrorDoc(code, msg string) string {
	return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + msg + "</Message></Error>"
}
