package samplesite

import (
	"cmp"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Defaults of [Config].
const (
	DefaultBasePath           = "/WellData/"
	DefaultDownloadDelay      = 300 * time.Millisecond
	DefaultSessionIdleTimeout = 20 * time.Minute
	DefaultHugeBodySize       = 100 << 20
	DefaultMaxSessions        = 10000
)

// TooSoonMode says how the download refuses a request made before
// [Config.DownloadDelay] has passed.
type TooSoonMode int

const (
	// TooSoonStatus answers 429 Too Many Requests with Retry-After.
	TooSoonStatus TooSoonMode = iota
	// TooSoonPage answers 200 with an HTML "Please wait" page, as many
	// legacy sites do.
	TooSoonPage
)

// Fault is one misbehaviour the site can be switched to, for tests.
type Fault string

// The faults. Unless said otherwise a fault affects only the download, after
// the session and delay checks passed, so a flow reaches it normally.
const (
	// FaultNone is normal behaviour.
	FaultNone Fault = ""
	// FaultHTMLAsPDF serves an HTML page labelled application/pdf.
	FaultHTMLAsPDF Fault = "html-as-pdf"
	// FaultRedirectLoop answers with a 302 to itself, forever.
	FaultRedirectLoop Fault = "redirect-loop"
	// FaultJSRedirectLoop makes the landing page redirect to itself by
	// JavaScript, forever.
	FaultJSRedirectLoop Fault = "js-redirect-loop"
	// FaultHugeBody streams [Config.HugeBodySize] bytes starting with %PDF-,
	// generated lazily, chunked without Content-Length.
	FaultHugeBody Fault = "huge-body"
	// FaultHugeBodyDeclared is FaultHugeBody with a Content-Length header.
	FaultHugeBodyDeclared Fault = "huge-body-declared"
	// FaultHang never answers: the handler waits until the client gives up
	// or the site is closed.
	FaultHang Fault = "hang"
	// FaultTruncated declares the PDF's full Content-Length, sends half of it
	// and drops the connection.
	FaultTruncated Fault = "truncated"
	// FaultCaptcha serves a CAPTCHA challenge instead of the search page.
	FaultCaptcha Fault = "captcha"
	// FaultUnavailable answers the search page with 503 and Retry-After: 2.
	FaultUnavailable Fault = "unavailable"
	// FaultForeignViewState verifies posted state with a machine key other
	// than the one that signed it, like a web farm without a shared key: every
	// postback fails with "Validation of viewstate MAC failed".
	FaultForeignViewState Fault = "foreign-viewstate"
)

// Config configures a [Site]. The zero value is a working portal with
// generated PDFs.
type Config struct {
	// Documents holds the PDFs named by [Record.File]. When nil, each
	// record gets a small generated PDF.
	Documents fs.FS
	// Records are the portal's documents. Defaults to [DefaultRecords].
	Records []Record
	// BasePath is the path prefix the portal lives under; it must start and
	// end with "/". Defaults to "/WellData/".
	BasePath string
	// DownloadDelay is the least time between the Select postback and the
	// download. Defaults to 300ms; -1 disables the check.
	DownloadDelay time.Duration
	// SessionIdleTimeout ends sessions idle for longer. Defaults to 20m.
	SessionIdleTimeout time.Duration
	// TooSoon says how an early download is refused. Defaults to
	// [TooSoonStatus].
	TooSoon TooSoonMode
	// MachineKey signs view state and event validation. Defaults to 32
	// random bytes.
	MachineKey []byte
	// Fault switches on one misbehaviour. Defaults to [FaultNone].
	Fault Fault
	// HugeBodySize is the length of the [FaultHugeBody] stream. Defaults to
	// 100 MiB.
	HugeBodySize int64
	// MaxSessions caps live sessions; beyond it idle and then the least
	// recently used sessions are dropped. Defaults to 10000.
	MaxSessions int
	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	c.BasePath = cmp.Or(c.BasePath, DefaultBasePath)
	c.DownloadDelay = cmp.Or(c.DownloadDelay, DefaultDownloadDelay)
	c.SessionIdleTimeout = cmp.Or(c.SessionIdleTimeout, DefaultSessionIdleTimeout)
	c.HugeBodySize = cmp.Or(c.HugeBodySize, DefaultHugeBodySize)
	c.MaxSessions = cmp.Or(c.MaxSessions, DefaultMaxSessions)
	if c.Records == nil {
		c.Records = DefaultRecords()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if len(c.MachineKey) == 0 {
		c.MachineKey = randomKey()
	}
	return c
}

func (c Config) validate() error {
	if !strings.HasPrefix(c.BasePath, "/") || !strings.HasSuffix(c.BasePath, "/") {
		return fmt.Errorf("samplesite: BasePath %q must start and end with /", c.BasePath)
	}
	if c.SessionIdleTimeout < 0 || c.HugeBodySize < 0 || c.MaxSessions < 0 {
		return errors.New("samplesite: SessionIdleTimeout, HugeBodySize and MaxSessions must not be negative")
	}
	if c.DownloadDelay < -1 {
		return errors.New("samplesite: DownloadDelay must be -1 (off) or positive")
	}
	seen := make(map[string]bool, len(c.Records))
	for _, r := range c.Records {
		if r.ID == "" || seen[r.ID] {
			return fmt.Errorf("samplesite: record id %q is empty or repeated", r.ID)
		}
		seen[r.ID] = true
	}
	return nil
}

// Site is the sample portal, an [http.Handler]. It is safe for concurrent
// use. Close it to release requests held by [FaultHang].
type Site struct {
	cfg      Config
	docs     map[string][]byte
	byID     map[string]Record
	sessions *sessions
	pages    *pages
	sign     signer
	verify   signer
	mux      *http.ServeMux
	closed   chan struct{}
	hugeSent atomic.Int64
	rate     rateCounter
}

// New builds a Site from cfg. It reads every document up front, so a missing
// file is reported here, not on the first download.
func New(cfg Config) (*Site, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	docs, err := loadDocuments(cfg.Documents, cfg.Records)
	if err != nil {
		return nil, err
	}
	p, err := newPages()
	if err != nil {
		return nil, fmt.Errorf("samplesite: parse page templates: %w", err)
	}
	s := &Site{
		cfg:      cfg,
		docs:     docs,
		byID:     make(map[string]Record, len(cfg.Records)),
		sessions: newSessions(cfg.SessionIdleTimeout, cfg.MaxSessions),
		pages:    p,
		sign:     signer{key: cfg.MachineKey},
		verify:   signer{key: cfg.MachineKey},
		closed:   make(chan struct{}),
	}
	if cfg.Fault == FaultForeignViewState {
		s.verify = signer{key: randomKey()}
	}
	for _, r := range cfg.Records {
		s.byID[r.ID] = r
	}
	s.routes()
	return s, nil
}

func (s *Site) routes() {
	b := s.cfg.BasePath
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET "+b+"Search.aspx", s.searchGet)
	s.mux.HandleFunc("POST "+b+"Search.aspx", s.searchPost)
	s.mux.HandleFunc("GET "+b+"Documents/Landing.aspx", s.landing)
	s.mux.HandleFunc("GET "+b+"Documents/Download.aspx", s.download)
	s.mux.HandleFunc("GET "+b+"{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, b+"Search.aspx", http.StatusFound)
	})
	if b != "/" {
		s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, b+"Search.aspx", http.StatusFound)
		})
	}
}

// ServeHTTP serves the portal.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.rate.observe(time.Now())
	w.Header().Set("Server", "Microsoft-IIS/8.5")
	w.Header().Set("X-AspNet-Version", "4.0.30319")
	s.mux.ServeHTTP(w, r)
}

// Stats returns how many requests the site answered and the most that
// arrived within one second.
func (s *Site) Stats() Stats { return s.rate.snapshot() }

// SearchURL returns the path of the search page.
func (s *Site) SearchURL() string { return s.cfg.BasePath + "Search.aspx" }

// Records returns the portal's records.
func (s *Site) Records() []Record { return append([]Record(nil), s.cfg.Records...) }

// Document returns the PDF the portal serves for the record with id.
func (s *Site) Document(id string) ([]byte, bool) {
	b, ok := s.docs[id]
	return b, ok
}

// Close releases requests held by [FaultHang]. It is idempotent.
func (s *Site) Close() error {
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
	return nil
}

// now returns the site's current time.
func (s *Site) now() time.Time { return s.cfg.Now() }

func randomKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // crypto/rand.Read never returns an error
	return k
}

var _ http.Handler = (*Site)(nil)
