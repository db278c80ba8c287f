package idempotency_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/quarry-dev/quarry/idempotency"
)

// A worker claims a job, sends one mail per recipient through effect keys,
// and completes the job; a duplicate delivery then gets the stored result
// without running anything.
func Example() {
	mr, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	defer mr.Close()
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer client.Close()
	store := &idempotency.Store{Client: client, Prefix: "example:"}
	ctx := context.Background()

	c, err := store.Claim(ctx, "01JWN2QA0K1M2N3P4Q5R6S7T8V", "sha256:5e1f…", 30*time.Second)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Status, "fence", c.Lease.Fence)
	for _, rcpt := range []string{"jane@example.org", "joe@example.org"} {
		e, err := store.ClaimEffect(ctx, c.Lease, "email:"+rcpt)
		if err != nil {
			panic(err)
		}
		if e.Status != idempotency.EffectAcquired {
			continue // sent before, or unknown: never send twice
		}
		// … send through SES here, then record it with SES's message id.
		if err := store.CompleteEffect(ctx, e.Effect, []byte("ses-id-for-"+rcpt)); err != nil {
			panic(err)
		}
	}
	if err := store.Complete(ctx, c.Lease, []byte("sent 2"), 0); err != nil {
		panic(err)
	}

	dup, err := store.Claim(ctx, "01JWN2QA0K1M2N3P4Q5R6S7T8V", "sha256:5e1f…", 30*time.Second)
	if err != nil {
		panic(err)
	}
	fmt.Println(dup.Status, string(dup.Result))
	// Output:
	// acquired fence 1
	// completed sent 2
}
