package redistest_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/internal/redistest"
)

func TestOpenGivesEveryConfiguredBackend(t *testing.T) {
	backends := redistest.Open(t)
	want := 1
	if os.Getenv(redistest.EnvURL) != "" {
		want = 2
	}
	if len(backends) != want {
		t.Fatalf("got %d backends, want %d", len(backends), want)
	}
	for _, b := range backends {
		if err := b.Client.Ping(context.Background()).Err(); err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		if !strings.HasPrefix(b.Prefix, "qtest:TestOpenGivesEveryConfiguredBackend:") {
			t.Errorf("%s prefix %q", b.Name, b.Prefix)
		}
	}
}

func TestPrefixIsStableAndSanitised(t *testing.T) {
	t.Run("a b*[c]{d}", func(t *testing.T) {
		p := redistest.Prefix(t)
		if p != redistest.Prefix(t) {
			t.Fatal("Prefix differs between calls in one test")
		}
		if strings.ContainsAny(p, " *[]{}?\\") {
			t.Fatalf("prefix %q holds glob or hash-tag characters", p)
		}
	})
}

func TestAdvanceExpiresKeys(t *testing.T) {
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		key := b.Prefix + "k"
		if err := b.Client.Set(ctx, key, "v", 50*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
		b.Advance(t, 60*time.Millisecond)
		if n, err := b.Client.Exists(ctx, key).Result(); err != nil || n != 0 {
			t.Fatalf("key still exists after its TTL: %d, %v", n, err)
		}
	})
}

// TestCleanupDeletesTheTestsKeys checks, on the real server, that keys
// written under a subtest's prefix are gone once the subtest ends.
func TestCleanupDeletesTheTestsKeys(t *testing.T) {
	if os.Getenv(redistest.EnvURL) == "" {
		t.Skip("only meaningful against a real server; set " + redistest.EnvURL)
	}
	var prefix string
	t.Run("writer", func(t *testing.T) {
		c := redistest.Client(t)
		prefix = redistest.Prefix(t)
		for _, k := range []string{"a", "b", "c"} {
			if err := c.Set(context.Background(), prefix+k, 1, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
	})
	c := redistest.Client(t)
	keys, err := c.Keys(context.Background(), prefix+"*").Result()
	if err != nil || len(keys) != 0 {
		t.Fatalf("keys left under %s: %v, %v", prefix, keys, err)
	}
}

// fatalRecorder is a testing.TB whose Fatalf records the message and ends
// the goroutine, as the real one does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestOpenFailsWhenTheServerDoesNotAnswer checks the rule that a configured
// but unreachable server fails the test instead of skipping it.
func TestOpenFailsWhenTheServerDoesNotAnswer(t *testing.T) {
	t.Setenv(redistest.EnvURL, "redis://127.0.0.1:1") // nothing listens on port 1
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		redistest.Open(rec)
		t.Error("Open returned although the server does not answer")
	}()
	<-done
	if !strings.Contains(rec.msg, "does not answer") {
		t.Fatalf("Fatalf message %q, want it to say the server does not answer", rec.msg)
	}
}
