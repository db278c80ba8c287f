package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAutoscaleSimulate: the burst of the package's hand-checked scenario,
// through the command line, and the same load as a file.
func TestAutoscaleSimulate(t *testing.T) {
	t.Parallel()
	curve := filepath.Join(t.TempDir(), "load.txt")
	if err := os.WriteFile(curve, []byte("# the burst\n0 +1200\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, arrival := range []string{"burst:1200", curve} {
		out, err := quarryOut(t, "autoscale", "simulate", "--arrival", arrival, "--processing-ms", "1000",
			"--tasks-min", "1", "--tasks-max", "10", "--target", "100", "--startup", "60s")
		if err != nil {
			t.Fatalf("%s: %v\n%s", arrival, err, out)
		}
		for _, want := range []string{"out 1→10", "in 10→1", "jobs 1200, done 1200, drained at 5m36s, worst latency 5m36s, 2.72 task-hours"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output lacks %q:\n%s", arrival, want, out)
			}
		}
	}
	if _, err := quarryOut(t, "autoscale", "simulate", "--arrival", "12", "--processing-ms", "100"); err == nil || !strings.Contains(err.Error(), "--minutes") {
		t.Errorf("a constant rate without --minutes: err = %v", err)
	}
}
