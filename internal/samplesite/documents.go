package samplesite

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// selection returns the session of r and the record its last Select
// postback chose, when the request's doc token matches that choice. ok is
// false when there is no live session; found is false when the token does
// not match the session's selection.
func (s *Site) selection(r *http.Request) (sess session, rec Record, ok, found bool) {
	sess, ok = s.currentSession(r)
	if !ok {
		return session{}, Record{}, false, false
	}
	tok := r.URL.Query().Get("doc")
	if tok == "" || tok != sess.token {
		return sess, Record{}, true, false
	}
	rec, found = s.byID[sess.selected]
	return sess, rec, true, found
}

func (s *Site) landing(w http.ResponseWriter, r *http.Request) {
	sess, rec, ok, found := s.selection(r)
	switch {
	case !ok:
		s.expired(w, r)
		return
	case !found:
		s.html(w, http.StatusOK, "nodocument", nil)
		return
	}
	page := landingPage{Record: rec, DownloadHref: "Download.aspx?doc=" + sess.token}
	if s.cfg.Fault == FaultJSRedirectLoop {
		hop, _ := strconv.Atoi(r.URL.Query().Get("hop"))
		page.LoopHref = "Landing.aspx?doc=" + sess.token + "&hop=" + strconv.Itoa(hop+1)
	}
	s.html(w, http.StatusOK, "landing", page)
}

func (s *Site) download(w http.ResponseWriter, r *http.Request) {
	sess, rec, ok, found := s.selection(r)
	switch {
	case !ok:
		s.expired(w, r)
		return
	case !found:
		s.html(w, http.StatusOK, "nodocument", nil)
		return
	}
	if wait := s.cfg.DownloadDelay - s.now().Sub(sess.selectedAt); s.cfg.DownloadDelay > 0 && wait > 0 {
		s.tooSoon(w, wait)
		return
	}
	body := s.docs[rec.ID]
	switch s.cfg.Fault {
	case FaultHTMLAsPDF:
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="`+rec.APINumber+`.pdf"`)
		_, _ = w.Write([]byte("<!DOCTYPE html>\n<html><head><title>Document</title></head><body><p>The document is temporarily unavailable.</p></body></html>\n"))
		return
	case FaultRedirectLoop:
		hop, _ := strconv.Atoi(r.URL.Query().Get("hop"))
		http.Redirect(w, r, "Download.aspx?doc="+sess.token+"&hop="+strconv.Itoa(hop+1), http.StatusFound)
		return
	case FaultHugeBody, FaultHugeBodyDeclared:
		s.hugeBody(w, r, s.cfg.Fault == FaultHugeBodyDeclared)
		return
	case FaultHang:
		s.hang(r)
		return
	case FaultTruncated:
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body[:len(body)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		// ErrAbortHandler makes net/http drop the connection without
		// completing the response or logging a panic.
		panic(http.ErrAbortHandler)
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+rec.APINumber+`.pdf"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Cache-Control", "private")
	_, _ = w.Write(body)
}

// tooSoon refuses a download asked for before the delay has passed.
func (s *Site) tooSoon(w http.ResponseWriter, wait time.Duration) {
	if s.cfg.TooSoon == TooSoonPage {
		s.html(w, http.StatusOK, "wait", nil)
		return
	}
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	http.Error(w, "Too Many Requests: please wait before downloading", http.StatusTooManyRequests)
}
