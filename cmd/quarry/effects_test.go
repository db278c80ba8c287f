package main

import (
	"cmp"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quarry-dev/quarry/idempotency"
)

func TestEffectsUnknownListsAndResolves(t *testing.T) {
	useRedis(t)
	ctx := context.Background()
	opts, err := redis.ParseURL(os.Getenv("QUARRY_REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	store := idempotency.NewStore(rdb, cmp.Or(os.Getenv("QUARRY_REDIS_PREFIX"), "quarry:"))
	claim, err := store.Claim(ctx, "01JOBKEY", "hash", time.Minute)
	if err != nil || claim.Lease == nil {
		t.Fatalf("claim: %+v, %v", claim, err)
	}
	eff, err := store.ClaimEffect(ctx, claim.Lease, "email:bob@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.MarkEffectUnknown(ctx, eff.Effect, "SendEmail timed out after the request was sent"); err != nil {
		t.Fatal(err)
	}
	out := runQuarry(t, "effects", "unknown")
	if !strings.Contains(out, "01JOBKEY") || !strings.Contains(out, "email:bob@example.org") || !strings.Contains(out, "timed out") {
		t.Fatalf("effects unknown:\n%s", out)
	}
	if _, err := quarryErr(t, "effects", "resolve", "01JOBKEY", "email:bob@example.org"); err == nil {
		t.Error("resolve without --happened or --not-happened was accepted")
	}
	if out := runQuarry(t, "effects", "resolve", "01JOBKEY", "email:bob@example.org", "--happened"); !strings.Contains(out, "recorded as done") {
		t.Errorf("resolve output: %s", out)
	}
	_, err = quarryErr(t, "effects", "resolve", "01JOBKEY", "email:bob@example.org", "--not-happened", "--json")
	if err == nil || strings.Contains(err.Error(), "idempotency: invalid argument") || !strings.Contains(err.Error(), "not unknown") {
		t.Errorf("resolving a settled effect: %v", err)
	}
	if out := runQuarry(t, "effects", "unknown"); strings.Contains(out, "01JOBKEY") {
		t.Fatalf("still listed after resolve:\n%s", out)
	}
	again, err := store.ClaimEffect(ctx, claim.Lease, "email:bob@example.org")
	if err != nil || again.Status != idempotency.EffectCompleted {
		t.Fatalf("effect after --happened: %+v, %v (want completed: never sent again)", again, err)
	}
}
