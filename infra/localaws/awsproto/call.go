package awsproto

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"regexp"
)

// Call is what a service needs to know about one request besides its input.
type Call struct {
	Ctx       context.Context
	Action    string // operation name, e.g. SendMessage
	BaseURL   string // scheme://host[:port] the caller reached us at; queue URLs are built from it
	Region    string // from the SigV4 credential scope, else the endpoint's default
	RequestID string
}

// NewRequestID returns a random UUID (version 4) string.
func NewRequestID() string { return NewUUID() }

// NewUUID returns a random version-4 UUID string.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Scope is the SigV4 credential scope of a request.
type Scope struct {
	AccessKey string
	Region    string
	Service   string // sqs, sns, ses, s3 ...
}

var credRe = regexp.MustCompile(`Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request`)

// ParseScope reads the credential scope from the Authorization header or from
// a presigned query string (X-Amz-Credential). ok is false for unsigned
// requests.
func ParseScope(r *http.Request) (Scope, bool) {
	if m := credRe.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return Scope{AccessKey: m[1], Region: m[3], Service: m[4]}, true
	}
	if c := r.URL.Query().Get("X-Amz-Credential"); c != "" {
		if m := credRe.FindStringSubmatch("Credential=" + c); m != nil {
			return Scope{AccessKey: m[1], Region: m[3], Service: m[4]}, true
		}
	}
	return Scope{}, false
}

// BaseURL returns scheme://host of the request as the caller addressed it.
func BaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
