package ses

import (
	"net/http"
	"slices"
	"strings"
)

// bounceSubTypes lists the subtypes SES reports for each bounce type.
func bounceSubTypes(bounceType string) []string {
	switch bounceType {
	case "Permanent":
		return []string{"General", "NoEmail", "Suppressed", "OnAccountSuppressionList"}
	case "Transient":
		return []string{"General", "MailboxFull", "MessageTooLarge", "ContentRejected", "AttachmentRejected"}
	case "Undetermined":
		return []string{"Undetermined"}
	}
	return nil
}

// complaintFeedbackTypes are the ARF feedback types SES passes on.
func complaintFeedbackTypes() []string {
	return []string{"abuse", "auth-failure", "fraud", "not-spam", "other", "virus"}
}

// serveFeedback answers POST /{id}/bounce and /{id}/complaint: it plays the
// recipient's mail server reporting a bounce or a complaint for a message
// already sent. The event goes to the message's configuration set like any
// other, and the suppression list reacts as it does on SES.
func (s *Service) serveFeedback(w http.ResponseWriter, r *http.Request, id, action string) {
	rec := s.mail.record(id)
	if rec == nil {
		writeMailError(w, http.StatusNotFound, "no message %s", id)
		return
	}
	if rec.RenderingFailure != "" {
		writeMailError(w, http.StatusConflict, "message %s was never sent (its template could not be rendered)", id)
		return
	}
	q := r.URL.Query()
	recipients := q["recipient"]
	if len(recipients) == 0 {
		recipients = rec.destination()
	}
	for _, a := range recipients {
		if !rec.hasRecipient(a) {
			writeMailError(w, http.StatusBadRequest, "%s is not a recipient of message %s", a, id)
			return
		}
	}

	var ev plannedEvent
	var outcome string
	switch action {
	case "bounce":
		typ := q.Get("type")
		if typ == "" {
			typ = "Permanent"
		}
		subs := bounceSubTypes(typ)
		if subs == nil {
			writeMailError(w, http.StatusBadRequest, "type must be Permanent, Transient or Undetermined, got %q", typ)
			return
		}
		sub := q.Get("subType")
		if sub == "" {
			sub = subs[0]
		}
		if !slices.Contains(subs, sub) {
			writeMailError(w, http.StatusBadRequest, "subType of a %s bounce must be one of %s, got %q", typ, strings.Join(subs, ", "), sub)
			return
		}
		status, diag := "5.1.1", diagUserUnknown
		if typ != "Permanent" {
			status, diag = "4.0.0", "smtp; 450 4.0.0 temporary failure"
		}
		if v := q.Get("status"); v != "" {
			status = v
		}
		if v := q.Get("diagnosticCode"); v != "" {
			diag = v
		}
		list := make([]bouncedRecipient, len(recipients))
		for i, a := range recipients {
			list[i] = bouncedRecipient{EmailAddress: a, Action: "failed", Status: status, DiagnosticCode: diag}
		}
		ev = s.bounceEvent(typ, sub, list, dsnReportingMTA(rec.Region))
		outcome = outcomeBounced
	case "complaint":
		ft := q.Get("feedbackType")
		if ft == "" {
			ft = "abuse"
		}
		if !slices.Contains(complaintFeedbackTypes(), ft) {
			writeMailError(w, http.StatusBadRequest, "feedbackType must be one of %s, got %q", strings.Join(complaintFeedbackTypes(), ", "), ft)
			return
		}
		ev = s.complaintEvent(recipients, ft, "localaws feedback injection")
		outcome = outcomeComplained
	default:
		writeMailError(w, http.StatusNotFound, "unknown feedback %q: use bounce or complaint", action)
		return
	}

	s.mu.Lock()
	reasons := slices.Clone(s.account.SuppressedReasons)
	var dests []eventDestination
	if cs := s.configSets[rec.ConfigurationSet]; cs != nil {
		if cs.SuppressedReasons != nil {
			reasons = slices.Clone(*cs.SuppressedReasons)
		}
		dests = cs.snsDestinationsLocked()
	}
	s.applyFeedbackLocked(&ev, rec.MessageID, reasons)
	s.mu.Unlock()

	if err := s.mail.setOutcome(rec, recipients, outcome); err != nil {
		s.log.Error("ses: saving mail record after feedback", "messageId", id, "err", err)
	}
	s.dispatch(dests, rec, []plannedEvent{ev})
	feedbackID := ""
	if ev.bounce != nil {
		feedbackID = ev.bounce.feedbackID
	} else {
		feedbackID = ev.complaint.feedbackID
	}
	name, _ := eventTypeName(ev.matching)
	writeMailJSON(w, http.StatusAccepted, map[string]any{"messageId": id, "eventType": name, "feedbackId": feedbackID, "recipients": recipients})
}
