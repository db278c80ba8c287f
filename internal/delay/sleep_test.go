package delay

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSleepWaitsOrEndsWithTheContextsCause(t *testing.T) {
	t.Parallel()
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatalf("Sleep: %v", err)
	}
	if err := Sleep(context.Background(), -time.Second); err != nil {
		t.Fatalf("Sleep of a negative duration: %v", err)
	}
	why := errors.New("stopping")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(why)
	for _, d := range []time.Duration{0, time.Hour} {
		if err := Sleep(ctx, d); !errors.Is(err, why) {
			t.Fatalf("Sleep(%v) on an ended context = %v, want its cause", d, err)
		}
	}
	ctx, cancel2 := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() { done <- Sleep(ctx, time.Hour) }()
	cancel2(why)
	if err := <-done; !errors.Is(err, why) {
		t.Fatalf("Sleep cut short = %v, want the cause", err)
	}
}
