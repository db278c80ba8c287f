package ecstask

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// AgentURIEnv is the variable the ECS agent sets in every container of a
// task: the base URL of the agent's endpoint for that task.
const AgentURIEnv = "ECS_AGENT_URI"

// Agent talks to the ECS agent's task-protection endpoint
// ($ECS_AGENT_URI/task-protection/v1/state).
type Agent struct {
	// BaseURL is $ECS_AGENT_URI.
	BaseURL string
	// HTTP is the client; nil uses one with a 5 s timeout.
	HTTP *http.Client
}

// AgentFromEnv returns the agent of the task this process runs in, or
// false outside ECS.
func AgentFromEnv() (*Agent, bool) {
	u := os.Getenv(AgentURIEnv)
	if u == "" {
		return nil, false
	}
	return &Agent{BaseURL: u}, true
}

// Protection is a task's scale-in protection state.
type Protection struct {
	Enabled        bool      `json:"ProtectionEnabled"`
	ExpirationDate time.Time `json:"ExpirationDate"`
	TaskArn        string    `json:"TaskArn"`
}

type agentResponse struct {
	Protection *Protection `json:"protection"`
	Failure    *struct {
		Arn, Reason, Detail string
	} `json:"failure"`
	Error *struct {
		Arn, Code, Message string
	} `json:"error"`
}

// SetProtection turns the task's scale-in protection on (for expires,
// rounded up to whole minutes, 1 to 2,880) or off.
func (a *Agent) SetProtection(ctx context.Context, enabled bool, expires time.Duration) error {
	body := map[string]any{"ProtectionEnabled": enabled}
	if enabled {
		mins := int((expires + time.Minute - 1) / time.Minute)
		if mins < 1 || mins > 2880 {
			return fmt.Errorf("task protection: expiry %v is outside 1m..48h", expires)
		}
		body["ExpiresInMinutes"] = mins
	}
	b, _ := json.Marshal(body)
	_, err := a.call(ctx, http.MethodPut, b)
	return err
}

// Protection reads the task's scale-in protection.
func (a *Agent) Protection(ctx context.Context) (Protection, error) {
	return a.call(ctx, http.MethodGet, nil)
}

func (a *Agent) call(ctx context.Context, method string, body []byte) (Protection, error) {
	url := strings.TrimRight(a.BaseURL, "/") + "/task-protection/v1/state"
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return Protection{}, fmt.Errorf("task protection: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	hc := a.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Protection{}, fmt.Errorf("task protection %s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Protection{}, fmt.Errorf("task protection %s: reading the answer: %w", method, err)
	}
	var r agentResponse
	if err := json.Unmarshal(raw, &r); err != nil && resp.StatusCode == http.StatusOK {
		return Protection{}, fmt.Errorf("task protection %s: answer is not JSON: %w", method, err)
	}
	switch {
	case r.Failure != nil:
		return Protection{}, fmt.Errorf("task protection %s: the agent failed: %s %s (task %s)", method, r.Failure.Reason, r.Failure.Detail, r.Failure.Arn)
	case r.Error != nil:
		return Protection{}, fmt.Errorf("task protection %s: %s: %s (status %d)", method, r.Error.Code, r.Error.Message, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return Protection{}, fmt.Errorf("task protection %s: status %d: %s", method, resp.StatusCode, bytes.TrimSpace(raw))
	case r.Protection == nil:
		return Protection{}, errors.New("task protection: the agent's answer has no protection state")
	}
	return *r.Protection, nil
}

// Protector sets a task's scale-in protection; *Agent is one.
type Protector interface {
	SetProtection(ctx context.Context, enabled bool, expires time.Duration) error
}

// Keeper holds the task's scale-in protection while the worker owns jobs:
// it protects the task as soon as a job is in flight, renews the
// protection at half its expiry while jobs keep coming, and clears it once
// the worker has been idle for IdleFor, so autoscaling can stop the task.
// Protection does not hold off Fargate Spot or StopTask; those are a
// SIGTERM like any other stop.
type Keeper struct {
	Agent Protector
	// InFlight is how many jobs the worker holds now.
	InFlight func() int
	// Expiry of each protection (default 60m); keep it above the longest job.
	Expiry time.Duration
	// IdleFor is how long the worker must hold nothing before the
	// protection is cleared (default 20s: one long poll).
	IdleFor time.Duration
	// Interval between looks at InFlight (default 1s).
	Interval time.Duration
	Logger   zerolog.Logger

	protected bool
	setAt     time.Time
	lastBusy  time.Time
}

func (k *Keeper) defaults() {
	if k.Expiry <= 0 {
		k.Expiry = time.Hour
	}
	if k.IdleFor <= 0 {
		k.IdleFor = 20 * time.Second
	}
	if k.Interval <= 0 {
		k.Interval = time.Second
	}
}

// Run keeps the protection in step with InFlight until ctx ends, then
// clears it.
func (k *Keeper) Run(ctx context.Context) {
	k.defaults()
	tick := time.NewTicker(k.Interval)
	defer tick.Stop()
	for {
		k.step(ctx, time.Now())
		select {
		case <-ctx.Done():
			if k.protected {
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				if err := k.Agent.SetProtection(cctx, false, 0); err != nil {
					k.Logger.Warn().Err(err).Msg("clearing task scale-in protection at exit")
				}
			}
			return
		case <-tick.C:
		}
	}
}

// step decides at now: protect, renew, clear or leave alone.
func (k *Keeper) step(ctx context.Context, now time.Time) {
	if ctx.Err() != nil {
		return
	}
	// A call under way finishes even if ctx ends meanwhile, so the state
	// Run clears at exit is the agent's.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	busy := k.InFlight() > 0
	if busy {
		k.lastBusy = now
	}
	switch {
	case busy && (!k.protected || now.Sub(k.setAt) >= k.Expiry/2):
		if err := k.Agent.SetProtection(ctx, true, k.Expiry); err != nil {
			k.Logger.Warn().Err(err).Msg("setting task scale-in protection; retrying")
			return
		}
		if !k.protected {
			k.Logger.Debug().Dur("expires_in", k.Expiry).Msg("task protected from scale-in while jobs are in flight")
		}
		k.protected, k.setAt = true, now
	case !busy && k.protected && now.Sub(k.lastBusy) >= k.IdleFor:
		if err := k.Agent.SetProtection(ctx, false, 0); err != nil {
			k.Logger.Warn().Err(err).Msg("clearing task scale-in protection; retrying")
			return
		}
		k.Logger.Debug().Msg("task idle: scale-in protection cleared")
		k.protected = false
	}
}
