package samplesite

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

// Control UniqueIDs of the search page.
const (
	ctlAPINumber = "ctl00$Main$txtApiNo"
	ctlDocType   = "ctl00$Main$ddlDocType"
	ctlSearch    = "ctl00$Main$btnSearch"
	ctlReset     = "ctl00$Main$btnReset"
	ctlGrid      = "ctl00$Main$gvResults"
)

// docTypes returns the dropdown options of the search page: value, label.
func docTypes() [][2]string {
	return [][2]string{
		{"ALL", "All documents"},
		{"Completion Report", "Completion reports"},
		{"Well Log", "Well logs"},
		{"Production Report", "Production reports"},
		{"Plugging Record", "Plugging records"},
	}
}

// maxFormBytes caps a posted form, as IIS caps request bodies.
const maxFormBytes = 256 << 10

// currentSession returns the request's live session, if any.
func (s *Site) currentSession(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	return s.sessions.get(c.Value, s.now())
}

// expired redirects to the search page with the "session expired" banner, as
// a site does when a postback or a document page arrives without a session.
func (s *Site) expired(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, s.SearchURL()+"?expired=1", http.StatusFound)
}

func (s *Site) searchGet(w http.ResponseWriter, r *http.Request) {
	switch s.cfg.Fault {
	case FaultCaptcha:
		s.html(w, http.StatusOK, "captcha", nil)
		return
	case FaultUnavailable:
		w.Header().Set("Retry-After", "2")
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	sess, ok := s.currentSession(r)
	if !ok {
		sess = s.sessions.create(s.now())
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	s.renderSearch(w, sess.id, pageState{Page: "search", DocType: "ALL"}, r.URL.Query().Get("expired") == "1", false)
}

func (s *Site) searchPost(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.currentSession(r)
	if !ok {
		s.expired(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Bad Request", http.StatusBadRequest)
		return
	}
	form := r.PostForm
	gen := generator(s.SearchURL())
	vs := form.Get("__VIEWSTATE")
	if form.Get("__VIEWSTATEGENERATOR") != gen {
		s.viewStateError(w)
		return
	}
	st, err := s.verify.openViewState(sess.id, gen, vs)
	if err != nil {
		s.viewStateError(w)
		return
	}
	events, err := s.verify.openEventValidation(sess.id, vs, form.Get("__EVENTVALIDATION"))
	if err != nil {
		s.viewStateError(w)
		return
	}

	if target := form.Get("__EVENTTARGET"); target != "" {
		arg := form.Get("__EVENTARGUMENT")
		if !events.allows(target, arg) {
			s.eventValidationError(w)
			return
		}
		s.selectRow(w, r, sess, st, arg)
		return
	}

	switch {
	case form.Has(ctlReset):
		// ASP.NET raises the event of the button that was posted; a client
		// that posts every submit button gets the Clear button's event.
		s.renderSearch(w, sess.id, pageState{Page: "search", DocType: "ALL"}, false, false)
	case form.Has(ctlSearch):
		if !events.allows(ctlSearch, "") {
			s.eventValidationError(w)
			return
		}
		docType := form.Get(ctlDocType)
		if !events.allows(ctlDocType, docType) {
			s.eventValidationError(w)
			return
		}
		key := strings.TrimSpace(form.Get(ctlAPINumber))
		st := pageState{Page: "search", Key: key, DocType: docType, Rows: s.search(key, docType)}
		s.renderSearch(w, sess.id, st, false, true)
	default:
		// A postback without an event re-renders the page as it was.
		s.renderSearch(w, sess.id, st, false, len(st.Rows) > 0 || st.Key != "")
	}
}

// search returns the ids of the records whose API number has the digits of
// key and whose document type matches docType ("ALL" matches every type).
func (s *Site) search(key, docType string) []string {
	want := digits(key)
	var ids []string
	if want == "" {
		return ids
	}
	for _, rec := range s.cfg.Records {
		if digits(rec.APINumber) != want {
			continue
		}
		if docType != "ALL" && rec.Document != docType {
			continue
		}
		ids = append(ids, rec.ID)
	}
	return ids
}

// selectRow handles the grid's Select$N postback: it remembers the chosen
// record in the session and answers with a JavaScript redirect to the
// landing page, as many portals do after a postback.
func (s *Site) selectRow(w http.ResponseWriter, r *http.Request, sess session, st pageState, arg string) {
	n, ok := strings.CutPrefix(arg, "Select$")
	i, err := strconv.Atoi(n)
	if !ok || err != nil || i < 0 || i >= len(st.Rows) {
		s.eventValidationError(w)
		return
	}
	token, ok := s.sessions.selectRecord(sess.id, st.Rows[i], s.now())
	if !ok {
		s.expired(w, r)
		return
	}
	s.html(w, http.StatusOK, "redirect", redirectPage{Target: "Documents/Landing.aspx?doc=" + token})
}

// renderSearch renders the search page with fresh signed state.
func (s *Site) renderSearch(w http.ResponseWriter, sessionID string, st pageState, expired, searched bool) {
	gen := generator(s.SearchURL())
	vs := s.sign.viewState(sessionID, gen, st)
	pairs := [][2]string{{ctlAPINumber, ""}, {ctlSearch, ""}, {ctlReset, ""}}
	page := searchPage{
		Action:    "./Search.aspx",
		ViewState: vs,
		Generator: gen,
		Expired:   expired,
		APINumber: st.Key,
		Searched:  searched,
		BasePath:  s.cfg.BasePath,
	}
	for _, dt := range docTypes() {
		pairs = append(pairs, [2]string{ctlDocType, dt[0]})
		page.DocTypes = append(page.DocTypes, docTypeOption{Value: dt[0], Label: dt[1], Selected: dt[0] == st.DocType})
	}
	for i, id := range st.Rows {
		arg := "Select$" + strconv.Itoa(i)
		pairs = append(pairs, [2]string{ctlGrid, arg})
		page.Rows = append(page.Rows, gridRow{
			// Built from constants and an index, never from input.
			SelectAttr: template.HTMLAttr(fmt.Sprintf(`href="javascript:__doPostBack(&#39;%s&#39;,&#39;%s&#39;)"`, ctlGrid, arg)),
			Record:     s.byID[id],
		})
	}
	page.ResultsDescription = fmt.Sprintf("%d record(s) found.", len(st.Rows))
	page.EventValidation = s.sign.eventValidation(sessionID, vs, pairs)
	s.html(w, http.StatusOK, "search", page)
}

// viewStateError answers like ASP.NET with customErrors off when view state
// fails its MAC check: a 500 yellow screen.
func (s *Site) viewStateError(w http.ResponseWriter) {
	s.html(w, http.StatusInternalServerError, "error", errorPage{
		App:         strings.TrimSuffix(s.cfg.BasePath, "/"),
		Message:     "Validation of viewstate MAC failed. If this application is hosted by a Web Farm or cluster, ensure that <machineKey> configuration specifies the same validationKey and validation algorithm.",
		Exception:   "System.Web.HttpException",
		Description: "An unhandled exception occurred during the execution of the current web request.",
	})
}

// eventValidationError answers like ASP.NET when a posted event or value was
// not rendered by the page whose state was posted.
func (s *Site) eventValidationError(w http.ResponseWriter) {
	s.html(w, http.StatusInternalServerError, "error", errorPage{
		App:         strings.TrimSuffix(s.cfg.BasePath, "/"),
		Message:     `Invalid postback or callback argument.  Event validation is enabled using <pages enableEventValidation="true"/> in configuration or <%@ Page EnableEventValidation="true" %> in a page.`,
		Exception:   "System.ArgumentException",
		Description: "An unhandled exception occurred during the execution of the current web request.",
	})
}

// html renders a page template with status.
func (s *Site) html(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := s.pages.render(&b, name, data); err != nil {
		http.Error(w, "template error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "private")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}
