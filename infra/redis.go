package infra

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Redis is a connected Redis client and what closes it.
type Redis struct {
	Client redis.UniversalClient
	// Embedded is true when no server was configured and an in-process
	// miniredis serves instead (development only: it keeps nothing across
	// restarts and is not shared between processes).
	Embedded bool
	mini     *miniredis.Miniredis
}

// OpenRedis connects to the Redis at url (redis://host:port/db, rediss://
// for TLS) and checks that it answers; an empty url starts an embedded
// miniredis.
func OpenRedis(ctx context.Context, url string) (*Redis, error) {
	if url == "" {
		m := miniredis.NewMiniRedis()
		if err := m.Start(); err != nil {
			return nil, fmt.Errorf("starting embedded redis: %w", err)
		}
		return &Redis{Client: redis.NewClient(&redis.Options{Addr: m.Addr()}), Embedded: true, mini: m}, nil
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("QUARRY_REDIS_URL: %w", err)
	}
	c := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("redis at %s does not answer: %w", opts.Addr, err)
	}
	return &Redis{Client: c}, nil
}

// Close closes the client and stops an embedded server.
func (r *Redis) Close() error {
	err := r.Client.Close()
	if r.mini != nil {
		r.mini.Close()
	}
	if errors.Is(err, redis.ErrClosed) {
		err = nil
	}
	return err
}
