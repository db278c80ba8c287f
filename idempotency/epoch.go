package idempotency

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// ErrEpochChanged is returned by [Store.AttemptEffect] when Redis no
// longer holds the epoch record the store expects: the server lost its
// data (a restart without persistence, a failover to an empty replica, an
// eviction, a flush) or is another server. The records that say which
// effects happened may be gone with it, so no effect may be performed
// until a person has looked.
var ErrEpochChanged = errors.New("idempotency: Redis epoch changed (data loss)")

// epochError says what the epoch check found.
func epochError(want, held string) error {
	if held == "" {
		return fmt.Errorf("the epoch record %s is gone from Redis (it held it before): Redis lost its data, and with it the records of which effects happened: %w", want, ErrEpochChanged)
	}
	return fmt.Errorf("the epoch record in Redis is %s, not %s: it lost its data or is another server: %w", held, want, ErrEpochChanged)
}

func (s *Store) epochKey() string { return s.prefix() + "epoch" }

// ReadEpoch returns the epoch record Redis holds, "" when there is none.
func (s *Store) ReadEpoch(ctx context.Context) (string, error) {
	if err := s.check(); err != nil {
		return "", fmt.Errorf("read epoch: %w", err)
	}
	v, err := s.Client.Get(ctx, s.epochKey()).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the epoch record %s: %w", s.epochKey(), err)
	}
	return v, nil
}

// CreateEpoch writes a new random epoch record unless Redis holds one, and
// returns the one Redis holds afterwards; created says whether it is new.
func (s *Store) CreateEpoch(ctx context.Context) (epoch string, created bool, err error) {
	if err := s.check(); err != nil {
		return "", false, fmt.Errorf("create epoch: %w", err)
	}
	tok, err := newToken()
	if err != nil {
		return "", false, fmt.Errorf("create epoch: %w", err)
	}
	ok, err := s.Client.SetNX(ctx, s.epochKey(), tok, 0).Result()
	if err != nil {
		return "", false, fmt.Errorf("writing the epoch record %s: %w", s.epochKey(), err)
	}
	if ok {
		return tok, true, nil
	}
	cur, err := s.ReadEpoch(ctx)
	return cur, false, err
}

// ReplaceEpoch writes epoch as the record, whatever Redis held: a person
// accepting that Redis lost its data (after checking the effects of the
// jobs in flight), or pointing the fleet at a new server.
func (s *Store) ReplaceEpoch(ctx context.Context, epoch string) error {
	if err := s.check(); err != nil {
		return fmt.Errorf("replace epoch: %w", err)
	}
	if epoch == "" {
		return fmt.Errorf("replace epoch: empty epoch: %w", ErrInvalid)
	}
	if err := s.Client.Set(ctx, s.epochKey(), epoch, 0).Err(); err != nil {
		return fmt.Errorf("writing the epoch record %s: %w", s.epochKey(), err)
	}
	return nil
}

// NewEpoch returns a fresh random epoch value.
func NewEpoch() (string, error) { return newToken() }
