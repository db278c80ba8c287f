package idempotency

import (
	"fmt"
	"strings"
)

// Key layout, under the store's prefix P (default "quarry:"), for an
// idempotency key K and an effect name N:
//
//	P idem:{K}               hash   the claim record: state, hash, fence, owner, lease_until, result, times
//	P idem:{K}:effect:N      hash   one effect: state, fence, owner, token, result, reason, times
//	P idem:unknown-effects   zset   "K\nN" of effects marked unknown, scored by Redis time (ms)
//	P epoch                  string the epoch record: random, written once; gone or changed means data loss
//
// The lease is part of the record: lease_until is Redis time in ms, moved
// on by Extend; a job is in progress elsewhere while its state is
// in_progress and lease_until is ahead of Redis's clock. Times are
// milliseconds of Redis's clock, as decimal strings.
//
// {K} is a Redis Cluster hash tag: all keys of one job live in one slot, so
// the claim scripts are legal on a cluster. The unknown-effects index and
// the epoch record are in other slots, and the effect scripts write the
// index (and AttemptEffect reads the epoch) in the same script as the
// effect, so that an unknown effect is never unlisted: the store needs one
// Redis primary, not a Redis Cluster. Keys may not contain braces (which would end the tag
// early and let two keys' layouts overlap) or control characters (the
// index separates key and name with a newline).

const (
	maxKeyLen  = 1024
	maxNameLen = 1024
)

func (s *Store) recordKey(key string) string { return s.prefix() + "idem:{" + key + "}" }

// jobKeys returns the KEYS of a single job's claim scripts: its record.
func (s *Store) jobKeys(key string) []string {
	return []string{s.recordKey(key)}
}

func (s *Store) effectKey(key, name string) string {
	return s.recordKey(key) + ":effect:" + name
}
func (s *Store) unknownIndexKey() string { return s.prefix() + "idem:unknown-effects" }

func indexMember(key, name string) string { return key + "\n" + name }

func splitIndexMember(m string) (key, name string, ok bool) {
	return strings.Cut(m, "\n")
}

// checkKey validates an idempotency key.
func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("empty key: %w", ErrInvalid)
	case len(key) > maxKeyLen:
		return fmt.Errorf("key of %d bytes, over %d: %w", len(key), maxKeyLen, ErrInvalid)
	case strings.ContainsAny(key, "{}"):
		return fmt.Errorf("key %q contains a brace: %w", key, ErrInvalid)
	case hasControl(key):
		return fmt.Errorf("key %q contains a control character: %w", key, ErrInvalid)
	}
	return nil
}

// checkName validates an effect name.
func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty effect name: %w", ErrInvalid)
	case len(name) > maxNameLen:
		return fmt.Errorf("effect name of %d bytes, over %d: %w", len(name), maxNameLen, ErrInvalid)
	case hasControl(name):
		return fmt.Errorf("effect name %q contains a control character: %w", name, ErrInvalid)
	}
	return nil
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}
