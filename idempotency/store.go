package idempotency

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults.
const (
	// DefaultPrefix starts every key when Store.Prefix is empty.
	DefaultPrefix = "quarry:"
	// DefaultRetention is how long a completed claim, and every effect, is
	// kept: 15 days, longer than SQS's longest retention (14 days), so a
	// message can never outlive the record that marks it done. A DLQ
	// message redriven to its source keeps its original enqueue time, so
	// the bound holds for redrives too.
	DefaultRetention = 15 * 24 * time.Hour
)

// Store runs the claim protocol against Redis. Its methods are safe for
// concurrent use; a Store holds no state besides its configuration, so
// copies behave alike.
//
// The protocol's scripts run on the client's autopipeline when the client
// has one (go-redis's *Client, *ClusterClient and *Ring do): the scripts
// that concurrent goroutines run at the same moment, such as a runner's
// claims and completes, then share one write and one read on one
// connection instead of paying a round trip each. Each call still waits
// for its own reply, so the protocol and its errors are the same as with
// one round trip per call; a lone call is sent at once. The autopipeline
// belongs to the client and closes with it.
type Store struct {
	// Client is the Redis connection: a single server, a failover client
	// or a cluster. Required.
	Client redis.UniversalClient
	// Prefix starts every key the store writes (see the key layout in the
	// package documentation). Empty means DefaultPrefix. Tests give each
	// test its own prefix.
	Prefix string
	// Retention is how long records of completed jobs, records of claims
	// never completed, and effects are kept. Zero means DefaultRetention.
	// Complete may set a job's retention explicitly.
	Retention time.Duration
	// Epoch, when set, is the epoch record Redis must still hold for
	// AttemptEffect to go ahead (see ErrEpochChanged). Workers set it to
	// the epoch they found at start.
	Epoch string
}

// NewStore returns a store on client with keys under prefix.
func NewStore(client redis.UniversalClient, prefix string) *Store {
	return &Store{Client: client, Prefix: prefix}
}

func (s *Store) prefix() string { return cmp.Or(s.Prefix, DefaultPrefix) }

func (s *Store) retention() time.Duration {
	if s.Retention > 0 {
		return s.Retention
	}
	return DefaultRetention
}

// autoPipeliner is a client with a shared autopipeline
// (redis.Client.AutoPipeline). The client creates it on first use and
// returns the same one afterwards.
type autoPipeliner interface {
	AutoPipeline() (*redis.AutoPipeliner, error)
}

// run runs a protocol script on the client's autopipeline, or on the
// client itself when it has none (or cannot give it, for instance once
// closed, in which case the client reports the error).
//
// A call whose ctx has already ended fails with ctx's error without being
// sent, as it does on the client itself; the autopipeline would otherwise
// send it, since it does not look at a command's context once queued.
func (s *Store) run(ctx context.Context, sc scriptRunner, keys []string, args ...any) *redis.Cmd {
	if err := ctx.Err(); err != nil {
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(err)
		return cmd
	}
	var c redis.Scripter = s.Client
	if p, ok := s.Client.(autoPipeliner); ok {
		if ap, err := p.AutoPipeline(); err == nil {
			c = ap
		}
	}
	return sc.Run(ctx, c, keys, args...)
}

func (s *Store) check() error {
	if s == nil || s.Client == nil {
		return fmt.Errorf("store has no Redis client: %w", ErrInvalid)
	}
	return nil
}

// newToken returns a random owner token: 128 bits, so no two claims ever
// share one.
func newToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("reading randomness for an owner token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// ms converts a duration to whole milliseconds for PEXPIRE, rounding up so
// a positive duration never becomes 0.
func ms(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}
