package infra

import (
	"io"
	"net/http"
)

// httpDoer is the HTTP client the SDK's service clients call
// (aws.HTTPClient).
type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// plainRequestBodies passes every request body to the transport as a plain
// io.ReadCloser.
//
// The SDK (smithy-go) wraps a request body in a reader whose WriteTo, once
// the body is closed, returns io.EOF as an error, and it closes the body
// as soon as Do returns: when the response arrives while net/http's write
// loop is still finishing the request (its last read of the body goes
// through WriteTo), the write fails with that EOF and the transport closes
// the connection under the response being read. A large response, such
// as a receive of 10 messages, then fails half-read; the SDK retries the
// receive, and the messages of the lost response stay invisible for the
// queue's visibility timeout. Seen as "failed to discard remaining HTTP
// response body … use of closed network connection" and a stall of that
// timeout in about one `quarry bench runtime` run in five; through plain
// bodies, the transport reads a closed body as an ordinary end (Read
// returns io.EOF), so the write ends cleanly.
type plainRequestBodies struct{ next httpDoer }

func (p plainRequestBodies) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = plainBody{r.Body}
	}
	return p.next.Do(r)
}

// plainBody hides every method of the body but Read and Close.
type plainBody struct{ rc io.ReadCloser }

func (b plainBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b plainBody) Close() error               { return b.rc.Close() }
