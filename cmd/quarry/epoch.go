package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
)

// epochCheckEvery is how often a worker reads Redis's epoch record.
const epochCheckEvery = 2 * time.Second

// epochAnchorKey is where, in the blob bucket, the fleet keeps the epoch
// its Redis should hold: outside Redis, so that a worker starting after
// Redis lost its data can tell (Redis alone would just look new).
func epochAnchorKey(prefix string) string {
	return "_quarry/redis-epoch/" + strings.NewReplacer("/", "_", ":", "_").Replace(prefix)
}

// epochGuard watches Redis's epoch record for a worker. Once the record is
// gone or changed, Redis has lost data (and with it which jobs and mails
// are done): the guard closes, for good, and the notify stage stops
// sending, /healthz fails and quarry_redis_epoch_lost is 1. It satisfies
// notify.Guard.
type epochGuard struct {
	store *idempotency.Store
	log   Logger
	lost  prometheus.Gauge

	mu  sync.Mutex
	err error // why the guard is closed; nil while open
}

// startEpochGuard reads (or, on a new fleet, writes) the epoch record and
// its anchor in the blob bucket, sets store.Epoch, and returns the guard.
// An embedded Redis has no anchor: it starts empty every time.
func startEpochGuard(ctx context.Context, a *app, store *idempotency.Store, blobs *infra.BlobStore, embedded bool, reg prometheus.Registerer) (*epochGuard, error) {
	g := &epochGuard{store: store, log: a.log, lost: prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "quarry_redis_epoch_lost",
		Help: "1 once this worker found Redis's epoch record gone or changed (Redis lost its data): it performs no more effects.",
	})}
	if reg != nil {
		reg.MustRegister(g.lost)
	}
	if embedded {
		epoch, _, err := store.CreateEpoch(ctx)
		if err != nil {
			return nil, err
		}
		store.Epoch = epoch
		return g, nil
	}
	want, found, err := ensureEpoch(ctx, store, blobs, a.cfg.RedisPrefix)
	if err != nil {
		return nil, err
	}
	store.Epoch = want
	if found != want {
		g.Trip(epochMismatch(want, found, a.cfg.RedisPrefix))
	}
	return g, nil
}

// ensureEpoch returns the epoch the fleet expects (want) and the one Redis
// holds (found). When neither Redis nor the anchor has one (a new fleet),
// or only Redis has one (a fleet from before the anchor), both are written.
func ensureEpoch(ctx context.Context, store *idempotency.Store, blobs *infra.BlobStore, prefix string) (want, found string, err error) {
	anchor, err := readAnchor(ctx, blobs, prefix)
	if err != nil {
		return "", "", err
	}
	found, err = store.ReadEpoch(ctx)
	if err != nil {
		return "", "", err
	}
	if anchor != "" {
		return anchor, found, nil
	}
	if found == "" {
		if found, _, err = store.CreateEpoch(ctx); err != nil {
			return "", "", err
		}
	}
	if err := blobs.Put(ctx, epochAnchorKey(prefix), strings.NewReader(found), nil); err != nil {
		return "", "", fmt.Errorf("recording the Redis epoch in the blob bucket: %w", err)
	}
	return found, found, nil
}

func readAnchor(ctx context.Context, blobs *infra.BlobStore, prefix string) (string, error) {
	r, err := blobs.Get(ctx, epochAnchorKey(prefix))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the fleet's Redis epoch from the blob bucket: %w", err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, 1024))
	if err != nil {
		return "", fmt.Errorf("reading the fleet's Redis epoch from the blob bucket: %w", err)
	}
	return string(bytes.TrimSpace(b)), nil
}

func epochMismatch(want, found, prefix string) error {
	where := fmt.Sprintf("the blob bucket's %s", epochAnchorKey(prefix))
	if found == "" {
		return fmt.Errorf("the epoch record is gone from Redis, but %s says the fleet's Redis holds %s: Redis lost its data: %w", where, want, idempotency.ErrEpochChanged)
	}
	return fmt.Errorf("the epoch record in Redis is %s, but %s says %s: Redis lost its data or is another server: %w", found, where, want, idempotency.ErrEpochChanged)
}

// Err is nil while the guard is open.
func (g *epochGuard) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// Trip closes the guard, logging why once.
func (g *epochGuard) Trip(err error) {
	g.mu.Lock()
	first := g.err == nil
	if first {
		g.err = err
	}
	g.mu.Unlock()
	if !first {
		return
	}
	g.lost.Set(1)
	g.log.Error().Err(err).Msg("Redis lost its data: the records of which jobs and mails are done may be gone, so this worker sends no more mail (the notify queue is held) and /healthz fails. " +
		"Check Redis with `quarry redis check`; settle the mails that were in flight (`quarry effects unknown`, SES's sending history); " +
		"then accept the loss with `quarry redis reset-epoch --yes` and restart the workers.")
}

// watch reads the epoch record every epochCheckEvery until ctx ends, and
// trips the guard once Redis holds another or none. A read that fails
// (Redis restarting) tells nothing and is skipped.
func (g *epochGuard) watch(ctx context.Context) error {
	t := time.NewTicker(epochCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if g.Err() != nil {
			continue
		}
		got, err := g.store.ReadEpoch(ctx)
		if err != nil {
			continue
		}
		if got != g.store.Epoch {
			if got == "" {
				g.Trip(fmt.Errorf("the epoch record %s is gone from Redis: Redis lost its data: %w", g.store.Epoch, idempotency.ErrEpochChanged))
			} else {
				g.Trip(fmt.Errorf("the epoch record in Redis is %s, not %s: it lost its data or is another server: %w", got, g.store.Epoch, idempotency.ErrEpochChanged))
			}
		}
	}
}
