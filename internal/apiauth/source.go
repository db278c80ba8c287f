package apiauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Source tells what a subject may do. A subject it does not know has no
// permissions (nil, nil); an error means the source could not answer.
type Source interface {
	Permissions(ctx context.Context, subject string) ([]string, error)
}

// FileSource reads permissions from a YAML (or JSON) file that maps each
// subject to its permissions:
//
//	alice@example.org: [jobs:read, dlq:read, dlq:write]
//	ci-publisher: ["jobs:publish:*"]
//
// The file is read at every call, so an edit counts from the next time
// the cache asks (after the TTL, or a revocation). Safe for concurrent use.
type FileSource struct {
	Path string
}

// Permissions reads the file and returns the subject's permissions.
func (f FileSource) Permissions(_ context.Context, subject string) ([]string, error) {
	raw, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, fmt.Errorf("apiauth: reading the permissions file: %w", err)
	}
	var m map[string][]string
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("apiauth: the permissions file %s is not a map of subject to permissions: %w", f.Path, err)
	}
	return m[subject], nil
}

// HTTPSource asks a permission service: GET URL?subject=SUBJECT answers
// 200 with {"permissions": ["jobs:read", ...]}, or 404 for a subject it
// does not know.
type HTTPSource struct {
	URL string
	// Token, when set, is sent as "Authorization: Bearer <Token>", for a
	// service that wants to know who asks.
	Token string
	// Client makes the calls; nil means a client with a 5s timeout.
	Client *http.Client
}

// maxSourceAnswer bounds the permission service's answer.
const maxSourceAnswer = 1 << 20

// Permissions asks the service for the subject's permissions.
func (h HTTPSource) Permissions(ctx context.Context, subject string) ([]string, error) {
	u, err := url.Parse(h.URL)
	if err != nil {
		return nil, fmt.Errorf("apiauth: the permission service URL: %w", err)
	}
	q := u.Query()
	q.Set("subject", subject)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("apiauth: asking the permission service: %w", err)
	}
	if h.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.Token)
	}
	c := h.Client
	if c == nil {
		c = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("apiauth: asking the permission service: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, nil
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("apiauth: the permission service answered %s", resp.Status)
	}
	var body struct {
		Permissions []string `json:"permissions"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxSourceAnswer)).Decode(&body); err != nil {
		return nil, fmt.Errorf("apiauth: the permission service's answer: %w", err)
	}
	return body.Permissions, nil
}

// Permissions is what a subject may do.
type Permissions []string

// All grants every permission.
const All = "*"

// Has reports whether p grants perm: by name, by All, or by a pattern
// ending in ":*" that covers it ("jobs:publish:*" grants
// "jobs:publish:notify.email").
func (p Permissions) Has(perm string) bool {
	for _, g := range p {
		if g == perm || g == All {
			return true
		}
		if prefix, ok := strings.CutSuffix(g, "*"); ok && strings.HasSuffix(prefix, ":") && strings.HasPrefix(perm, prefix) {
			return true
		}
	}
	return false
}

// HasUnder reports whether p grants anything under prefix (such as
// "jobs:publish:"): a permission or pattern that begins with it, a pattern
// that covers it, or All.
func (p Permissions) HasUnder(prefix string) bool {
	for _, g := range p {
		if g == All || strings.HasPrefix(g, prefix) {
			return true
		}
		if pre, ok := strings.CutSuffix(g, "*"); ok && strings.HasSuffix(pre, ":") && strings.HasPrefix(prefix, pre) {
			return true
		}
	}
	return false
}

// Narrow keeps the permissions a token's scope allows; a nil scope keeps
// them all.
func (p Permissions) Narrow(scope []string) Permissions {
	if scope == nil {
		return p
	}
	var out Permissions
	for _, s := range scope {
		if p.Has(s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
