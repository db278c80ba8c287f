package awsproto

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// WriteFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so a crash leaves the old file or the new one,
// never a torn one; with sync the data reaches the disk before the rename.
// The directory is created if needed.
func WriteFileAtomic(path string, data []byte, sync bool) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// ReadStateFile decodes the JSON state file at path into v. found is false
// when there is no file (a first start). A file that cannot be read or
// decoded is an error naming it: starting empty would silently lose state.
func ReadStateFile(path string, v any) (found bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading state: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("state file %s is damaged (%w); move it away to start empty", path, err)
	}
	return true, nil
}

// StateSaver writes a service's state document when it changed. The zero
// value is ready; one SaveIfDirty runs at a time.
type StateSaver struct {
	mu sync.Mutex // one save at a time, so an older snapshot never overwrites a newer one
}

// SaveIfDirty takes a snapshot under lock when *dirty is set (dirty is
// guarded by lock), clears the flag, and writes the snapshot as JSON to path
// atomically, outside the lock. If the write fails the flag is set again,
// so the next save tries once more.
func (s *StateSaver) SaveIfDirty(path string, lock sync.Locker, dirty *bool, snapshot func() any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	lock.Lock()
	if !*dirty {
		lock.Unlock()
		return nil
	}
	data, err := json.Marshal(snapshot())
	*dirty = false
	lock.Unlock()
	if err == nil {
		err = WriteFileAtomic(path, data, true)
	}
	if err != nil {
		lock.Lock()
		*dirty = true
		lock.Unlock()
		return fmt.Errorf("saving state: %w", err)
	}
	return nil
}
