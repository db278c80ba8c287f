package sesevents_test

import (
	"strings"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/pipeline/sesevents"
)

// unknownSend leaves the send of job key to addr unknown, as a worker
// killed inside SendEmail does, and returns its attempt token.
func unknownSend(t *testing.T, tb *testBundle, key, addr string) (string, *idempotency.Lease) {
	t.Helper()
	ctx := t.Context()
	c, err := tb.store.Claim(ctx, key, "hash", time.Minute)
	if err != nil || c.Status != idempotency.StatusAcquired {
		t.Fatalf("Claim: %v %v", c.Status, err)
	}
	e, err := tb.store.ClaimEffect(ctx, c.Lease, "email:"+addr)
	if err != nil || e.Status != idempotency.EffectAcquired {
		t.Fatalf("ClaimEffect: %v %v", e.Status, err)
	}
	if err := tb.store.AttemptEffect(ctx, e.Effect); err != nil {
		t.Fatal(err)
	}
	if err := tb.store.MarkEffectUnknown(ctx, e.Effect, "killed inside SendEmail"); err != nil {
		t.Fatal(err)
	}
	return e.Effect.Attempt(), c.Lease
}

// A Send event of a tagged send settles its unknown effect as sent; a
// Reject event settles nothing; an event for an attempt that was settled
// as not sent is logged as a possible second mail.
func TestEventsSettleUnknownSends(t *testing.T) {
	t.Parallel()
	each(t, sesevents.HandlerConfig{}, func(t *testing.T, tb *testBundle) {
		ctx := t.Context()
		const key, addr = "notify.email:01JOB", "jane@example.org"
		attempt, _ := unknownSend(t, tb, key, addr)
		tags := map[string]string{messages.TagEffectJob: messages.EffectTag(key), messages.TagEffectAttempt: attempt}

		tb.handle(t, ev{format: "eventType", kind: "Reject", mailID: "m-0", to: []string{addr}, tags: tags})
		if list, _ := tb.store.ListUnknownEffects(ctx); len(list) != 1 {
			t.Fatalf("a Reject event settled the send: %+v", list)
		}
		tb.handle(t, ev{format: "eventType", kind: "Send", mailID: "m-1", to: []string{addr}, tags: tags})
		if list, err := tb.store.ListUnknownEffects(ctx); err != nil || len(list) != 0 {
			t.Fatalf("after the Send event: %+v, %v; want nothing unknown", list, err)
		}
		got, err := tb.store.ObserveEffect(ctx, key, "email:"+addr, attempt, "again")
		if err != nil || got != idempotency.ObservedCompleted {
			t.Errorf("effect after the event: %v, %v; want completed", got, err)
		}
		if strings.Contains(tb.logs.String(), addr) {
			t.Errorf("logs name the address:\n%s", tb.logs)
		}

		// Another send, settled as not sent after its quiet period; its
		// Send event arrives late, before the job sent it again: the send
		// is completed, not repeated.
		const key2 = "notify.email:02JOB"
		first, lease := unknownSend(t, tb, key2, addr)
		tb.be.Advance(t, 20*time.Millisecond)
		if ok, err := tb.store.SettleQuietEffect(ctx, key2, "email:"+addr, 10*time.Millisecond); err != nil || !ok {
			t.Fatalf("SettleQuietEffect: %v, %v", ok, err)
		}
		tags2 := map[string]string{messages.TagEffectJob: messages.EffectTag(key2), messages.TagEffectAttempt: first}
		tb.handle(t, ev{format: "eventType", kind: "Send", mailID: "m-2", to: []string{addr}, tags: tags2})
		if c, err := tb.store.ClaimEffect(ctx, lease, "email:"+addr); err != nil || c.Status != idempotency.EffectCompleted || string(c.Result) != "m-2" {
			t.Fatalf("after the late event: %v %q %v; want completed with the event's message id", c.Status, c.Result, err)
		}

		// A third, settled as not sent and sent again; then the first
		// attempt's Delivery arrives: too late, and said so.
		const key3 = "notify.email:03JOB"
		old, lease3 := unknownSend(t, tb, key3, addr)
		tb.be.Advance(t, 20*time.Millisecond)
		if ok, err := tb.store.SettleQuietEffect(ctx, key3, "email:"+addr, 10*time.Millisecond); err != nil || !ok {
			t.Fatalf("SettleQuietEffect: %v, %v", ok, err)
		}
		if c, err := tb.store.ClaimEffect(ctx, lease3, "email:"+addr); err != nil || c.Status != idempotency.EffectAcquired {
			t.Fatalf("claim after settling: %v, %v", c.Status, err)
		}
		tb.handle(t, ev{format: "eventType", kind: "Delivery", mailID: "m-3", to: []string{addr},
			tags: map[string]string{messages.TagEffectJob: messages.EffectTag(key3), messages.TagEffectAttempt: old}})
		if !strings.Contains(tb.logs.String(), "may have two mails") {
			t.Errorf("a late event for a send settled as not sent is not reported:\n%s", tb.logs)
		}
	})
}
