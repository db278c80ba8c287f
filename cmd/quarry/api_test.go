package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/internal/jobstatus"
	"github.com/quarry-dev/quarry/messages"
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
	if err := os.WriteFile(perms, []byte("ops: [queues:read, dlq:read, jobs:read]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("QUARRY_API_ISSUER", "quarry-dev")
	t.Setenv("QUARRY_API_HS256_SECRET", strings.Repeat("k", 32))
	t.Setenv("QUARRY_API_PERMISSIONS_FILE", perms)

	if _, err := quarryErr(t, "token", "issue"); err == nil || !strings.Contains(err.Error(), "sub") {
		t.Fatalf("token issue without --sub: %v", err)
	}
	token := strings.TrimSpace(runQuarry(t, "token", "issue", "--sub", "ops", "--perm", "queues:read", "--perm", "jobs:read"))
	dead := deadLetterNotify(t, ep)

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
	getBody := func(path string) (int, []byte) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	get := func(path string) int { s, _ := getBody(path); return s }
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
	// The API's report of a job is quarry status's.
	status, fromAPI := getBody("/v1/jobs/" + dead)
	fromCLI := runQuarry(t, "status", dead, "--json", "--endpoint-url", ep.URL)
	var a, c jobstatus.Report
	if err := json.Unmarshal(fromAPI, &a); status != http.StatusOK || err != nil {
		t.Fatalf("GET /v1/jobs/%s: %d %s", dead, status, fromAPI)
	}
	if err := json.Unmarshal([]byte(fromCLI), &c); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, c) || len(a.Stages) == 0 || a.Stages[0].State != jobstatus.StateDeadLettered {
		t.Fatalf("the API's report differs from quarry status's:\napi: %s\ncli: %s", fromAPI, fromCLI)
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

// deadLetterNotify puts a notify job in its DLQ as the runtime leaves it
// (reason, stage, receive count) and returns the job's id.
func deadLetterNotify(t *testing.T, ep *localawstest.Endpoint) string {
	t.Helper()
	ctx := context.Background()
	env := &awsEnv{clients: infra.NewClients(ep.Config), topology: infra.DefaultTopology()}
	url, err := env.dlqURL(ctx, "notify")
	if err != nil {
		t.Fatal(err)
	}
	job, err := messages.NewJob(messages.TypeNotifyEmail, messages.NotifyEmail{Recipients: []string{"a@example.org"}, Template: "missing"})
	if err != nil {
		t.Fatal(err)
	}
	body, err := job.Encode()
	if err != nil {
		t.Fatal(err)
	}
	str := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	if _, err := env.clients.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(body)),
		MessageAttributes: map[string]types.MessageAttributeValue{
			messages.DLQAttrError: str("permanent: template not found"), messages.DLQAttrStage: str("notify"),
			messages.DLQAttrReceiveCount: str("1"), messages.DLQAttrFirstSeen: str("2026-01-02T03:04:05Z"),
		}}); err != nil {
		t.Fatal(err)
	}
	return job.ID
}
