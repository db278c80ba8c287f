package samplesite

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
	"sync"
	"time"
)

// sessionCookie is the cookie name ASP.NET uses for InProc session state.
const sessionCookie = "ASP.NET_SessionId"

// session is the server-side state of one visitor.
type session struct {
	id       string
	lastSeen time.Time
	// selected is the record chosen by the last Select postback, token the
	// random id that ties the landing page and the download to that choice,
	// and selectedAt the time of the postback.
	selected   string
	token      string
	selectedAt time.Time
}

// sessions is an in-memory session store with an idle timeout, like
// ASP.NET's InProc mode. It is safe for concurrent use.
type sessions struct {
	idle time.Duration
	max  int

	mu   sync.Mutex // guards byID
	byID map[string]*session
}

func newSessions(idle time.Duration, max int) *sessions {
	return &sessions{idle: idle, max: max, byID: make(map[string]*session)}
}

// get returns a copy of the live session id and marks it used at now. A
// session idle for longer than the timeout is deleted and reported missing.
func (s *sessions) get(id string, now time.Time) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byID[id]
	if !ok {
		return session{}, false
	}
	if now.Sub(sess.lastSeen) > s.idle {
		delete(s.byID, id)
		return session{}, false
	}
	sess.lastSeen = now
	return *sess, true
}

// create starts a new session. When the store is full it first drops idle
// sessions, then the least recently used one, so memory stays bounded.
func (s *sessions) create(now time.Time) session {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byID) >= s.max {
		s.evictLocked(now)
	}
	sess := &session{id: randomID(), lastSeen: now}
	s.byID[sess.id] = sess
	return *sess
}

// selectRecord records the Select postback of record id at now and returns
// the token of that selection.
func (s *sessions) selectRecord(id, record string, now time.Time) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byID[id]
	if !ok {
		return "", false
	}
	sess.selected = record
	sess.token = strings.ToLower(randomID()[:12])
	sess.selectedAt = now
	sess.lastSeen = now
	return sess.token, true
}

// evictLocked drops idle sessions and, if none was idle, the oldest one.
func (s *sessions) evictLocked(now time.Time) {
	var oldest *session
	for id, sess := range s.byID {
		if now.Sub(sess.lastSeen) > s.idle {
			delete(s.byID, id)
			continue
		}
		if oldest == nil || sess.lastSeen.Before(oldest.lastSeen) {
			oldest = sess
		}
	}
	if len(s.byID) >= s.max && oldest != nil {
		delete(s.byID, oldest.id)
	}
}

// randomID returns 24 lower-case base32 characters, the shape of an ASP.NET
// session id.
func randomID() string {
	var b [15]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
}
