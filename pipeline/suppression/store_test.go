package suppression_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/internal/redistest"
	"github.com/quarry-dev/quarry/pipeline/suppression"
)

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func each(t *testing.T, test func(t *testing.T, s *suppression.Store, c *clock)) {
	for _, be := range redistest.Open(t) {
		t.Run(be.Name, func(t *testing.T) {
			c := newClock()
			s, err := suppression.New(suppression.Config{Redis: be.Client, Prefix: be.Prefix, Now: c.Now})
			if err != nil {
				t.Fatal(err)
			}
			test(t, s, c)
		})
	}
}

func hard(by string) suppression.Entry {
	return suppression.Entry{Reason: suppression.HardBounce, Source: suppression.SourceSESEvent, CreatedBy: by,
		Evidence: &suppression.Evidence{SESMessageID: "m-1", FeedbackID: "f-1", BounceType: "Permanent", BounceSubType: "General", Status: "5.1.1", DiagnosticCode: "smtp; 550 5.1.1 user unknown"}}
}

func TestAddIsIdempotentAndAudited(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *suppression.Store, c *clock) {
		ctx := context.Background()
		added, err := s.Add(ctx, "Bob@Example.org ", hard("ses-events"), "m-1/f-1")
		if err != nil || !added {
			t.Fatalf("first add = %v, %v", added, err)
		}
		c.Advance(time.Minute)
		added, err = s.Add(ctx, "bob@example.org", hard("ses-events"), "m-1/f-1")
		if err != nil || added {
			t.Fatalf("replayed add = %v, %v; want no change", added, err)
		}
		reasons, err := s.Suppressed(ctx, "BOB@example.org")
		if err != nil || !slices.Equal(reasons, []string{"hard_bounce"}) {
			t.Fatalf("Suppressed = %v, %v", reasons, err)
		}
		rec, err := s.Get(ctx, "bob@example.org")
		if err != nil || len(rec.Entries) != 1 {
			t.Fatalf("Get = %+v, %v", rec, err)
		}
		e := rec.Entries[0]
		if !e.CreatedAt.Equal(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)) || e.Evidence.DiagnosticCode != "smtp; 550 5.1.1 user unknown" {
			t.Errorf("entry = %+v (want the first add's time and evidence)", e)
		}
		trail, err := s.Audit(ctx, "bob@example.org", 0)
		if err != nil || len(trail) != 1 {
			t.Fatalf("audit = %+v, %v; want one entry", trail, err)
		}
		if a := trail[0]; a.Action != "add" || a.Actor != "ses-events" || a.Event != "m-1/f-1" || a.Reason != "hard_bounce" || a.After == "" || a.AddressHash != s.Hash("bob@example.org") {
			t.Errorf("audit entry = %+v", a)
		}
		if none, err := s.Suppressed(ctx, "alice@example.org"); err != nil || len(none) != 0 {
			t.Errorf("an address never added: %v, %v", none, err)
		}
		if _, err := s.Suppressed(ctx, "not an address"); err == nil {
			t.Error("an invalid address was accepted")
		}
	})
}

func TestConcurrentAddsChangeOnce(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *suppression.Store, c *clock) {
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				added, err := s.Add(context.Background(), "carol@example.org", hard("ses-events"), "")
				if err != nil {
					t.Error(err)
				}
				if added {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		trail, _ := s.Audit(context.Background(), "", 0)
		if wins.Load() != 1 || len(trail) != 1 {
			t.Fatalf("%d adds reported a change and the trail holds %d entries; want 1 and 1", wins.Load(), len(trail))
		}
	})
}

func TestExpiredEntryNoLongerSuppressesAndCanBeRenewed(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *suppression.Store, c *clock) {
		ctx := context.Background()
		soft := suppression.Entry{Reason: suppression.SoftBounce, Source: suppression.SourceSESEvent, CreatedBy: "ses-events", ExpiresAt: c.Now().Add(30 * 24 * time.Hour)}
		if added, err := s.Add(ctx, "dan@example.org", soft, ""); err != nil || !added {
			t.Fatalf("add = %v, %v", added, err)
		}
		c.Advance(29 * 24 * time.Hour)
		if r, _ := s.Suppressed(ctx, "dan@example.org"); len(r) != 1 {
			t.Fatalf("before expiry: %v", r)
		}
		c.Advance(2 * 24 * time.Hour)
		if r, _ := s.Suppressed(ctx, "dan@example.org"); len(r) != 0 {
			t.Fatalf("after expiry: %v; want none", r)
		}
		soft.ExpiresAt = c.Now().Add(30 * 24 * time.Hour)
		if added, err := s.Add(ctx, "dan@example.org", soft, ""); err != nil || !added {
			t.Fatalf("renewing an expired entry = %v, %v", added, err)
		}
		if r, _ := s.Suppressed(ctx, "dan@example.org"); len(r) != 1 {
			t.Fatalf("after renewal: %v", r)
		}
	})
}

func TestRemoveLiftsOneReasonAndComplaintsNeedApproval(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *suppression.Store, c *clock) {
		ctx := context.Background()
		addr := "erin@example.org"
		complaint := suppression.Entry{Reason: suppression.Complaint, Source: suppression.SourceSESEvent, CreatedBy: "ses-events"}
		manual := suppression.Entry{Reason: suppression.Manual, Source: suppression.SourceAdmin, CreatedBy: "ops@host", Note: "asked by phone"}
		for _, e := range []suppression.Entry{complaint, manual} {
			if _, err := s.Add(ctx, addr, e, ""); err != nil {
				t.Fatal(err)
			}
		}
		if r, _ := s.Suppressed(ctx, addr); !slices.Equal(r, []string{"complaint", "manual"}) {
			t.Fatalf("reasons = %v", r)
		}
		if _, err := s.Add(ctx, addr, suppression.Entry{Reason: suppression.Manual, Source: suppression.SourceAdmin, CreatedBy: "ops"}, ""); !errors.Is(err, suppression.ErrNoteRequired) {
			t.Errorf("manual add without a note: %v", err)
		}
		if _, err := s.Remove(ctx, addr, suppression.Removal{Reason: suppression.Complaint, Actor: "ops", Note: "consent renewed"}); !errors.Is(err, suppression.ErrApprovalRequired) {
			t.Errorf("complaint removal without approver: %v", err)
		}
		if _, err := s.Remove(ctx, addr, suppression.Removal{Reason: suppression.Complaint, Actor: "ops", ApprovedBy: "ops", Note: "consent renewed"}); !errors.Is(err, suppression.ErrApprovalRequired) {
			t.Errorf("complaint removal approved by the actor: %v", err)
		}
		if removed, err := s.Remove(ctx, addr, suppression.Removal{Reason: suppression.Manual, Actor: "ops", Note: "done"}); err != nil || !removed {
			t.Fatalf("remove manual = %v, %v", removed, err)
		}
		if r, _ := s.Suppressed(ctx, addr); !slices.Equal(r, []string{"complaint"}) {
			t.Fatalf("after removing manual: %v", r)
		}
		if removed, err := s.Remove(ctx, addr, suppression.Removal{Reason: suppression.Manual, Actor: "ops", Note: "again"}); err != nil || removed {
			t.Fatalf("removing it twice = %v, %v", removed, err)
		}
		if removed, err := s.Remove(ctx, addr, suppression.Removal{Reason: suppression.Complaint, Actor: "ops", ApprovedBy: "lead", Note: "signed consent form #42"}); err != nil || !removed {
			t.Fatalf("approved complaint removal = %v, %v", removed, err)
		}
		if n, _ := s.Count(ctx); n != 0 {
			t.Errorf("index still holds %d addresses", n)
		}
		trail, _ := s.Audit(ctx, addr, 0)
		var actions []string
		for _, a := range trail {
			actions = append(actions, a.Action+":"+string(a.Reason))
		}
		if want := []string{"add:complaint", "add:manual", "remove:manual", "remove:complaint"}; !slices.Equal(actions, want) {
			t.Fatalf("trail = %v, want %v", actions, want)
		}
		if last := trail[3]; last.ApprovedBy != "lead" || last.Note != "signed consent form #42" || last.Before == "" {
			t.Errorf("removal entry = %+v", last)
		}
	})
}

func TestListFiltersAndPages(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *suppression.Store, c *clock) {
		ctx := context.Background()
		add := func(addr string, e suppression.Entry) {
			t.Helper()
			if _, err := s.Add(ctx, addr, e, ""); err != nil {
				t.Fatal(err)
			}
			c.Advance(time.Second)
		}
		add("a@one.example", hard("ses-events"))
		add("b@two.example", suppression.Entry{Reason: suppression.Complaint, Source: suppression.SourceSESEvent, CreatedBy: "ses-events"})
		add("c@one.example", suppression.Entry{Reason: suppression.SoftBounce, Source: suppression.SourceSESEvent, CreatedBy: "ses-events", ExpiresAt: c.Now().Add(time.Hour)})
		add("d@one.example", hard("ses-events"))
		c.Advance(2 * time.Hour) // c's soft bounce has expired

		addrs := func(f suppression.Filter) []string {
			t.Helper()
			recs, _, err := s.List(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range recs {
				out = append(out, r.Address)
			}
			return out
		}
		if got := addrs(suppression.Filter{}); !slices.Equal(got, []string{"a@one.example", "b@two.example", "c@one.example", "d@one.example"}) {
			t.Errorf("all = %v", got)
		}
		if got := addrs(suppression.Filter{Active: true}); !slices.Equal(got, []string{"a@one.example", "b@two.example", "d@one.example"}) {
			t.Errorf("active = %v", got)
		}
		if got := addrs(suppression.Filter{Domain: "ONE.example"}); !slices.Equal(got, []string{"a@one.example", "c@one.example", "d@one.example"}) {
			t.Errorf("domain = %v", got)
		}
		if got := addrs(suppression.Filter{Reason: suppression.HardBounce}); !slices.Equal(got, []string{"a@one.example", "d@one.example"}) {
			t.Errorf("reason = %v", got)
		}
		recs, more, err := s.List(ctx, suppression.Filter{Offset: 1, Limit: 2})
		if err != nil || !more || len(recs) != 2 || recs[0].Address != "b@two.example" {
			t.Errorf("page = %+v, more %v, %v", recs, more, err)
		}
	})
}
