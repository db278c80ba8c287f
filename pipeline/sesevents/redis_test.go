package sesevents_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/pipeline/sesevents"
)

func TestSoftBouncesReplayedAMonthLateStillSuppress(t *testing.T) {
	t.Parallel()
	each(t, sesevents.HandlerConfig{}, func(t *testing.T, tb *testBundle) {
		addr := "backlog@example.org"
		start := tb.clock.Now().Add(-35 * 24 * time.Hour)
		for i, d := range []time.Duration{0, 24 * time.Hour, 72 * time.Hour} {
			if r := tb.reasons(t, addr); len(r) != 0 {
				t.Fatalf("suppressed after %d bounces: %v", i, r)
			}
			tb.handleAt(t, softBounce(fmt.Sprintf("m%d", i), fmt.Sprintf("f%d", i), addr), start.Add(d))
		}
		if r := tb.reasons(t, addr); !slices.Equal(r, []string{"soft_bounce"}) {
			t.Fatalf("three soft bounces within 3 days, replayed a month later: reasons %v", r)
		}
	})
}

func TestSoftBouncesCountByEventTimeWhateverTheOrder(t *testing.T) {
	t.Parallel()
	each(t, sesevents.HandlerConfig{}, func(t *testing.T, tb *testBundle) {
		day := 24 * time.Hour
		t0 := tb.clock.Now().Add(-20 * day)
		// Three bounces within 7 days of each other, arriving newest first
		// and days apart.
		addr := "late@example.org"
		tb.handleAt(t, softBounce("a3", "fa3", addr), t0.Add(6*day))
		tb.clock.Advance(2 * day)
		tb.handleAt(t, softBounce("a1", "fa1", addr), t0)
		if r := tb.reasons(t, addr); len(r) != 0 {
			t.Fatalf("after 2: %v", r)
		}
		tb.clock.Advance(3 * day)
		tb.handleAt(t, softBounce("a2", "fa2", addr), t0.Add(3*day))
		if r := tb.reasons(t, addr); !slices.Equal(r, []string{"soft_bounce"}) {
			t.Fatalf("three bounces within 6 days, out of order: reasons %v", r)
		}

		// Three bounces spread over 10 days never have 3 within 7 days.
		addr = "spread@example.org"
		tb.handleAt(t, softBounce("b3", "fb3", addr), t0.Add(10*day))
		tb.handleAt(t, softBounce("b1", "fb1", addr), t0)
		tb.handleAt(t, softBounce("b2", "fb2", addr), t0.Add(5*day))
		if r := tb.reasons(t, addr); len(r) != 0 {
			t.Fatalf("bounces at days 0, 5 and 10: %v", r)
		}
		// A fourth at day 6 makes days 0, 5, 6 (and 5, 6, 10).
		tb.handleAt(t, softBounce("b4", "fb4", addr), t0.Add(6*day))
		if r := tb.reasons(t, addr); !slices.Equal(r, []string{"soft_bounce"}) {
			t.Fatalf("bounces at days 0, 5, 6, 10: reasons %v", r)
		}
	})
}
