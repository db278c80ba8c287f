// Package localaws is Quarry's embedded AWS endpoint: one HTTP server that
// speaks SQS (AWS JSON 1.0 and query), SNS (query), SES v2 (REST-JSON) and S3
// (path-style, through gofakes3) well enough that the real aws-sdk-go-v2
// clients, the JavaScript SDK v3 and the AWS CLI cannot tell it from AWS for
// what Quarry uses. `quarry dev` and the tests run against it; production
// points the same SDK calls at AWS.
//
// It can be embedded (New starts it on a loopback port and returns its URL;
// a *Server is also an http.Handler) or run alone (`quarry localaws`).
package localaws

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/spf13/afero"

	"github.com/quarry-dev/quarry/infra/localaws/ses"
	"github.com/quarry-dev/quarry/infra/localaws/sns"
	"github.com/quarry-dev/quarry/infra/localaws/sqs"
)

// Config configures the endpoint. The zero value is usable: a random loopback
// port, region us-east-1, account 000000000000, state in memory.
type Config struct {
	// Addr is the listen address for New; default 127.0.0.1:0 (a free
	// loopback port). Binding to a non-loopback address must be asked for.
	Addr string
	// Region and AccountID appear in ARNs; defaults us-east-1, 000000000000.
	Region    string
	AccountID string
	// StateDir, when set, keeps queues, unacknowledged messages, topics,
	// subscriptions, mail and S3 objects across restarts.
	StateDir string
	// SESMaxSendRate is the SES account send rate (recipients per second);
	// default 14. SESMax24HourSend is the daily quota; default 50000.
	SESMaxSendRate   float64
	SESMax24HourSend float64
	// SQSDeletedRecentlyWindow and SQSPurgeInterval enable AWS's 60-second
	// guards on queue re-creation and repeated purges; zero disables them.
	SQSDeletedRecentlyWindow time.Duration
	SQSPurgeInterval         time.Duration
	// SQSReleaseInflightOnLoad makes messages that were in flight when the
	// state was saved visible at once when it is loaded (see
	// sqs.Config.ReleaseInflightOnLoad): for quarry dev, whose workers stop
	// with the endpoint.
	SQSReleaseInflightOnLoad bool
	// Faults injects failures; all off by default.
	Faults Faults
	// Limits bound request bodies, one by one and all together.
	Limits Limits
	// Logger receives one debug line per request and errors; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is a running (or handler-only) embedded endpoint.
type Server struct {
	cfg    Config
	log    *slog.Logger
	sqs    *sqs.Service
	sns    *sns.Service
	ses    *ses.Service
	s3     http.Handler
	calls  *callCounter
	faults *faultInjector
	limits Limits
	bodies *budget

	ln      net.Listener
	httpSrv *http.Server
	url     string

	stopSave chan struct{}
	saveDone chan struct{}
	closeMu  sync.Mutex
	closed   bool
}

// NewHandler builds the endpoint without listening; use it as an
// http.Handler (httptest.NewServer(srv)). Call Close when done.
func NewHandler(cfg Config) (*Server, error) {
	cfg.Region = cmp.Or(cfg.Region, "us-east-1")
	cfg.AccountID = cmp.Or(cfg.AccountID, "000000000000")
	cfg.SESMaxSendRate = cmp.Or(cfg.SESMaxSendRate, 14)
	cfg.SESMax24HourSend = cmp.Or(cfg.SESMax24HourSend, 50000)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Faults.validate(); err != nil {
		return nil, err
	}
	if err := cfg.Limits.validate(); err != nil {
		return nil, err
	}
	cfg.Limits = cfg.Limits.withDefaults()
	if cfg.StateDir != "" {
		if err := os.MkdirAll(cfg.StateDir, 0o755); err != nil {
			return nil, fmt.Errorf("localaws: creating state dir: %w", err)
		}
	}
	s := &Server{cfg: cfg, log: log, calls: newCallCounter(), faults: newFaultInjector(cfg.Faults),
		limits: cfg.Limits, bodies: newBudget(cfg.Limits.MaxInFlight)}

	var err error
	s.sqs, err = sqs.New(sqs.Config{
		Region: cfg.Region, AccountID: cfg.AccountID, StateDir: subdir(cfg.StateDir, "sqs"),
		DuplicateRate:         cfg.Faults.DuplicateRate,
		DeletedRecentlyWindow: cfg.SQSDeletedRecentlyWindow, PurgeInterval: cfg.SQSPurgeInterval,
		ReleaseInflightOnLoad: cfg.SQSReleaseInflightOnLoad,
		Now:                   cfg.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("localaws: starting sqs: %w", err)
	}
	s.sns, err = sns.New(sns.Config{
		Region: cfg.Region, AccountID: cfg.AccountID, StateDir: subdir(cfg.StateDir, "sns"),
		Queues: s.sqs, Now: cfg.Now, Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("localaws: starting sns: %w", err)
	}
	s.ses, err = ses.New(ses.Config{
		Region: cfg.Region, AccountID: cfg.AccountID, StateDir: subdir(cfg.StateDir, "ses"),
		MaxSendRate: cfg.SESMaxSendRate, Max24HourSend: cfg.SESMax24HourSend,
		Topics: s.sns, Now: cfg.Now, Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("localaws: starting ses: %w", err)
	}
	var backend gofakes3.Backend
	if cfg.StateDir != "" {
		dir := filepath.Join(cfg.StateDir, "s3")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("localaws: creating s3 state dir: %w", err)
		}
		b, err := s3afero.MultiBucket(afero.NewBasePathFs(afero.NewOsFs(), dir))
		if err != nil {
			return nil, fmt.Errorf("localaws: opening s3 state: %w", err)
		}
		backend = b
	} else {
		backend = s3mem.New()
	}
	s.s3 = gofakes3.New(backend, gofakes3.WithAutoBucket(false), gofakes3.WithTimeSkewLimit(0)).Server()

	if cfg.StateDir != "" {
		s.stopSave, s.saveDone = make(chan struct{}), make(chan struct{})
		go s.saveLoop()
	}
	return s, nil
}

// New builds the endpoint and starts serving on cfg.Addr (default a free
// loopback port). URL returns where it listens.
func New(cfg Config) (*Server, error) {
	s, err := NewHandler(cfg)
	if err != nil {
		return nil, err
	}
	addr := cmp.Or(cfg.Addr, "127.0.0.1:0")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("localaws: listening on %s: %w", addr, err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 1 << 20}
	go func() {
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("localaws: serving", "err", err)
		}
	}()
	return s, nil
}

// URL is the endpoint's base URL (http://127.0.0.1:PORT); empty for a
// handler-only server.
func (s *Server) URL() string { return s.url }

// Close stops serving, saves state (with a state dir) and releases
// everything. Long polls in progress return at once.
func (s *Server) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	// Wake long polls before shutting the HTTP server down, so Shutdown does
	// not wait for them.
	if s.sqs != nil {
		errs = append(errs, s.sqs.Close())
	}
	if s.httpSrv != nil {
		// Shutdown waits for connections that were opened but have not sent
		// a request yet (SDK connection pools make such); past a short grace
		// period they are closed outright.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if err := s.httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, s.httpSrv.Close())
		}
		cancel()
	}
	if s.stopSave != nil {
		close(s.stopSave)
		<-s.saveDone
	}
	if s.cfg.StateDir != "" {
		errs = append(errs, s.saveState())
	}
	if s.sns != nil {
		errs = append(errs, s.sns.Close())
	}
	if s.ses != nil {
		errs = append(errs, s.ses.Close())
	}
	return errors.Join(errs...)
}

func subdir(dir, name string) string {
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, name)
}

// saveLoop writes state once a second, so a crash loses at most a second.
func (s *Server) saveLoop() {
	defer close(s.saveDone)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stopSave:
			return
		case <-t.C:
			if err := s.saveState(); err != nil {
				s.log.Error("localaws: saving state", "err", err)
			}
		}
	}
}

func (s *Server) saveState() error {
	return errors.Join(s.sqs.SaveState(), s.sns.SaveState(), s.ses.SaveState())
}
