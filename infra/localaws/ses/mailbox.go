package ses

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// mailRecord describes one accepted message: envelope, content kind, what
// became of each recipient. It is the JSON the mailbox serves and saves as
// <id>.json next to <id>.eml.
type mailRecord struct {
	MessageID        string            `json:"messageId"`
	Timestamp        time.Time         `json:"timestamp"`
	From             string            `json:"from"`
	SourceArn        string            `json:"sourceArn"`
	To               []string          `json:"to"`
	Cc               []string          `json:"cc,omitempty"`
	Bcc              []string          `json:"bcc,omitempty"`
	ReplyTo          []string          `json:"replyTo,omitempty"`
	Subject          string            `json:"subject"`
	Content          string            `json:"content"` // Simple, Raw or Template
	Template         string            `json:"template,omitempty"`
	ConfigurationSet string            `json:"configurationSet,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	SourceIP         string            `json:"sourceIp"`
	CallerIdentity   string            `json:"callerIdentity"`
	Region           string            `json:"region"`
	Size             int               `json:"size"`
	RenderingFailure string            `json:"renderingFailure,omitempty"`
	Recipients       []recipientResult `json:"recipients"`

	eml     []byte   // the message itself, kept in memory without a state dir
	headers []header // its top-level headers, parsed on first use
}

// recipientResult is what happened to one recipient.
type recipientResult struct {
	Address   string `json:"address"`
	Outcome   string `json:"outcome"`
	Simulator bool   `json:"simulator,omitempty"`
}

// destination lists every envelope recipient.
func (r *mailRecord) destination() []string {
	out := make([]string, 0, len(r.To)+len(r.Cc)+len(r.Bcc))
	out = append(out, r.To...)
	out = append(out, r.Cc...)
	return append(out, r.Bcc...)
}

// hasRecipient reports whether addr is an envelope recipient.
func (r *mailRecord) hasRecipient(addr string) bool {
	return slices.ContainsFunc(r.destination(), func(a string) bool { return strings.EqualFold(a, addr) })
}

// copy returns a copy that shares nothing mutable with r.
func (r *mailRecord) copy() mailRecord {
	c := *r
	c.Recipients = slices.Clone(r.Recipients)
	c.eml, c.headers = nil, nil
	return c
}

// mailbox keeps the sent mail, in memory and, with a directory, as files.
type mailbox struct {
	dir string // "" keeps messages in memory only
	log *slog.Logger

	mu    sync.Mutex
	order []*mailRecord // oldest first
	byID  map[string]*mailRecord
}

func newMailbox(dir string, log *slog.Logger) *mailbox {
	return &mailbox{dir: dir, log: log, byID: map[string]*mailRecord{}}
}

// add stores a message. With a directory, it writes <id>.eml (unless the
// message was never rendered) and <id>.json first, so that what is listed
// is also on disk.
func (mb *mailbox) add(rec *mailRecord, eml []byte) error {
	if mb.dir != "" {
		if eml != nil {
			if err := awsproto.WriteFileAtomic(filepath.Join(mb.dir, rec.MessageID+".eml"), eml, false); err != nil {
				return err
			}
		}
		if err := mb.writeRecord(rec); err != nil {
			return err
		}
	} else {
		rec.eml = eml
	}
	if eml != nil {
		if m, err := parseRawMessage(eml); err == nil {
			rec.headers = m.headers
		}
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.order = append(mb.order, rec)
	mb.byID[rec.MessageID] = rec
	return nil
}

func (mb *mailbox) writeRecord(rec *mailRecord) error {
	b, err := marshalReadable(rec)
	if err != nil {
		return fmt.Errorf("encoding mail record %s: %w", rec.MessageID, err)
	}
	return awsproto.WriteFileAtomic(filepath.Join(mb.dir, rec.MessageID+".json"), b, false)
}

// load reads the records saved in the directory, oldest first. A record
// that cannot be read is logged and skipped: one damaged file must not keep
// the endpoint from starting.
func (mb *mailbox) load() error {
	entries, err := os.ReadDir(mb.dir)
	if err != nil {
		return fmt.Errorf("ses: reading mail dir: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		path := filepath.Join(mb.dir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			mb.log.Error("ses: reading saved mail record", "file", path, "err", err)
			continue
		}
		rec := &mailRecord{}
		if err := json.Unmarshal(b, rec); err != nil || rec.MessageID+".json" != e.Name() {
			mb.log.Error("ses: skipping damaged mail record", "file", path, "err", err)
			continue
		}
		mb.order = append(mb.order, rec)
		mb.byID[rec.MessageID] = rec
	}
	slices.SortStableFunc(mb.order, func(a, b *mailRecord) int {
		if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
			return c
		}
		return strings.Compare(a.MessageID, b.MessageID)
	})
	return nil
}

// quotaEntries counts the non-simulator recipients of mail sent after
// since, to restore the daily quota after a restart.
func (mb *mailbox) quotaEntries(since time.Time) []sentEntry {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	var out []sentEntry
	for _, r := range mb.order {
		if !r.Timestamp.After(since) {
			continue
		}
		n := 0
		for _, rr := range r.Recipients {
			if !rr.Simulator {
				n++
			}
		}
		if n > 0 {
			out = append(out, sentEntry{at: r.Timestamp, n: n})
		}
	}
	return out
}

// list copies the records, oldest first, of mail sent to addr (To, Cc or
// Bcc; all mail when addr is empty).
func (mb *mailbox) list(addr string) []mailRecord {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	out := []mailRecord{}
	for _, r := range mb.order {
		if addr == "" || r.hasRecipient(addr) {
			out = append(out, r.copy())
		}
	}
	return out
}

// get copies one record.
func (mb *mailbox) get(id string) (mailRecord, bool) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	r := mb.byID[id]
	if r == nil {
		return mailRecord{}, false
	}
	return r.copy(), true
}

// errNotRendered is the answer for the message of a template that could
// not be rendered: SES never built it.
var errNotRendered = errors.New("the message was not sent: its template could not be rendered")

// message returns the raw message of id.
func (mb *mailbox) message(id string) ([]byte, error) {
	mb.mu.Lock()
	r := mb.byID[id]
	var eml []byte
	notRendered := false
	if r != nil {
		eml, notRendered = r.eml, r.RenderingFailure != ""
	}
	mb.mu.Unlock()
	switch {
	case r == nil:
		return nil, fs.ErrNotExist
	case notRendered:
		return nil, errNotRendered
	case eml != nil || mb.dir == "":
		return eml, nil
	}
	return os.ReadFile(filepath.Join(mb.dir, id+".eml"))
}

// headersOf returns the top-level headers of a stored message, reading them
// from its file the first time after a restart.
func (mb *mailbox) headersOf(rec *mailRecord) []header {
	mb.mu.Lock()
	hs := rec.headers
	mb.mu.Unlock()
	if hs != nil || rec.RenderingFailure != "" {
		return hs
	}
	eml, err := mb.message(rec.MessageID)
	if err != nil {
		return nil
	}
	m, err := parseRawMessage(eml)
	if err != nil {
		return nil
	}
	mb.mu.Lock()
	rec.headers = m.headers
	mb.mu.Unlock()
	return m.headers
}

// record returns the stored record itself, for feedback to update.
func (mb *mailbox) record(id string) *mailRecord {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.byID[id]
}

// setOutcome records a later outcome (a bounce or complaint) for some
// recipients and saves the record again.
func (mb *mailbox) setOutcome(rec *mailRecord, addrs []string, outcome string) error {
	mb.mu.Lock()
	for i := range rec.Recipients {
		if slices.ContainsFunc(addrs, func(a string) bool { return strings.EqualFold(a, rec.Recipients[i].Address) }) {
			rec.Recipients[i].Outcome = outcome
		}
	}
	cp := rec.copy()
	_, stored := mb.byID[rec.MessageID]
	mb.mu.Unlock()
	if mb.dir == "" || !stored {
		return nil
	}
	return mb.writeRecord(&cp)
}

// remove deletes one message; clear (id "") deletes them all.
func (mb *mailbox) remove(id string) (bool, error) {
	mb.mu.Lock()
	var gone []*mailRecord
	if id == "" {
		gone = mb.order
		mb.order, mb.byID = nil, map[string]*mailRecord{}
	} else if r := mb.byID[id]; r != nil {
		gone = []*mailRecord{r}
		delete(mb.byID, id)
		mb.order = slices.DeleteFunc(mb.order, func(x *mailRecord) bool { return x == r })
	}
	mb.mu.Unlock()
	if mb.dir == "" {
		return len(gone) > 0, nil
	}
	var errs []error
	for _, r := range gone {
		for _, ext := range []string{".eml", ".json"} {
			if err := os.Remove(filepath.Join(mb.dir, r.MessageID+ext)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return len(gone) > 0, errors.Join(errs...)
}

// Mailbox serves the sent mail over HTTP (list, one message as JSON or .eml).
// Mounted at /_localaws/mail:
//
//	GET    /                   every message, oldest first (?to=ADDR: sent to ADDR)
//	DELETE /                   delete every message
//	GET    /{id}               one message's record
//	GET    /{id}.eml           the message as sent (message/rfc822)
//	DELETE /{id}               delete one message
//	POST   /{id}/bounce        make recipients bounce (?recipient=&type=&subType=&status=&diagnosticCode=)
//	POST   /{id}/complaint     make recipients complain (?recipient=&feedbackType=)
//
// The last two stand in for a real recipient's mail server, so that bounce
// and complaint handling can be exercised with ordinary addresses.
func (s *Service) Mailbox() http.Handler { return http.HandlerFunc(s.serveMailbox) }

func (s *Service) serveMailbox(w http.ResponseWriter, r *http.Request) {
	path := strings.Trim(r.URL.Path, "/")
	id, action, hasAction := strings.Cut(path, "/")
	switch {
	case path == "":
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			writeMailJSON(w, http.StatusOK, s.mail.list(r.URL.Query().Get("to")))
		case http.MethodDelete:
			if _, err := s.mail.remove(""); err != nil {
				writeMailError(w, http.StatusInternalServerError, "deleting mail files: %v", err)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			methodNotAllowed(w, "GET, DELETE")
		}
	case hasAction:
		if r.Method != http.MethodPost {
			methodNotAllowed(w, "POST")
			return
		}
		s.serveFeedback(w, r, id, action)
	case strings.HasSuffix(path, ".eml"):
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET")
			return
		}
		eml, err := s.mail.message(strings.TrimSuffix(path, ".eml"))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			writeMailError(w, http.StatusNotFound, "no message %s", strings.TrimSuffix(path, ".eml"))
		case errors.Is(err, errNotRendered):
			writeMailError(w, http.StatusNotFound, "%v", err)
		case err != nil:
			writeMailError(w, http.StatusInternalServerError, "reading message: %v", err)
		default:
			w.Header().Set("Content-Type", "message/rfc822")
			_, _ = w.Write(eml)
		}
	default:
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			rec, ok := s.mail.get(id)
			if !ok {
				writeMailError(w, http.StatusNotFound, "no message %s", id)
				return
			}
			writeMailJSON(w, http.StatusOK, rec)
		case http.MethodDelete:
			found, err := s.mail.remove(id)
			switch {
			case err != nil:
				writeMailError(w, http.StatusInternalServerError, "deleting mail files: %v", err)
			case !found:
				writeMailError(w, http.StatusNotFound, "no message %s", id)
			default:
				w.WriteHeader(http.StatusNoContent)
			}
		default:
			methodNotAllowed(w, "GET, DELETE")
		}
	}
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeMailError(w, http.StatusMethodNotAllowed, "method not allowed; use %s", allow)
}

func writeMailJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshalReadable(v)
	if err != nil {
		http.Error(w, "encoding answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// marshalReadable encodes v indented and without escaping <, > and &, so
// that addresses read as written ("Jane <jane@example.org>").
func marshalReadable(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeMailError(w http.ResponseWriter, status int, format string, args ...any) {
	writeMailJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}
