package messages_test

import (
	"bytes"
	"crypto/rand"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/quarry-dev/quarry/messages"
)

// TestNewIDMatchesReference checks the hand-written encoder against
// oklog/ulid, the reference implementation: the ids parse there, strictly,
// with the same timestamp.
func TestNewIDMatchesReference(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 123_000_000, time.UTC)
	for range 1000 {
		id, err := messages.NewID(now)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := ulid.ParseStrict(id)
		if err != nil {
			t.Fatalf("reference rejects %s: %v", id, err)
		}
		if ref.String() != id {
			t.Fatalf("reference re-encodes %s as %s", id, ref)
		}
		if got := ulid.Time(ref.Time()); !got.Equal(now) {
			t.Fatalf("timestamp of %s: got %v, want %v", id, got, now)
		}
		if !messages.ValidID(id) {
			t.Fatalf("ValidID(%s) = false", id)
		}
	}
}

// TestValidIDAgreesWithReference parses reference-made ids and checks the
// edge values.
func TestValidIDAgreesWithReference(t *testing.T) {
	t.Parallel()
	for range 1000 {
		ref := ulid.MustNew(ulid.Now(), rand.Reader)
		if !messages.ValidID(ref.String()) {
			t.Fatalf("ValidID(%s) = false", ref)
		}
		ts, err := messages.IDTime(ref.String())
		if err != nil || !ts.Equal(ulid.Time(ref.Time())) {
			t.Fatalf("IDTime(%s) = %v, %v; want %v", ref, ts, err, ulid.Time(ref.Time()))
		}
	}
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"00000000000000000000000000", true},
		{"7ZZZZZZZZZZZZZZZZZZZZZZZZZ", true},
		{"80000000000000000000000000", false}, // overflows 128 bits
		{"01JWN2Q8R5XG7YV3KZ4T6M9ABC", true},
		{"01jwn2q8r5xg7yv3kz4t6m9abc", false}, // lower case is not canonical
		{"01JWN2Q8R5XG7YV3KZ4T6M9AB", false},  // 25 characters
		{"01JWN2Q8R5XG7YV3KZ4T6M9ABCD", false},
		{"01JWN2Q8R5XG7YV3KZ4T6M9ABI", false}, // I is not Crockford
		{"01JWN2Q8R5XG7YV3KZ4T6M9ABL", false},
		{"01JWN2Q8R5XG7YV3KZ4T6M9ABO", false},
		{"01JWN2Q8R5XG7YV3KZ4T6M9ABU", false},
		{"", false},
	} {
		if got := messages.ValidID(tc.id); got != tc.want {
			t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.want)
		}
		_, refErr := ulid.ParseStrict(tc.id)
		// The reference accepts lower case; otherwise the two agree.
		if tc.want != (refErr == nil) && tc.id != "01jwn2q8r5xg7yv3kz4t6m9abc" {
			t.Errorf("ValidID(%q) = %v but reference says err=%v", tc.id, tc.want, refErr)
		}
	}
}

func TestIDGeneratorIsStrictlyMonotonic(t *testing.T) {
	t.Parallel()
	clock := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	g := messages.NewIDGenerator(func() time.Time { return clock }, nil)
	prev := ""
	for i := range 2000 {
		switch i {
		case 500:
			clock = clock.Add(time.Millisecond)
		case 1000:
			clock = clock.Add(-time.Hour) // the clock steps back
		case 1500:
			clock = clock.Add(2 * time.Hour)
		}
		id, err := g.New()
		if err != nil {
			t.Fatal(err)
		}
		if id <= prev {
			t.Fatalf("id %d: %s is not after %s", i, id, prev)
		}
		if _, err := ulid.ParseStrict(id); err != nil {
			t.Fatalf("reference rejects %s: %v", id, err)
		}
		prev = id
	}
}

func TestIDGeneratorOverflowIsAnError(t *testing.T) {
	t.Parallel()
	clock := time.UnixMilli(1_700_000_000_000)
	g := messages.NewIDGenerator(func() time.Time { return clock }, bytes.NewReader(bytes.Repeat([]byte{0xff}, 10)))
	if _, err := g.New(); err != nil {
		t.Fatal(err)
	}
	if _, err := g.New(); err == nil {
		t.Fatal("incrementing an all-ones random part succeeded; want an overflow error")
	}
}

func TestNewIDRejectsTimesOutsideTheRange(t *testing.T) {
	t.Parallel()
	if _, err := messages.NewID(time.UnixMilli(-1)); err == nil {
		t.Error("NewID before 1970 succeeded")
	}
	if _, err := messages.NewID(time.UnixMilli(1 << 48)); err == nil {
		t.Error("NewID after 10889 succeeded")
	}
}
