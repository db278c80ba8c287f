package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestVersionPrintsVersionAndPlatform(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	cmd := newRootCommand(&out, io.Discard)
	cmd.SetArgs([]string{"version"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "quarry dev ") || !strings.Contains(out.String(), "go1.") {
		t.Fatalf("version output = %q", out.String())
	}
}

func TestBadConfigurationIsAClearError(t *testing.T) {
	for _, tc := range []struct{ env, val, want string }{
		{"QUARRY_LOG_FORMAT", "xml", "QUARRY_LOG_FORMAT"},
		{"QUARRY_LOG_LEVEL", "loud", "QUARRY_LOG_LEVEL"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(tc.env, tc.val)
			cmd := newRootCommand(io.Discard, io.Discard)
			cmd.SetArgs([]string{"version"})
			err := cmd.Execute()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %s", err, tc.want)
			}
		})
	}
}

func TestLocalAWSRejectsBadFaultFlags(t *testing.T) {
	t.Parallel()
	cmd := newRootCommand(io.Discard, io.Discard)
	cmd.SetArgs([]string{"localaws", "--addr", "127.0.0.1:0", "--fault-error", "ReceiveMessage=3"})
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "--fault-error") {
		t.Fatalf("err = %v, want a --fault-error error", err)
	}
}
