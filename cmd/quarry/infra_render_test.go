package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func quarryOut(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := newRootCommand(&out, io.Discard)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// TestInfraRenderThenCheck: quarry infra render, then quarry infra check,
// for the default and the production environment; then a template broken by
// hand fails the check with the problem named.
func TestInfraRenderThenCheck(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"default", "production"} {
		t.Run(env, func(t *testing.T) {
			dir := t.TempDir()
			out, err := quarryOut(t, "infra", "render", "--env", env, "--out", dir)
			if err != nil {
				t.Fatalf("render: %v\n%s", err, out)
			}
			for _, stack := range []string{"messaging", "workers", "mail"} {
				if !strings.Contains(out, "stack quarry-"+env+"-"+stack) {
					t.Errorf("render output does not name stack %s:\n%s", stack, out)
				}
			}
			out, err = quarryOut(t, "infra", "check", "--dir", dir)
			if err != nil || !strings.Contains(out, "ok: 3 templates") {
				t.Fatalf("check: %v\n%s", err, out)
			}

			path := filepath.Join(dir, "messaging.json")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			broken := strings.Replace(string(b), `"MessageRetentionPeriod"`, `"MessageRetentionPeriods"`, 1)
			if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err = quarryOut(t, "infra", "check", "--dir", dir)
			if err == nil || !strings.Contains(out, "additional properties 'MessageRetentionPeriods' not allowed") {
				t.Fatalf("check of a broken template: err %v\n%s", err, out)
			}
		})
	}
}

func TestInfraRenderUnknownEnvironment(t *testing.T) {
	t.Parallel()
	_, err := quarryOut(t, "infra", "render", "--env", "staging", "--out", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), `unknown environment "staging"`) {
		t.Fatalf("err = %v", err)
	}
}
