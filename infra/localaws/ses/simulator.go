package ses

import (
	"slices"
	"strings"
)

// simulatorDomain is the domain of SES's mailbox simulator.
const simulatorDomain = "simulator.amazonses.com"

// Mailbox simulator addresses (local parts).
const (
	simSuccess         = "success"
	simBounce          = "bounce"
	simOOTO            = "ooto"
	simComplaint       = "complaint"
	simSuppressionList = "suppressionlist"
)

// Recipient outcomes, as the mailbox records them.
const (
	outcomeDelivered   = "delivered"
	outcomeBounced     = "bounced"
	outcomeAutoReply   = "delivered-auto-reply" // delivered, and an out-of-office reply came back
	outcomeComplained  = "complained"           // delivered, then marked as spam
	outcomeSuppressed  = "suppressed"           // not sent: on the suppression list
	outcomeNotRendered = "rendering-failure"    // not sent: the template could not be rendered
)

// Diagnostic texts of the bounces the simulator and the suppression list
// produce.
const (
	diagUserUnknown = "smtp; 550 5.1.1 user unknown"
	diagSuppressed  = "Amazon SES did not send the message to this address because it is on the suppression list for your account. " +
		"For more information about removing addresses from the suppression list, see the Amazon SES Developer Guide at " +
		"https://docs.aws.amazon.com/ses/latest/DeveloperGuide/sending-email-suppression-list.html"
)

// simulatorKind tells whether addr is a mailbox simulator address and which
// behaviour it asks for. Labels are ignored (bounce+job-1@ is bounce@); an
// unknown local part at the simulator domain is delivered like success@.
func simulatorKind(addr string) (kind string, ok bool) {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || !strings.EqualFold(addr[at+1:], simulatorDomain) {
		return "", false
	}
	local := strings.ToLower(addr[:at])
	if i := strings.IndexByte(local, '+'); i >= 0 {
		local = local[:i]
	}
	switch local {
	case simBounce, simOOTO, simComplaint, simSuppressionList:
		return local, true
	}
	return simSuccess, true
}

// planLocked decides what happens to each recipient of an accepted message
// and returns the events SES would publish for it, in order: Send, then
// Delivery, Bounce and Complaint. Addresses on the suppression list (for a
// reason in force) are not delivered and bounce with
// OnAccountSuppressionList; simulator addresses behave as SES documents.
// Hard bounces and complaints of ordinary addresses put them on the
// suppression list when their reason is enabled. It records the outcomes
// in rec. Callers hold s.mu.
func (s *Service) planLocked(rec *mailRecord, recipients []address, reasons []string) []plannedEvent {
	events := []plannedEvent{{matching: "SEND"}}
	if rec.RenderingFailure != "" {
		for _, a := range recipients {
			_, sim := simulatorKind(a.Addr)
			rec.Recipients = append(rec.Recipients, recipientResult{Address: a.Addr, Outcome: outcomeNotRendered, Simulator: sim})
		}
		return append(events, plannedEvent{matching: "RENDERING_FAILURE", failure: &failureObject{ErrorMessage: rec.RenderingFailure, TemplateName: rec.Template}})
	}
	var delivered, complained []string
	var hard, suppressed, autoReply []bouncedRecipient
	for _, a := range recipients {
		kind, sim := simulatorKind(a.Addr)
		res := recipientResult{Address: a.Addr, Simulator: sim}
		if _, onList := s.suppressedLocked(a.Addr, reasons); onList {
			kind = simSuppressionList
		}
		switch kind {
		case simBounce:
			res.Outcome = outcomeBounced
			hard = append(hard, bouncedRecipient{EmailAddress: a.Addr, Action: "failed", Status: "5.1.1", DiagnosticCode: diagUserUnknown})
		case simSuppressionList:
			res.Outcome = outcomeSuppressed
			suppressed = append(suppressed, bouncedRecipient{EmailAddress: a.Addr, Action: "failed", Status: "5.1.1", DiagnosticCode: diagSuppressed})
		case simOOTO:
			res.Outcome = outcomeAutoReply
			delivered = append(delivered, a.Addr)
			autoReply = append(autoReply, bouncedRecipient{EmailAddress: a.Addr})
		case simComplaint:
			res.Outcome = outcomeComplained
			delivered = append(delivered, a.Addr)
			complained = append(complained, a.Addr)
		default:
			res.Outcome = outcomeDelivered
			delivered = append(delivered, a.Addr)
		}
		rec.Recipients = append(rec.Recipients, res)
	}
	if len(delivered) > 0 {
		events = append(events, plannedEvent{matching: "DELIVERY", delivered: delivered})
	}
	if len(hard) > 0 {
		events = append(events, s.bounceEvent("Permanent", "General", hard, dsnReportingMTA(rec.Region)))
	}
	if len(suppressed) > 0 {
		events = append(events, s.bounceEvent("Permanent", "OnAccountSuppressionList", suppressed, "dns; amazonses.com"))
	}
	if len(autoReply) > 0 {
		events = append(events, s.bounceEvent("Transient", "General", autoReply, ""))
	}
	if len(complained) > 0 {
		events = append(events, s.complaintEvent(complained, "abuse", "Amazon SES Mailbox Simulator"))
	}
	for i := range events {
		s.applyFeedbackLocked(&events[i], rec.MessageID, reasons)
	}
	return events
}

func (s *Service) bounceEvent(typ, subType string, recipients []bouncedRecipient, reportingMTA string) plannedEvent {
	return plannedEvent{matching: "BOUNCE", bounce: &bounceSpec{
		bounceType: typ, subType: subType, recipients: recipients,
		feedbackID: newMessageID(s.now()), reportingMTA: reportingMTA,
	}}
}

func (s *Service) complaintEvent(recipients []string, feedbackType, userAgent string) plannedEvent {
	return plannedEvent{matching: "COMPLAINT", complaint: &complaintSpec{
		recipients: recipients, feedbackType: feedbackType, userAgent: userAgent,
		feedbackID: newMessageID(s.now()),
	}}
}

// dsnReportingMTA names the MTA of a bounce report, shaped like SES's.
func dsnReportingMTA(region string) string {
	if region == "" {
		region = "us-east-1"
	}
	return "dsn; a8-70.smtp-out." + region + ".amazonses.com"
}

// applyFeedbackLocked puts ordinary (non-simulator) recipients of a hard
// bounce or a complaint on the account suppression list, when BOUNCE or
// COMPLAINT is among the reasons in force. A complaint of "not-spam" is
// not a complaint against the sender. Callers hold s.mu.
func (s *Service) applyFeedbackLocked(ev *plannedEvent, messageID string, reasons []string) {
	switch {
	case ev.bounce != nil:
		b := ev.bounce
		if b.bounceType != "Permanent" || b.subType == "OnAccountSuppressionList" || !slices.Contains(reasons, reasonBounce) {
			return
		}
		for _, r := range b.recipients {
			if _, sim := simulatorKind(r.EmailAddress); !sim {
				s.suppressLocked(r.EmailAddress, reasonBounce, messageID, b.feedbackID)
			}
		}
	case ev.complaint != nil:
		c := ev.complaint
		if c.feedbackType == "not-spam" || !slices.Contains(reasons, reasonComplaint) {
			return
		}
		for _, addr := range c.recipients {
			if _, sim := simulatorKind(addr); !sim {
				s.suppressLocked(addr, reasonComplaint, messageID, c.feedbackID)
			}
		}
	}
}
