package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/quarry-dev/quarry/pipeline/suppression"
)

// suppressionError maps the store's refusals onto 400s naming the field.
func suppressionError(err error) error {
	switch {
	case errors.Is(err, suppression.ErrApprovalRequired):
		return badRequest("approved_by", "removing a complaint suppression needs approved_by: a second person, not the caller, who has seen evidence of renewed consent")
	case errors.Is(err, suppression.ErrNoteRequired):
		return badRequest("reason", "a change needs a reason saying why")
	case strings.Contains(err.Error(), "address"):
		return badRequest("address", "%v", err)
	}
	return err
}

func (s *Server) getSuppressions(c *call) error {
	ctx := c.r.Context()
	q := c.r.URL.Query()
	if addr := q.Get("address"); addr != "" {
		rec, err := s.cfg.Suppressions.Get(ctx, addr)
		if err != nil {
			return suppressionError(err)
		}
		trail, err := s.cfg.Suppressions.Audit(ctx, addr, 0)
		if err != nil {
			return err
		}
		if trail == nil {
			trail = []suppression.AuditEntry{}
		}
		active := rec.Active(time.Now())
		if active == nil {
			active = []suppression.Reason{}
		}
		if rec.Entries == nil {
			rec.Entries = []suppression.Entry{}
		}
		return c.respond(http.StatusOK, map[string]any{"record": rec, "suppressed": len(active) > 0, "active": active, "audit": trail})
	}
	f := suppression.Filter{Reason: suppression.Reason(q.Get("reason")), Domain: q.Get("domain"), Active: q.Get("all") != "true", Limit: 100}
	for name, dst := range map[string]*int{"limit": &f.Limit, "offset": &f.Offset} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return badRequest(name, "%q is not a number", v)
			}
			*dst = n
		}
	}
	recs, more, err := s.cfg.Suppressions.List(ctx, f)
	if err != nil {
		return err
	}
	if recs == nil {
		recs = []suppression.Record{}
	}
	out := map[string]any{"records": recs, "more": more}
	if more {
		out["next_offset"] = f.Offset + len(recs)
	}
	return c.respond(http.StatusOK, out)
}

// suppressionAdd is the body of POST /v1/suppressions.
type suppressionAdd struct {
	Address          string `json:"address"`
	Reason           string `json:"reason"`
	Kind             string `json:"kind"`
	ExpiresInSeconds int64  `json:"expires_in_seconds"`
}

func (s *Server) addSuppression(c *call) error {
	var req suppressionAdd
	if err := json.Unmarshal(c.body, &req); err != nil {
		return badRequest("body", "not a JSON object: %v", err)
	}
	kind := suppression.Manual
	if req.Kind != "" {
		kind = suppression.Reason(req.Kind)
	}
	e := suppression.Entry{Reason: kind, Source: suppression.SourceAdmin, CreatedBy: c.subject, Note: req.Reason}
	if req.ExpiresInSeconds > 0 {
		e.ExpiresAt = time.Now().Add(time.Duration(req.ExpiresInSeconds) * time.Second)
	}
	ctx := c.r.Context()
	c.note("address_hash", s.cfg.Suppressions.Hash(req.Address))
	c.note("kind", string(kind))
	added, err := s.cfg.Suppressions.Add(ctx, req.Address, e, "")
	if err != nil {
		return suppressionError(err)
	}
	if s.cfg.Mirror != nil {
		if err := s.cfg.Mirror(ctx, req.Address, kind, true); err != nil {
			return err
		}
	}
	c.note("added", added)
	rec, err := s.cfg.Suppressions.Get(ctx, req.Address)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if added {
		status = http.StatusCreated
	}
	return c.respond(status, map[string]any{"address": rec.Address, "added": added, "active": nonNil(rec.Active(time.Now()))})
}

func (s *Server) removeSuppression(c *call) error {
	ctx := c.r.Context()
	q := c.r.URL.Query()
	addr := q.Get("address")
	kinds := []suppression.Reason{suppression.HardBounce, suppression.Unsubscribe, suppression.Manual, suppression.SoftBounce}
	if k := q.Get("kind"); k != "" {
		kinds = []suppression.Reason{suppression.Reason(k)}
	}
	c.note("address_hash", s.cfg.Suppressions.Hash(addr))
	if ab := q.Get("approved_by"); ab != "" {
		c.note("approved_by", ab)
	}
	lifted := []suppression.Reason{}
	for _, k := range kinds {
		ok, err := s.cfg.Suppressions.Remove(ctx, addr, suppression.Removal{Reason: k, Actor: c.subject, Note: q.Get("reason"), ApprovedBy: q.Get("approved_by")})
		if err != nil {
			return suppressionError(err)
		}
		if !ok {
			continue
		}
		lifted = append(lifted, k)
		if s.cfg.Mirror != nil {
			if err := s.cfg.Mirror(ctx, addr, k, false); err != nil {
				return fmt.Errorf("%s lifted from the list, but: %w", k, err)
			}
		}
	}
	c.note("lifted", lifted)
	rec, err := s.cfg.Suppressions.Get(ctx, addr)
	if err != nil {
		return err
	}
	return c.respond(http.StatusOK, map[string]any{"address": rec.Address, "lifted": lifted, "active": nonNil(rec.Active(time.Now()))})
}

func nonNil(r []suppression.Reason) []suppression.Reason {
	if r == nil {
		return []suppression.Reason{}
	}
	return r
}
