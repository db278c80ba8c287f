package infra

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// smithyBody returns a request body as the SDK hands it to the HTTP client.
func smithyBody(t *testing.T, payload string) io.ReadCloser {
	t.Helper()
	req := smithyhttp.NewStackRequest().(*smithyhttp.Request)
	req.Method = http.MethodPost
	req.URL.Scheme, req.URL.Host = "http", "example.invalid"
	req, err := req.SetStream(bytes.NewReader([]byte(payload)))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(payload))
	return req.Build(context.Background()).Body
}

// The SDK's request body answers a copy after Close with io.EOF as an
// error, which net/http takes for a failed request write; through
// plainRequestBodies the same copy ends cleanly. If the first half fails,
// the SDK has changed and plainRequestBodies may no longer be needed.
func TestClosedRequestBodyEndsCleanly(t *testing.T) {
	t.Parallel()
	body := smithyBody(t, `{"QueueUrl":"q"}`)
	if _, ok := body.(io.WriterTo); !ok {
		t.Skip("the SDK's request body no longer has WriteTo")
	}
	_ = body.Close()
	if _, err := io.Copy(io.Discard, body); !errors.Is(err, io.EOF) {
		t.Fatalf("copy of the SDK's closed body: %v, want io.EOF (the behaviour plainRequestBodies works around)", err)
	}

	var seen io.ReadCloser
	doer := plainRequestBodies{next: doFunc(func(r *http.Request) (*http.Response, error) {
		seen = r.Body
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	})}
	req, _ := http.NewRequest(http.MethodPost, "http://example.invalid/", nil)
	req.Body = smithyBody(t, `{"QueueUrl":"q"}`)
	if _, err := doer.Do(req); err != nil {
		t.Fatal(err)
	}
	if _, ok := seen.(io.WriterTo); ok {
		t.Fatal("the transport still sees WriteTo")
	}
	_ = seen.Close()
	if _, err := io.Copy(io.Discard, seen); err != nil {
		t.Fatalf("copy of a closed plain body: %v, want a clean end", err)
	}
}

type doFunc func(*http.Request) (*http.Response, error)

func (f doFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// Bodies still arrive whole through a real transport.
func TestPlainRequestBodiesSendTheBody(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	payload := strings.Repeat("x", 9000) // over one bufio buffer
	req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
	req.Body, req.ContentLength = smithyBody(t, payload), int64(len(payload))
	resp, err := plainRequestBodies{next: srv.Client()}.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if string(got) != payload {
		t.Fatalf("server got %d bytes, want %d", len(got), len(payload))
	}
}
