package ecstask

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeAgent plays $ECS_AGENT_URI's task-protection endpoint: it keeps the
// state, records every call, and fails the next call when told to.
type fakeAgent struct {
	mu       sync.Mutex
	calls    []string // "PUT true 60", "PUT false", "GET"
	enabled  bool
	failNext string // "failure" (200 with a failure body) or "status"
	seen     chan string
}

func (f *fakeAgent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/task-id/task-protection/v1/state" {
		http.Error(w, "no such path "+r.URL.Path, http.StatusNotFound)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	call := r.Method
	if r.Method == http.MethodPut {
		var body struct {
			ProtectionEnabled *bool
			ExpiresInMinutes  *int
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil || body.ProtectionEnabled == nil {
			http.Error(w, `{"error":{"Code":"InvalidParameterException","Message":"bad body"}}`, http.StatusBadRequest)
			return
		}
		f.enabled = *body.ProtectionEnabled
		call += " " + map[bool]string{true: "true", false: "false"}[f.enabled]
		if body.ExpiresInMinutes != nil {
			call += " " + itoa(*body.ExpiresInMinutes)
		}
	}
	f.calls = append(f.calls, call)
	if f.seen != nil {
		f.seen <- call
	}
	switch f.failNext {
	case "failure":
		f.failNext = ""
		_, _ = io.WriteString(w, `{"failure":{"Arn":"arn:aws:ecs:eu-west-1:1:task/quarry/abc","Reason":"TASK_NOT_VALID","Detail":"not part of a service"}}`)
		return
	case "status":
		f.failNext = ""
		http.Error(w, `{"error":{"Code":"ServerException","Message":"agent busy"}}`, http.StatusInternalServerError)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"protection": map[string]any{
		"ProtectionEnabled": f.enabled, "ExpirationDate": "2026-12-07T17:00:00Z", "TaskArn": "arn:aws:ecs:eu-west-1:1:task/quarry/abc",
	}})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func (f *fakeAgent) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func startAgent(t *testing.T) (*fakeAgent, *Agent) {
	fa := &fakeAgent{}
	srv := httptest.NewServer(fa)
	t.Cleanup(srv.Close)
	return fa, &Agent{BaseURL: srv.URL + "/v1/task-id"}
}

func TestAgentCalls(t *testing.T) {
	t.Parallel()
	fa, agent := startAgent(t)
	ctx := context.Background()
	if err := agent.SetProtection(ctx, true, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	p, err := agent.Protection(ctx)
	if err != nil || !p.Enabled || p.TaskArn == "" || p.ExpirationDate.IsZero() {
		t.Fatalf("Protection = %+v, %v", p, err)
	}
	if err := agent.SetProtection(ctx, false, 0); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(fa.takeCalls(), "; "), "PUT true 2; GET; PUT false"; got != want {
		t.Errorf("calls %q, want %q", got, want)
	}
	fa.failNext = "failure"
	if err := agent.SetProtection(ctx, true, time.Hour); err == nil || !strings.Contains(err.Error(), "TASK_NOT_VALID") {
		t.Errorf("failure answer: err = %v", err)
	}
	fa.failNext = "status"
	if err := agent.SetProtection(ctx, true, time.Hour); err == nil || !strings.Contains(err.Error(), "ServerException") {
		t.Errorf("500 answer: err = %v", err)
	}
	if err := agent.SetProtection(ctx, true, 49*time.Hour); err == nil {
		t.Error("an expiry over 48h was sent")
	}
}

// TestKeeperFollowsInFlight steps the keeper through a clock by hand:
// protect when jobs arrive, renew at half the expiry, clear after the idle
// time, retry after an agent failure.
func TestKeeperFollowsInFlight(t *testing.T) {
	t.Parallel()
	fa, agent := startAgent(t)
	var inFlight atomic.Int64
	k := &Keeper{Agent: agent, InFlight: func() int { return int(inFlight.Load()) }, Expiry: 60 * time.Minute, IdleFor: 20 * time.Second}
	k.defaults()
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 16, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	expect := func(step string, want ...string) {
		t.Helper()
		if got := fa.takeCalls(); strings.Join(got, "; ") != strings.Join(want, "; ") {
			t.Errorf("%s: agent calls %q, want %q", step, got, want)
		}
	}

	k.step(ctx, at(0))
	expect("idle at start")
	inFlight.Store(3)
	k.step(ctx, at(time.Second))
	expect("jobs arrive", "PUT true 60")
	k.step(ctx, at(2*time.Second))
	k.step(ctx, at(29*time.Minute))
	expect("busy within half the expiry")
	k.step(ctx, at(30*time.Minute+time.Second))
	expect("renewal", "PUT true 60")
	inFlight.Store(0)
	k.step(ctx, at(30*time.Minute+2*time.Second))
	k.step(ctx, at(30*time.Minute+20*time.Second))
	expect("idle less than IdleFor")
	fa.failNext = "status"
	k.step(ctx, at(30*time.Minute+22*time.Second))
	expect("clear fails", "PUT false")
	k.step(ctx, at(30*time.Minute+23*time.Second))
	expect("clear retried", "PUT false")
	k.step(ctx, at(31*time.Minute))
	expect("cleared stays cleared")
	fa.failNext = "failure"
	inFlight.Store(1)
	k.step(ctx, at(32*time.Minute))
	k.step(ctx, at(32*time.Minute+time.Second))
	expect("protect fails then retried", "PUT true 60", "PUT true 60")
}

// TestKeeperRunClearsAtExit: Run protects while a job is in flight and
// clears the protection when its context ends.
func TestKeeperRunClearsAtExit(t *testing.T) {
	t.Parallel()
	fa, agent := startAgent(t)
	fa.seen = make(chan string, 16)
	var inFlight atomic.Int64
	inFlight.Store(1)
	k := &Keeper{Agent: agent, InFlight: func() int { return int(inFlight.Load()) }, Interval: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); k.Run(ctx) }()
	if c := <-fa.seen; c != "PUT true 60" {
		t.Fatalf("first call %q", c)
	}
	cancel()
	<-done
	close(fa.seen)
	var last string
	for c := range fa.seen {
		last = c
	}
	if last != "PUT false" {
		t.Fatalf("last call %q, want PUT false", last)
	}
}
