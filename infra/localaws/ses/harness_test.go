package ses

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// published is one message a recorder received.
type published struct {
	Topic, Subject, Message string
}

// recorder is a TopicPublisher that keeps what it is given, standing in
// for SNS in this package's own tests.
type recorder struct {
	mu     sync.Mutex
	topics map[string]bool
	msgs   []published
	fail   error         // returned by every publish when set
	delay  time.Duration // each publish waits this long (or until ctx ends)
	signal chan struct{}
}

func newRecorder(topics ...string) *recorder {
	r := &recorder{topics: map[string]bool{}, signal: make(chan struct{}, 1)}
	for _, t := range topics {
		r.topics[t] = true
	}
	return r
}

func (r *recorder) PublishToTopic(ctx context.Context, topicARN, subject, message string) error {
	if r.delay > 0 {
		select {
		case <-time.After(r.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	if !r.topics[topicARN] {
		return errors.New("topic does not exist")
	}
	r.msgs = append(r.msgs, published{Topic: topicARN, Subject: subject, Message: message})
	select {
	case r.signal <- struct{}{}:
	default:
	}
	return nil
}

func (r *recorder) TopicExists(topicARN string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.topics[topicARN]
}

func (r *recorder) all() []published {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]published(nil), r.msgs...)
}

// wait returns once at least n messages have been published, or fails.
func (r *recorder) wait(t *testing.T, n int) []published {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		if msgs := r.all(); len(msgs) >= n {
			return msgs
		}
		select {
		case <-r.signal:
		case <-deadline:
			t.Fatalf("waited for %d published messages, got %d: %+v", n, len(r.all()), r.all())
		}
	}
}

// testBundle serves one Service over HTTP the way the endpoint does and talks
// to it with the real SES v2 client.
type testBundle struct {
	svc *Service
	rec *recorder
	url string
	ses *sesv2.Client
}

func setup(t *testing.T, cfg Config, rec *recorder) *testBundle {
	t.Helper()
	if rec != nil {
		cfg.Topics = rec
	}
	svc, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_localaws/mail" || strings.HasPrefix(r.URL.Path, "/_localaws/mail/") {
			http.StripPrefix("/_localaws/mail", svc.Mailbox()).ServeHTTP(w, r)
			return
		}
		call := &awsproto.Call{Ctx: r.Context(), Region: "us-east-1", RequestID: awsproto.NewRequestID()}
		call.Action = svc.Route(r.Method, r.URL.Path)
		if call.Action == "" {
			awsproto.WriteRESTError(w, call.RequestID, awsproto.Errorf(http.StatusNotFound, "UnknownOperationException", "UnknownOperationException", "no operation"))
			return
		}
		body, _ := io.ReadAll(r.Body)
		status, out, e := svc.ServeREST(call, r, body)
		if e != nil {
			awsproto.WriteRESTError(w, call.RequestID, e)
			return
		}
		awsproto.WriteRESTJSON(w, call.RequestID, status, out)
	}))
	t.Cleanup(func() {
		srv.Close()
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	awsCfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		config.WithBaseEndpoint(srv.URL),
	)
	if err != nil {
		t.Fatal(err)
	}
	return &testBundle{svc: svc, rec: rec, url: srv.URL, ses: sesv2.NewFromConfig(awsCfg, func(o *sesv2.Options) { o.Retryer = aws.NopRetryer{} })}
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}
