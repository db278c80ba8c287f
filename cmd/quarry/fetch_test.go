package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFetchRunsTheSampleRecipeAgainstTheSampleSite(t *testing.T) {
	out := filepath.Join(t.TempDir(), "doc.pdf")
	msg := runQuarry(t, "fetch", "--recipe", "../../pipeline/fetch/recipes/sample.yaml", "--key", "42-501-20130", "--sample-site", "--out", out)
	if !strings.Contains(msg, "saved "+out) {
		t.Fatalf("output: %s", msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "%PDF-") {
		t.Fatalf("saved file is not a PDF: %.20q", b)
	}
}
