package idempotency_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/internal/redistest"
)

// TestKeyLayout pins the key layout the package documentation describes,
// so operators' tooling (and redis-cli sessions) can rely on it.
func TestKeyLayout(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, b redistest.Backend) {
		s := newStore(b)
		ctx := t.Context()
		c := mustClaim(t, s, "order:42", hashA, time.Minute, idempotency.StatusAcquired)
		e := mustClaimEffect(t, s, c.Lease, "email:jane@example.org", idempotency.EffectAcquired)
		if err := s.MarkEffectUnknown(ctx, e.Effect, "timeout"); err != nil {
			t.Fatal(err)
		}
		p := b.Prefix
		for key, typ := range map[string]string{
			p + "idem:{order:42}":                               "hash",
			p + "idem:{order:42}:effect:email:jane@example.org": "hash",
			p + "idem:unknown-effects":                          "zset",
		} {
			if got := b.Client.Type(ctx, key).Val(); got != typ {
				t.Errorf("%s is a %q, want a %s", key, got, typ)
			}
		}
		rec := b.Client.HGetAll(ctx, p+"idem:{order:42}").Val()
		if rec["state"] != "in_progress" || rec["hash"] != hashA || rec["fence"] != "1" || rec["owner"] == "" || len(rec["claimed_ms"]) != 13 {
			t.Errorf("record %v", rec)
		}
		claimed, _ := strconv.ParseInt(rec["claimed_ms"], 10, 64)
		until, _ := strconv.ParseInt(rec["lease_until"], 10, 64)
		if until-claimed != time.Minute.Milliseconds() {
			t.Errorf("lease_until %s is not claimed_ms %s + the 1m lease", rec["lease_until"], rec["claimed_ms"])
		}
		members := b.Client.ZRange(ctx, p+"idem:unknown-effects", 0, -1).Val()
		if len(members) != 1 || members[0] != "order:42\nemail:jane@example.org" {
			t.Errorf("index members %q", members)
		}
		if n := len(b.Client.Keys(ctx, p+"*").Val()); n != 3 {
			t.Errorf("%d keys under the prefix, want 3", n)
		}

		// An empty Prefix means the default.
		// The probe's keys are outside the test prefix, so it removes them
		// itself.
		def := &idempotency.Store{Client: b.Client}
		k := idempotency.DefaultPrefix + "idem:{" + b.Prefix + "default-prefix-probe}"
		t.Cleanup(func() { b.Client.Del(context.Background(), k) })
		if _, err := def.Claim(ctx, b.Prefix+"default-prefix-probe", hashA, time.Minute); err != nil {
			t.Fatal(err)
		}
		if b.Client.Exists(ctx, k).Val() != 1 {
			t.Errorf("no record at %s", k)
		}
	})
}
