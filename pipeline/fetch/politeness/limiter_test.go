package politeness

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// newLimiter returns a limiter under the backend's test prefix, and removes
// the GCRA keys redis_rate writes outside it ("rate:" + prefix) when the
// test ends.
func newLimiter(t *testing.T, b redistest.Backend) *Limiter {
	t.Helper()
	l, err := New(Config{Redis: b.Client, Prefix: b.Prefix, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { deleteRateKeys(t, b.Client, b.Prefix) })
	return l
}

func deleteRateKeys(t testing.TB, c redis.UniversalClient, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keys, err := c.Keys(ctx, "rate:"+prefix+"*").Result()
	if err != nil {
		t.Errorf("list rate keys: %v", err)
		return
	}
	if len(keys) > 0 {
		if err := c.Del(ctx, keys...).Err(); err != nil {
			t.Errorf("delete rate keys: %v", err)
		}
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without Redis: want error")
	}
}

func TestWaitSpacesRequests(t *testing.T) {
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		l := newLimiter(t, b)
		const n, interval = 8, 50 * time.Millisecond
		start := time.Now()
		for range n {
			if err := l.Wait(t.Context(), "example.gov", interval, 1); err != nil {
				t.Fatalf("Wait: %v", err)
			}
		}
		if took, least := time.Since(start), (n-1)*interval; took < least-5*time.Millisecond {
			t.Errorf("%d requests took %s, want at least %s", n, took, least)
		}
		// Another host has its own schedule.
		start = time.Now()
		if err := l.Wait(t.Context(), "other.gov", interval, 1); err != nil || time.Since(start) > 30*time.Millisecond {
			t.Errorf("first request to another host waited %s (%v)", time.Since(start), err)
		}
	})
}

func TestWaitAllowsBurstAfterIdle(t *testing.T) {
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		l := newLimiter(t, b)
		start := time.Now()
		for range 3 {
			if err := l.Wait(t.Context(), "example.gov", time.Second, 3); err != nil {
				t.Fatalf("Wait: %v", err)
			}
		}
		if took := time.Since(start); took > 200*time.Millisecond {
			t.Errorf("a burst of 3 took %s", took)
		}
	})
}

func TestDeferHoldsEveryWorker(t *testing.T) {
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		a, other := newLimiter(t, b), newLimiter(t, b)
		if err := a.Defer(t.Context(), "example.gov", time.Now().Add(300*time.Millisecond)); err != nil {
			t.Fatalf("Defer: %v", err)
		}
		// An earlier Defer does not shorten it.
		if err := a.Defer(t.Context(), "example.gov", time.Now().Add(10*time.Millisecond)); err != nil {
			t.Fatalf("Defer: %v", err)
		}
		cool, err := other.Cooldown(t.Context(), "example.gov")
		if err != nil || cool < 200*time.Millisecond {
			t.Fatalf("Cooldown: got %s, %v; want about 300ms", cool, err)
		}
		start := time.Now()
		if err := other.Wait(t.Context(), "example.gov", time.Millisecond, 1); err != nil {
			t.Fatalf("Wait: %v", err)
		}
		if took := time.Since(start); took < 250*time.Millisecond {
			t.Errorf("Wait returned after %s, inside the 300ms cooldown", took)
		}
	})
}

func TestWaitHonoursContext(t *testing.T) {
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		l := newLimiter(t, b)
		if err := l.Defer(t.Context(), "example.gov", time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := l.Wait(ctx, "example.gov", time.Millisecond, 1)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want context.DeadlineExceeded", err)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("Wait ignored the deadline for %s", took)
		}
	})
}

func TestSessionsCapAndRelease(t *testing.T) {
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		l := newLimiter(t, b)
		ctx := t.Context()
		r1, err := l.AcquireSession(ctx, "example.gov", 2, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := l.AcquireSession(ctx, "example.gov", 2, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := l.Sessions(ctx, "example.gov"); err != nil || n != 2 {
			t.Fatalf("Sessions: got %d, %v; want 2", n, err)
		}
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		_, err = l.AcquireSession(short, "example.gov", 2, time.Minute)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("third slot of 2: got %v, want to wait until the deadline", err)
		}

		got := make(chan error, 1)
		go func() {
			r3, err := l.AcquireSession(ctx, "example.gov", 2, time.Minute)
			if err == nil {
				err = r3(ctx)
			}
			got <- err
		}()
		if err := r1(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-got:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("a released slot was not taken by the waiting acquirer")
		}
		if err := r2(ctx); err != nil {
			t.Fatal(err)
		}
		if err := r2(ctx); err != nil {
			t.Fatalf("second release: %v", err)
		}
		if n, _ := l.Sessions(ctx, "example.gov"); n != 0 {
			t.Errorf("Sessions after releases: got %d, want 0", n)
		}
	})
}

func TestSessionLeaseExpires(t *testing.T) {
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		l := newLimiter(t, b)
		ctx := t.Context()
		// A worker takes the only slot and dies without releasing it.
		if _, err := l.AcquireSession(ctx, "example.gov", 1, 200*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		release, err := l.AcquireSession(ctx, "example.gov", 1, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		defer release(ctx)
		if took := time.Since(start); took < 150*time.Millisecond || took > 2*time.Second {
			t.Errorf("slot freed after %s, want about the 200ms lease", took)
		}
	})
}

func TestConcurrentSessionsNeverExceedLimit(t *testing.T) {
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		l := newLimiter(t, b)
		ctx := t.Context()
		var (
			mu      sync.Mutex
			held    int
			maxHeld int
			wg      sync.WaitGroup
		)
		for range 8 {
			wg.Go(func() {
				for range 3 {
					release, err := l.AcquireSession(ctx, "example.gov", 3, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					held++
					maxHeld = max(maxHeld, held)
					mu.Unlock()
					time.Sleep(5 * time.Millisecond) // hold the slot a moment
					mu.Lock()
					held--
					mu.Unlock()
					if err := release(ctx); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if maxHeld > 3 {
			t.Errorf("up to %d sessions held at once, limit 3", maxHeld)
		}
	})
}
