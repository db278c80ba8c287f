package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gocolly/colly/v2"
	"golang.org/x/net/publicsuffix"
)

// Accept headers the flow sends.
const (
	acceptHTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	formType   = "application/x-www-form-urlencoded"
)

// redirectLoopError is returned by the redirect policy when a request is
// redirected more often than limits.max_redirects allows.
type redirectLoopError struct {
	hops int
	to   string
}

func (e *redirectLoopError) Error() string {
	return fmt.Sprintf("redirected %d times, last to %s", e.hops, e.to)
}

// newCollector builds the flow's colly collector: its own cookie jar and
// connections, revisits allowed (WebForms posts back to the same URL), no
// cache (it is keyed by URL only and would hand one session's PDF to
// another), every error response parsed so it can be classified, and all
// HTTP going through the host guard, the fleet-wide politeness gate and a
// dialer that refuses private addresses.
func (fl *flow) newCollector() {
	c := colly.NewCollector(
		colly.UserAgent(UserAgent(fl.cfg.Version)),
		colly.AllowURLRevisit(),
		colly.ParseHTTPErrorResponse(),
		colly.StdlibContext(fl.flowCtx),
	)
	// NewCollector applies COLLY_* environment variables after the
	// options; reset what they could change so a worker's environment
	// cannot switch on a cache, a domain filter or robots handling.
	c.CacheDir = ""
	c.AllowedDomains, c.DisallowedDomains = nil, nil
	c.URLFilters, c.DisallowedURLFilters = nil, nil
	c.MaxDepth, c.MaxRequests = 0, 0
	c.IgnoreRobotsTxt = true
	c.DetectCharset = false
	c.TraceHTTP = false
	c.Async = false
	c.AllowURLRevisit = true
	c.ParseHTTPErrorResponse = true
	c.UserAgent = UserAgent(fl.cfg.Version)

	// A cookiejar with the public suffix list only fails on a nil list.
	jar, _ := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	c.SetCookieJar(jar)

	dialer := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second, Control: dialControl(fl.cfg.AllowPrivateNetworks || fl.r.Site.AllowPrivateNetworks)}
	base := &http.Transport{
		// No proxy from the environment: a proxy would make the dial guard
		// check the proxy's address instead of the site's.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    15 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 256 << 10,
	}
	fl.closeIdle = base.CloseIdleConnections
	pol := fl.r.Politeness
	c.WithTransport(hostGuard{
		allowed: fl.allowed,
		next: politeTransport{
			gate: fl.cfg.Gate, interval: pol.MinInterval.D(), burst: pol.Burst,
			maxRetryAfter: pol.MaxRetryAfter.D(), now: fl.cfg.Now, next: base,
		},
	})
	c.SetRequestTimeout(fl.r.Limits.StepTimeout.D())
	maxRedirects := fl.r.Limits.MaxRedirects
	c.SetRedirectHandler(func(req *http.Request, via []*http.Request) error {
		// Each hop is traced as it happens: the request that was
		// redirected, its status and where it pointed.
		prev := via[len(via)-1]
		hop := StepEvent{Method: prev.Method, URL: prev.URL.String(), Redirect: req.URL.String(), Duration: time.Since(fl.hopAt)}
		if req.Response != nil {
			hop.Status = req.Response.StatusCode
			hop.ContentType = req.Response.Header.Get("Content-Type")
		}
		fl.emit(hop)
		fl.hopMethod, fl.hopAt = req.Method, time.Now()
		if len(via) > maxRedirects {
			return &redirectLoopError{hops: len(via), to: req.URL.String()}
		}
		return nil
	})
	c.OnResponseHeaders(fl.checkHeaders)
	c.OnResponse(func(r *colly.Response) { fl.last = r })
	fl.col = c
}

// checkHeaders refuses a body before it is read: one declared larger than
// the cap, or one colly would decompress itself (a gzip file or an encoding
// the transport did not undo), where the cap would apply to the compressed
// bytes and a small bomb could fill memory.
func (fl *flow) checkHeaders(r *colly.Response) {
	h := r.Headers
	if n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil && n > fl.limit {
		fl.abortErr = failf(ClassTooLarge, fl.label(), "Content-Length %d is over the limit of %d bytes", n, fl.limit)
		r.Request.Abort()
		return
	}
	ce := strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding")))
	ct := strings.ToLower(h.Get("Content-Type"))
	if (ce != "" && ce != "identity") || strings.Contains(ct, "gzip") || strings.HasSuffix(strings.ToLower(r.Request.URL.Path), ".gz") {
		fl.abortErr = failf(ClassNotPDF, fl.label(), "compressed body (Content-Type %q, Content-Encoding %q) refused", ct, ce)
		r.Request.Abort()
	}
}

// request sends one request through the collector and returns the
// response as a page, with truncation and size checked. limit caps the body.
func (fl *flow) request(ctx context.Context, method string, u *url.URL, body, accept string, limit int64) (*page, error) {
	sctx, cancel := context.WithTimeout(ctx, fl.stepTimeout())
	defer cancel()

	hdr := http.Header{}
	hdr.Set("User-Agent", UserAgent(fl.cfg.Version))
	hdr.Set("Accept", accept)
	hdr.Set("Accept-Language", "en-US,en;q=0.8")
	if fl.cur != nil {
		hdr.Set("Referer", fl.cur.url.String())
	}
	var rd io.Reader
	if method == http.MethodPost {
		hdr.Set("Content-Type", formType)
		hdr.Set("Origin", u.Scheme+"://"+u.Host)
		rd = strings.NewReader(body)
	}

	// The collector is used by this goroutine only, and Request reads
	// these fields synchronously.
	fl.col.Context = sctx
	fl.col.SetRequestTimeout(fl.stepTimeout())
	fl.col.MaxBodySize = int(min(limit+1, int64(^uint(0)>>1)))
	fl.last, fl.abortErr, fl.limit = nil, nil, limit

	fl.hopMethod, fl.hopAt = method, time.Now()
	err := fl.col.Request(method, u.String(), rd, colly.NewContext(), hdr)
	took := time.Since(fl.hopAt) // since the last redirect hop, if any
	if fl.abortErr != nil {
		fl.emit(StepEvent{Method: method, URL: u.String(), Duration: took, Err: fl.abortErr})
		return nil, fl.abortErr
	}
	if err != nil {
		return nil, fl.transportFailure(sctx, u, err)
	}
	if fl.last == nil {
		return nil, failf(ClassNetwork, fl.label(), "%s %s: no response", method, u)
	}
	r := fl.last
	final := u
	if r.Request != nil && r.Request.URL != nil {
		final = r.Request.URL
	}
	p := newPage(final, r.StatusCode, *r.Headers, r.Body)
	fl.emit(StepEvent{Method: fl.hopMethod, URL: final.String(), Status: p.status, ContentType: p.mediaType, Bytes: len(p.body), Duration: took})

	if int64(len(p.body)) > limit {
		return nil, failf(ClassTooLarge, fl.label(), "body is over the limit of %d bytes; stopped reading", limit).withPage(p)
	}
	if n, err := strconv.ParseInt(p.header.Get("Content-Length"), 10, 64); err == nil && n != int64(len(p.body)) {
		return nil, failf(ClassTruncated, fl.label(), "got %d bytes, Content-Length says %d", len(p.body), n).withPage(p)
	}
	return p, nil
}

// stepTimeout is the current step's timeout.
func (fl *flow) stepTimeout() time.Duration {
	if fl.step != nil && fl.step.Timeout > 0 {
		return fl.step.Timeout.D()
	}
	return fl.r.Limits.StepTimeout.D()
}

// transportFailure classifies an error that ended a request before a
// response was complete. A cancelled caller is not a failure of the site and
// is returned unclassified.
func (fl *flow) transportFailure(stepCtx context.Context, u *url.URL, err error) error {
	step := fl.label()
	var (
		addrErr *AddressError
		offsite *OffsiteError
		loop    *redirectLoopError
		netErr  net.Error
	)
	switch {
	case fl.parent.Err() != nil:
		return fmt.Errorf("fetch: %s: %w", step, context.Cause(fl.parent))
	case errors.As(err, &addrErr):
		return &Failure{Class: ClassPolicy, Step: step, Reason: addrErr.Error(), URL: u.String(), Err: err}
	case errors.As(err, &offsite):
		return &Failure{Class: ClassPolicy, Step: step, Reason: offsite.Error(), URL: u.String(), Err: err}
	case errors.As(err, &loop):
		return &Failure{Class: ClassRedirectLoop, Step: step, Reason: "redirect loop: " + loop.Error(), URL: u.String(), Err: err}
	case fl.flowCtx.Err() != nil:
		return &Failure{Class: ClassNetwork, Step: step, Reason: fmt.Sprintf("flow_timeout %s exceeded", fl.r.Limits.FlowTimeout.D()), URL: u.String(), Err: err}
	case stepCtx.Err() != nil || (errors.As(err, &netErr) && netErr.Timeout()):
		return &Failure{Class: ClassNetwork, Step: step, Reason: fmt.Sprintf("no complete response from %s within %s", u.Host, fl.stepTimeout()), URL: u.String(), Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Failure{Class: ClassTruncated, Step: step, Reason: "connection closed before the body ended", URL: u.String(), Err: err}
	}
	return &Failure{Class: ClassNetwork, Step: step, Reason: fmt.Sprintf("request to %s failed: %v", u.Host, err), URL: u.String(), Err: err}
}
