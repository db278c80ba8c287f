package apiauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/internal/apiauth"
	"github.com/quarry-dev/quarry/internal/redistest"
)

func TestCacheKeepsPermissionsUntilRevoked(t *testing.T) {
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "perms.yaml")
		write := func(s string) {
			if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		write("alice: [dlq:read, dlq:write]\n")
		c, err := apiauth.NewCache(apiauth.CacheConfig{Redis: b.Client, Prefix: b.Prefix, Source: apiauth.FileSource{Path: path}, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.Permissions(ctx, "alice")
		if err != nil || !p.Has("dlq:write") || p.Has("jobs:publish:notify.email") {
			t.Fatalf("alice: %v, %v", p, err)
		}
		write("alice: [dlq:read]\n")
		if p, _ := c.Permissions(ctx, "alice"); !p.Has("dlq:write") {
			t.Fatalf("the cache was not used: %v", p)
		}
		if ttl := b.Client.TTL(ctx, b.Prefix+"api:perms:alice").Val(); ttl <= 0 || ttl > time.Hour {
			t.Fatalf("cached entry's TTL %v", ttl)
		}
		if ok, err := c.Revoke(ctx, "alice"); !ok || err != nil {
			t.Fatalf("revoke: %v, %v", ok, err)
		}
		if p, _ := c.Permissions(ctx, "alice"); p.Has("dlq:write") || !p.Has("dlq:read") {
			t.Fatalf("after revoke: %v", p)
		}
		if p, err := c.Permissions(ctx, "mallory"); err != nil || len(p) != 0 {
			t.Fatalf("unknown subject: %v, %v", p, err)
		}
	})
}

func TestHTTPSourceAsksForTheSubject(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		switch r.URL.Query().Get("subject") {
		case "alice":
			_, _ = w.Write([]byte(`{"permissions":["queues:read"]}`))
		case "broken":
			http.Error(w, "down", http.StatusServiceUnavailable)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	s := apiauth.HTTPSource{URL: srv.URL + "/perms", Token: "s3cret"}
	ctx := context.Background()
	if p, err := s.Permissions(ctx, "alice"); err != nil || len(p) != 1 || p[0] != "queues:read" {
		t.Fatalf("alice: %v, %v", p, err)
	}
	if p, err := s.Permissions(ctx, "bob"); err != nil || p != nil {
		t.Fatalf("unknown: %v, %v", p, err)
	}
	if _, err := s.Permissions(ctx, "broken"); err == nil {
		t.Fatal("a failing service gave no error")
	}
	if _, err := (apiauth.HTTPSource{URL: srv.URL}).Permissions(ctx, "alice"); err == nil {
		t.Fatal("a refused call gave no error")
	}
	if calls.Load() != 4 {
		t.Fatalf("%d calls", calls.Load())
	}
}

func TestNarrowKeepsOnlyWhatBothAllow(t *testing.T) {
	p := apiauth.Permissions{"dlq:read", "dlq:write"}
	if got := p.Narrow([]string{"dlq:read", "jobs:publish:notify.email"}); len(got) != 1 || got[0] != "dlq:read" {
		t.Errorf("narrow: %v", got)
	}
	if got := p.Narrow(nil); len(got) != 2 {
		t.Errorf("no scope: %v", got)
	}
	if !(apiauth.Permissions{apiauth.All}).Narrow([]string{"jobs:publish:notify.email"}).Has("jobs:publish:notify.email") {
		t.Error("* does not grant a scoped permission")
	}
}

func TestPatternsGrantAFamily(t *testing.T) {
	p := apiauth.Permissions{"jobs:publish:*", "dlq:read"}
	for perm, want := range map[string]bool{
		"jobs:publish:notify.email":   true,
		"jobs:publish:fetch.document": true,
		"jobs:read":                   false,
		"dlq:read":                    true,
		"dlq:write":                   false,
		"jobs:publisher":              false,
	} {
		if got := p.Has(perm); got != want {
			t.Errorf("Has(%q) = %v, want %v", perm, got, want)
		}
	}
	one := apiauth.Permissions{"jobs:publish:notify.email"}
	if one.Has("jobs:publish:fetch.document") || !one.Has("jobs:publish:notify.email") {
		t.Error("a single job type grants another")
	}
	for _, c := range []struct {
		p    apiauth.Permissions
		want bool
	}{{one, true}, {p, true}, {apiauth.Permissions{"jobs:*"}, true}, {apiauth.Permissions{apiauth.All}, true}, {apiauth.Permissions{"jobs:read", "dlq:write"}, false}} {
		if got := c.p.HasUnder("jobs:publish:"); got != c.want {
			t.Errorf("%v HasUnder(jobs:publish:) = %v, want %v", c.p, got, c.want)
		}
	}
}
