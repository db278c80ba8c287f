package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
	"github.com/quarry-dev/quarry/internal/redistest"
)

// useRedis points QUARRY_REDIS_URL at the test's Redis: the real one when
// configured (under the test's prefix), else a miniredis of its own.
func useRedis(t *testing.T) {
	t.Helper()
	if url := os.Getenv(redistest.EnvURL); url != "" {
		t.Setenv("QUARRY_REDIS_URL", url)
		t.Setenv("QUARRY_REDIS_PREFIX", redistest.Prefix(t))
		_ = redistest.Client(t)
		return
	}
	m := miniredis.RunT(t)
	t.Setenv("QUARRY_REDIS_URL", "redis://"+m.Addr())
}

// quarryErr runs one command line and returns stdout and its error.
func quarryErr(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := newRootCommand(&out, io.Discard)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestSuppressAddCheckRemoveWithAuditTrail(t *testing.T) {
	useRedis(t)
	t.Setenv("QUARRY_ACTOR", "alice")
	if out := runQuarry(t, "suppress", "add", "Bob@Example.org", "--reason", "asked by phone to stop"); !strings.Contains(out, "bob@example.org suppressed (manual)") {
		t.Errorf("add: %s", out)
	}
	if out := runQuarry(t, "suppress", "add", "bob@example.org", "--reason", "again"); !strings.Contains(out, "already suppressed") {
		t.Errorf("second add: %s", out)
	}
	runQuarry(t, "suppress", "add", "carol@example.org", "--kind", "complaint", "--reason", "complained by email")
	if _, err := quarryErr(t, "suppress", "add", "dan@example.org", "--kind", "nonsense", "--reason", "x"); err == nil || !strings.Contains(err.Error(), "unknown suppression reason") {
		t.Errorf("bad kind: %v", err)
	}
	if _, err := quarryErr(t, "suppress", "add", "not-an-address", "--reason", "x"); err == nil || !strings.Contains(err.Error(), "not a bare email address") {
		t.Errorf("bad address: %v", err)
	}

	out := runQuarry(t, "suppress", "list")
	if !strings.Contains(out, "bob@example.org") || !strings.Contains(out, "carol@example.org") || !strings.Contains(out, "alice") {
		t.Errorf("list:\n%s", out)
	}
	if out := runQuarry(t, "suppress", "list", "--reason", "complaint"); strings.Contains(out, "bob@") || !strings.Contains(out, "carol@") {
		t.Errorf("list --reason complaint:\n%s", out)
	}
	out, err := quarryErr(t, "suppress", "check", "bob@example.org")
	if code := exitCode(err); code != exitSuppressed {
		t.Errorf("check of a suppressed address: exit status %d (%v), want %d", code, err, exitSuppressed)
	}
	if js, err := quarryErr(t, "suppress", "check", "bob@example.org", "--json"); exitCode(err) != exitSuppressed || !strings.Contains(js, `"suppressed":true`) {
		t.Errorf("check --json of a suppressed address: status %d, %s", exitCode(err), js)
	}
	if _, err := quarryErr(t, "suppress", "check", "erin@example.org", "--json"); err != nil {
		t.Errorf("check --json of a clean address: %v", err)
	}
	if !strings.Contains(out, "SUPPRESSED (manual)") || !strings.Contains(out, "asked by phone to stop") || !strings.Contains(out, "add manual by alice") {
		t.Errorf("check:\n%s", out)
	}
	if out := runQuarry(t, "suppress", "check", "erin@example.org"); !strings.Contains(out, "may be mailed") {
		t.Errorf("check of a clean address: %s", out)
	}

	// A complaint is not lifted without a second approver; the rest is.
	if out := runQuarry(t, "suppress", "remove", "carol@example.org", "--reason", "wrong address"); !strings.Contains(out, "still suppressed (complaint)") {
		t.Errorf("remove without --kind kept the complaint? %s", out)
	}
	if _, err := quarryErr(t, "suppress", "remove", "carol@example.org", "--kind", "complaint", "--reason", "consent renewed"); err == nil || !strings.Contains(err.Error(), "approved-by") {
		t.Errorf("complaint removal without approver: %v", err)
	}
	if out := runQuarry(t, "suppress", "remove", "carol@example.org", "--kind", "complaint", "--reason", "signed consent #7", "--approved-by", "lead"); !strings.Contains(out, "complaint lifted") {
		t.Errorf("approved complaint removal: %s", out)
	}
	if out := runQuarry(t, "suppress", "remove", "bob@example.org", "--reason", "he asked to be back"); !strings.Contains(out, "manual lifted") {
		t.Errorf("remove: %s", out)
	}
	if out := runQuarry(t, "suppress", "list"); strings.Contains(out, "@example.org") {
		t.Errorf("list after removals:\n%s", out)
	}

	out = runQuarry(t, "suppress", "audit", "--json")
	var actions []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e struct {
			Action, Reason, Address, Actor string
			ApprovedBy                     string `json:"approved_by"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		actions = append(actions, e.Action+" "+e.Reason+" "+e.Address+" "+e.Actor+" "+e.ApprovedBy)
	}
	want := []string{
		"add manual bob@example.org alice ",
		"add complaint carol@example.org alice ",
		"remove complaint carol@example.org alice lead",
		"remove manual bob@example.org alice ",
	}
	if strings.Join(actions, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(actions, "\n"), strings.Join(want, "\n"))
	}
}

func TestSuppressMirrorsIntoSES(t *testing.T) {
	useRedis(t)
	ep := localawstest.Start(t, localaws.Config{})
	t.Setenv("QUARRY_SES_MIRROR_SUPPRESSIONS", "true")
	runQuarry(t, "suppress", "add", "gone@example.org", "--kind", "hard_bounce", "--reason", "known dead mailbox", "--endpoint-url", ep.URL)
	got, err := ep.SES().GetSuppressedDestination(context.Background(), &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String("gone@example.org")})
	if err != nil || string(got.SuppressedDestination.Reason) != "BOUNCE" {
		t.Fatalf("SES list after add: %+v, %v", got, err)
	}
	runQuarry(t, "suppress", "remove", "gone@example.org", "--reason", "mailbox restored", "--endpoint-url", ep.URL)
	if _, err := ep.SES().GetSuppressedDestination(context.Background(), &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String("gone@example.org")}); err == nil {
		t.Fatal("SES still lists the address after remove")
	}
}
