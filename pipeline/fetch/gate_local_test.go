package fetch

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLocalGate(t *testing.T) {
	g := NewLocalGate()
	ctx := t.Context()
	start := time.Now()
	for range 4 {
		if err := g.Wait(ctx, "h", 30*time.Millisecond, 1); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 85*time.Millisecond {
		t.Errorf("4 requests 30ms apart took %s", took)
	}

	if err := g.Defer(ctx, "h", time.Now().Add(150*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := g.Wait(ctx, "h", time.Millisecond, 1); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 120*time.Millisecond {
		t.Errorf("Wait during a 150ms cooldown returned after %s", took)
	}

	r1, err := g.AcquireSession(ctx, "h", 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := g.AcquireSession(short, "h", 1, time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second slot of 1: got %v", err)
	}
	done := make(chan error, 1)
	go func() {
		r2, err := g.AcquireSession(ctx, "h", 1, time.Minute)
		if err == nil {
			err = r2(ctx)
		}
		done <- err
	}()
	_ = r1(ctx)
	_ = r1(ctx) // releasing twice frees one slot only
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("released slot not handed on")
	}
	if g.sessions["h"] != 0 {
		t.Errorf("sessions held: %d", g.sessions["h"])
	}
}
