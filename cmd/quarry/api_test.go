package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
)

// TestAPICommandServesIssuedTokensAndRevokes runs `quarry api` as an
// operator would (HS256 development secret, a permissions file, the
// fleet's Redis), calls it with a token from `quarry token issue`, and
// revokes the subject's cached permissions with `quarry api revoke`.
func TestAPICommandServesIssuedTokensAndRevokes(t *testing.T) {
	ep := localawstest.Start(t, localaws.Config{})
	useRedis(t)
	runQuarry(t, "infra", "apply", "--endpoint-url", ep.URL)
	perms := filepath.Join(t.TempDir(), "perms.yaml")
	if err := os.WriteFile(perms, []byte("ops: [queues:read, dlq:read]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("QUARRY_API_ISSUER", "quarry-dev")
	t.Setenv("QUARRY_API_HS256_SECRET", strings.Repeat("k", 32))
	t.Setenv("QUARRY_API_PERMISSIONS_FILE", perms)

	if _, err := quarryErr(t, "token", "issue"); err == nil || !strings.Contains(err.Error(), "sub") {
		t.Fatalf("token issue without --sub: %v", err)
	}
	token := strings.TrimSpace(runQuarry(t, "token", "issue", "--sub", "ops", "--perm", "queues:read"))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		cmd := newRootCommand(io.Discard, io.Discard)
		cmd.SetArgs([]string{"api", "--addr", addr, "--endpoint-url", ep.URL})
		done <- cmd.ExecuteContext(ctx)
	}()
	defer func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("quarry api: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("quarry api did not stop")
		}
	}()
	get := func(path string) int {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	deadline := time.Now().Add(15 * time.Second)
	for get("/healthz") != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("quarry api did not answer /healthz")
		}
		select {
		case err := <-done:
			t.Fatalf("quarry api ended: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if s := get("/v1/queues"); s != http.StatusOK {
		t.Fatalf("GET /v1/queues with an issued token: %d", s)
	}
	// The token's scope keeps out what the subject could otherwise do.
	if s := get("/v1/dlq/fetch"); s != http.StatusForbidden {
		t.Fatalf("GET /v1/dlq/fetch outside the token's scope: %d", s)
	}
	if err := os.WriteFile(perms, []byte("ops: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s := get("/v1/queues"); s != http.StatusOK {
		t.Fatalf("cached permissions: %d", s)
	}
	if out := runQuarry(t, "api", "revoke", "ops"); !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %q", out)
	}
	if s := get("/v1/queues"); s != http.StatusForbidden {
		t.Fatalf("after revoke: %d", s)
	}
	if out := runQuarry(t, "api", "revoke", "nobody"); !strings.Contains(out, "no cached permissions") {
		t.Fatalf("second revoke: %q", out)
	}
}
