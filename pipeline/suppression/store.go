package suppression

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quarry-dev/quarry/messages"
)

// Config configures a Store.
type Config struct {
	// Redis holds the list. Required.
	Redis redis.UniversalClient
	// Prefix is put before every key (QUARRY_REDIS_PREFIX).
	Prefix string
	// HashKey keys the HMAC that stands for an address in logs and audit
	// queries. Defaults to a fixed key, which still keeps addresses out of
	// logs but lets anyone with a candidate address recompute its hash.
	HashKey []byte
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Store is the suppression list. It is safe for concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	prefix  string
	hashKey []byte
	now     func() time.Time
}

// ErrApprovalRequired is returned when a complaint suppression is removed
// without a second person's approval.
var ErrApprovalRequired = errors.New("removing a complaint suppression needs --approved-by: a second person, not the actor, who has seen evidence of renewed consent")

// ErrNoteRequired is returned when a manual change comes without its why.
var ErrNoteRequired = errors.New("a manual change needs a note saying why (--reason)")

// New returns the store.
func New(cfg Config) (*Store, error) {
	if cfg.Redis == nil {
		return nil, errors.New("suppression: Redis is required")
	}
	if len(cfg.HashKey) == 0 {
		cfg.HashKey = []byte("quarry-suppression")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{rdb: cfg.Redis, prefix: cfg.Prefix, hashKey: cfg.HashKey, now: cfg.Now}, nil
}

// All keys share the {list} hash tag, so the scripts' keys sit in one
// slot of a Redis Cluster.
func (s *Store) recordKey(addr string) string { return s.prefix + "suppress:{list}:addr:" + addr }
func (s *Store) indexKey() string             { return s.prefix + "suppress:{list}:index" }
func (s *Store) auditKey() string             { return s.prefix + "suppress:{list}:audit" }

// Hash returns the HMAC-SHA256 of the normalized address, hex, first 16
// bytes: what logs and metrics carry instead of the address.
func (s *Store) Hash(address string) string {
	addr, err := messages.NormalizeAddress(address)
	if err != nil {
		addr = strings.ToLower(strings.TrimSpace(address))
	}
	m := hmac.New(sha256.New, s.hashKey)
	m.Write([]byte(addr))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Suppressed returns the reasons address is suppressed for now, most
// severe first; none means it may be mailed. An address that is not a
// valid address is an error.
func (s *Store) Suppressed(ctx context.Context, address string) ([]string, error) {
	rec, err := s.Get(ctx, address)
	if err != nil {
		return nil, err
	}
	active := rec.Active(s.now())
	out := make([]string, len(active))
	for i, r := range active {
		out[i] = string(r)
	}
	return out, nil
}

// Get returns what the list holds about address: every entry, in force or
// expired. An address not on the list has no entries.
func (s *Store) Get(ctx context.Context, address string) (Record, error) {
	addr, err := messages.NormalizeAddress(address)
	if err != nil {
		return Record{}, fmt.Errorf("suppression: %w", err)
	}
	fields, err := s.rdb.HGetAll(ctx, s.recordKey(addr)).Result()
	if err != nil {
		return Record{}, fmt.Errorf("suppression: reading %s: %w", s.Hash(addr), err)
	}
	return s.record(addr, fields)
}

func (s *Store) record(addr string, fields map[string]string) (Record, error) {
	rec := Record{Address: addr, AddressHash: s.Hash(addr)}
	for _, reason := range Reasons {
		raw, ok := fields["r:"+string(reason)]
		if !ok {
			continue
		}
		var e Entry
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			return Record{}, fmt.Errorf("suppression: entry %s of %s is corrupt: %w", reason, rec.AddressHash, err)
		}
		rec.Entries = append(rec.Entries, e)
	}
	return rec, nil
}

// Add suppresses address for e.Reason unless that reason is already in
// force (then it returns false and changes nothing, so a replayed event is
// harmless). An expired entry of the same reason is replaced. CreatedAt
// defaults to now; CreatedBy names the actor (a user, or a service and
// the event). event, when set, names the SES message and feedback that
// caused the change, for the audit trail.
func (s *Store) Add(ctx context.Context, address string, e Entry, event string) (bool, error) {
	addr, err := messages.NormalizeAddress(address)
	if err != nil {
		return false, fmt.Errorf("suppression: %w", err)
	}
	if _, err := ParseReason(string(e.Reason)); err != nil {
		return false, fmt.Errorf("suppression: %w", err)
	}
	if e.CreatedBy == "" {
		return false, errors.New("suppression: add needs an actor (CreatedBy)")
	}
	if e.Source == SourceAdmin && strings.TrimSpace(e.Note) == "" {
		return false, ErrNoteRequired
	}
	now := s.now()
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now
	}
	e.CreatedAt = e.CreatedAt.UTC()
	if !e.ExpiresAt.IsZero() {
		e.ExpiresAt = e.ExpiresAt.UTC()
	}
	entry, err := json.Marshal(e)
	if err != nil {
		return false, fmt.Errorf("suppression: encoding entry: %w", err)
	}
	var expires int64
	if !e.ExpiresAt.IsZero() {
		expires = e.ExpiresAt.UnixMilli()
	}
	args := []any{string(e.Reason), entry, expires, now.UnixMilli(), addr}
	args = append(args, s.auditFields(now, e.CreatedBy, ActionAdd, addr, e.Reason, e.Source, e.Note, "", event)...)
	n, err := addScript.Run(ctx, s.rdb, []string{s.recordKey(addr), s.indexKey(), s.auditKey()}, args...).Int()
	if err != nil {
		return false, fmt.Errorf("suppression: adding %s for %s: %w", s.Hash(addr), e.Reason, err)
	}
	return n == 1, nil
}

// Removal says which reason to lift, by whom and why.
type Removal struct {
	Reason Reason
	Actor  string
	// Note is why; required.
	Note string
	// ApprovedBy is the second person a complaint removal needs.
	ApprovedBy string
}

// Remove lifts one reason of address; the others stay. It returns false
// when the address did not hold that reason. A complaint is lifted only
// with a note and an approver other than the actor.
func (s *Store) Remove(ctx context.Context, address string, rm Removal) (bool, error) {
	addr, err := messages.NormalizeAddress(address)
	if err != nil {
		return false, fmt.Errorf("suppression: %w", err)
	}
	if _, err := ParseReason(string(rm.Reason)); err != nil {
		return false, fmt.Errorf("suppression: %w", err)
	}
	switch {
	case rm.Actor == "":
		return false, errors.New("suppression: remove needs an actor")
	case strings.TrimSpace(rm.Note) == "":
		return false, ErrNoteRequired
	case rm.Reason == Complaint && (rm.ApprovedBy == "" || rm.ApprovedBy == rm.Actor):
		return false, ErrApprovalRequired
	}
	now := s.now()
	args := []any{string(rm.Reason), addr}
	args = append(args, s.auditFields(now, rm.Actor, ActionRemove, addr, rm.Reason, SourceAdmin, rm.Note, rm.ApprovedBy, "")...)
	n, err := removeScript.Run(ctx, s.rdb, []string{s.recordKey(addr), s.indexKey(), s.auditKey()}, args...).Int()
	if err != nil {
		return false, fmt.Errorf("suppression: removing %s from %s: %w", rm.Reason, s.Hash(addr), err)
	}
	return n == 1, nil
}

func (s *Store) auditFields(now time.Time, actor, action, addr string, reason Reason, source, note, approver, event string) []any {
	f := []any{
		"at", now.UTC().Format(time.RFC3339Nano), "actor", actor, "action", action,
		"address", addr, "address_hash", s.Hash(addr), "reason", string(reason),
	}
	for _, kv := range [][2]string{{"source", source}, {"note", note}, {"approved_by", approver}, {"event", event}} {
		if kv[1] != "" {
			f = append(f, kv[0], kv[1])
		}
	}
	return f
}

// Filter selects records for List.
type Filter struct {
	// Reason keeps addresses holding that reason.
	Reason Reason
	// Domain keeps addresses at that domain (exact, case-insensitive).
	Domain string
	// Active keeps only addresses with a reason in force now.
	Active bool
	// Offset and Limit page through the list, oldest suppression first.
	// Limit 0 means 100.
	Offset, Limit int
}

// List returns the suppressed addresses that pass f, oldest first, and
// whether more remain after this page.
func (s *Store) List(ctx context.Context, f Filter) ([]Record, bool, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	domain := strings.ToLower(strings.TrimPrefix(f.Domain, "@"))
	now := s.now()
	var out []Record
	skipped := 0
	const page = 500
	for start := int64(0); ; start += page {
		addrs, err := s.rdb.ZRange(ctx, s.indexKey(), start, start+page-1).Result()
		if err != nil {
			return nil, false, fmt.Errorf("suppression: listing: %w", err)
		}
		if len(addrs) == 0 {
			return out, false, nil
		}
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.MapStringStringCmd, len(addrs))
		for i, a := range addrs {
			cmds[i] = pipe.HGetAll(ctx, s.recordKey(a))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, false, fmt.Errorf("suppression: listing: %w", err)
		}
		for i, a := range addrs {
			if domain != "" && !strings.HasSuffix(a, "@"+domain) {
				continue
			}
			rec, err := s.record(a, cmds[i].Val())
			if err != nil {
				return nil, false, err
			}
			if !matches(rec, f, now) {
				continue
			}
			if skipped < f.Offset {
				skipped++
				continue
			}
			if len(out) == f.Limit {
				return out, true, nil
			}
			out = append(out, rec)
		}
	}
}

func matches(rec Record, f Filter, now time.Time) bool {
	if len(rec.Entries) == 0 {
		return false
	}
	if f.Active && len(rec.Active(now)) == 0 {
		return false
	}
	if f.Reason == "" {
		return true
	}
	for _, e := range rec.Entries {
		if e.Reason == f.Reason && (!f.Active || e.Active(now)) {
			return true
		}
	}
	return false
}

// Audit returns the trail, oldest first: every change when address is
// empty, else the changes to that address. At most limit entries (0: all)
// are returned, the most recent ones.
func (s *Store) Audit(ctx context.Context, address string, limit int) ([]AuditEntry, error) {
	hash := ""
	if address != "" {
		addr, err := messages.NormalizeAddress(address)
		if err != nil {
			return nil, fmt.Errorf("suppression: %w", err)
		}
		hash = s.Hash(addr)
	}
	var out []AuditEntry
	end := "+"
	for {
		msgs, err := s.rdb.XRevRangeN(ctx, s.auditKey(), end, "-", 500).Result()
		if err != nil {
			return nil, fmt.Errorf("suppression: reading the audit trail: %w", err)
		}
		for _, m := range msgs {
			a := auditEntry(m)
			if hash != "" && a.AddressHash != hash {
				continue
			}
			out = append(out, a)
			if limit > 0 && len(out) == limit {
				return reversed(out), nil
			}
		}
		if len(msgs) < 500 {
			return reversed(out), nil
		}
		end = "(" + msgs[len(msgs)-1].ID
	}
}

func reversed(a []AuditEntry) []AuditEntry {
	for i, j := 0, len(a)-1; i < j; i, j = i+1, j-1 {
		a[i], a[j] = a[j], a[i]
	}
	return a
}

func auditEntry(m redis.XMessage) AuditEntry {
	get := func(k string) string {
		v, _ := m.Values[k].(string)
		return v
	}
	at, _ := time.Parse(time.RFC3339Nano, get("at"))
	return AuditEntry{
		ID: m.ID, At: at, Actor: get("actor"), Action: get("action"), Address: get("address"),
		AddressHash: get("address_hash"), Reason: Reason(get("reason")), Source: get("source"),
		Note: get("note"), ApprovedBy: get("approved_by"), Event: get("event"),
		Before: get("before"), After: get("after"),
	}
}

// Count returns how many addresses are on the list (in force or expired).
func (s *Store) Count(ctx context.Context) (int64, error) {
	n, err := s.rdb.ZCard(ctx, s.indexKey()).Result()
	if err != nil {
		return 0, fmt.Errorf("suppression: counting: %w", err)
	}
	return n, nil
}
