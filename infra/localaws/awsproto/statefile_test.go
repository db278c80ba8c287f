package awsproto_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

func TestStateSaverWritesOnlyWhenDirtyAndRetriesAfterAFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	var (
		saver awsproto.StateSaver
		mu    sync.Mutex
		dirty bool
		snaps int
	)
	snap := func() any { snaps++; return map[string]int{"n": snaps} }

	if err := saver.SaveIfDirty(path, &mu, &dirty, snap); err != nil || snaps != 0 {
		t.Fatalf("clean save: err=%v snapshots=%d, want nothing done", err, snaps)
	}
	dirty = true
	if err := saver.SaveIfDirty(path, &mu, &dirty, snap); err != nil {
		t.Fatal(err)
	}
	var got map[string]int
	if found, err := awsproto.ReadStateFile(path, &got); !found || err != nil || got["n"] != 1 || dirty {
		t.Fatalf("after save: found=%v err=%v got=%v dirty=%v", found, err, got, dirty)
	}

	// A write that fails (the target is a directory) leaves the state dirty.
	bad := filepath.Join(dir, "is-a-dir")
	if err := os.Mkdir(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	dirty = true
	if err := saver.SaveIfDirty(bad, &mu, &dirty, snap); err == nil || !dirty {
		t.Fatalf("failed save: err=%v dirty=%v, want an error and the flag set again", err, dirty)
	}
}

func TestReadStateFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var v map[string]int
	if found, err := awsproto.ReadStateFile(filepath.Join(dir, "none.json"), &v); found || err != nil {
		t.Fatalf("missing file: found=%v err=%v, want a first start", found, err)
	}
	damaged := filepath.Join(dir, "damaged.json")
	if err := os.WriteFile(damaged, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := awsproto.ReadStateFile(damaged, &v); err == nil || !strings.Contains(err.Error(), damaged) {
		t.Fatalf("damaged file: %v, want an error naming it", err)
	}
}
