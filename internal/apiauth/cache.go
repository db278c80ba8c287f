package apiauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// CacheConfig configures a [Cache].
type CacheConfig struct {
	// Redis holds the cached permissions. Required.
	Redis redis.UniversalClient
	// Prefix starts every key (QUARRY_REDIS_PREFIX).
	Prefix string
	// Source answers for subjects the cache does not hold. Required.
	Source Source
	// TTL is how long an answer is kept. Defaults to 5 minutes.
	TTL time.Duration
}

// Cache keeps each subject's permissions in Redis for a TTL. It is safe for
// concurrent use.
type Cache struct {
	rdb    redis.UniversalClient
	prefix string
	src    Source
	ttl    time.Duration
}

// NewCache returns the cache.
func NewCache(cfg CacheConfig) (*Cache, error) {
	if cfg.Redis == nil || cfg.Source == nil {
		return nil, errors.New("apiauth: the permission cache needs Redis and a source")
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 5 * time.Minute
	}
	return &Cache{rdb: cfg.Redis, prefix: cfg.Prefix, src: cfg.Source, ttl: cfg.TTL}, nil
}

func (c *Cache) key(subject string) string { return c.prefix + "api:perms:" + subject }

// Permissions returns the subject's permissions: from Redis when cached,
// else from the source, then cached (an empty answer too, so a subject
// without permissions does not ask the source at every request).
func (c *Cache) Permissions(ctx context.Context, subject string) (Permissions, error) {
	raw, err := c.rdb.Get(ctx, c.key(subject)).Bytes()
	switch {
	case err == nil:
		var p Permissions
		if err := json.Unmarshal(raw, &p); err == nil {
			return p, nil
		}
		// A corrupt entry is read again from the source.
	case !errors.Is(err, redis.Nil):
		return nil, fmt.Errorf("apiauth: reading cached permissions: %w", err)
	}
	p, err := c.src.Permissions(ctx, subject)
	if err != nil {
		return nil, err
	}
	if p == nil {
		p = []string{}
	}
	raw, err = json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("apiauth: encoding permissions: %w", err)
	}
	if err := c.rdb.Set(ctx, c.key(subject), raw, c.ttl).Err(); err != nil {
		return nil, fmt.Errorf("apiauth: caching permissions: %w", err)
	}
	return p, nil
}

// Revoke deletes the subject's cached permissions, so its next request
// reads the source again. It reports whether an entry was there.
func (c *Cache) Revoke(ctx context.Context, subject string) (bool, error) {
	return Revoke(ctx, c.rdb, c.prefix, subject)
}

// Revoke deletes a subject's cached permissions from the Redis every API
// process shares (keys under prefix): `quarry api revoke`, which needs no
// permission source.
func Revoke(ctx context.Context, rdb redis.UniversalClient, prefix, subject string) (bool, error) {
	n, err := rdb.Del(ctx, prefix+"api:perms:"+subject).Result()
	if err != nil {
		return false, fmt.Errorf("apiauth: revoking %s: %w", subject, err)
	}
	return n > 0, nil
}
