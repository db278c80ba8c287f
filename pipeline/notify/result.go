package notify

import (
	"strings"
)

// Outcome is what became of one recipient of a job.
type Outcome string

// Outcomes of a recipient in a [Result].
const (
	// OutcomeSent: SES accepted the message in this run.
	OutcomeSent Outcome = "sent"
	// OutcomeAlreadySent: an earlier run sent it; MessageID is SES's id
	// from that run.
	OutcomeAlreadySent Outcome = "already_sent"
	// OutcomeSuppressed: the address is on the suppression list (now or
	// when an earlier run checked it); it was not mailed.
	OutcomeSuppressed Outcome = "suppressed"
	// OutcomeUnknown: a send may or may not have reached SES (a timeout,
	// a dropped connection, a 5xx, a crash between claim and send). It is
	// never re-sent automatically; idempotency.Store.ListUnknownEffects
	// lists it until someone settles it with ResolveEffect.
	OutcomeUnknown Outcome = "unknown"
)

// Result is what a notify.email job returns as its result.
type Result struct {
	// Template is the template the message was rendered from.
	Template string `json:"template"`
	// Recipients lists each distinct recipient, in payload order.
	Recipients []RecipientResult `json:"recipients"`
}

// RecipientResult is what became of one recipient.
type RecipientResult struct {
	// Address is the normalised address the message went to.
	Address string `json:"address"`
	// Outcome is what became of it.
	Outcome Outcome `json:"outcome"`
	// MessageID is SES's message id, for sent and already_sent. SES events
	// for the message carry it as mail.messageId.
	MessageID string `json:"message_id,omitempty"`
	// SuppressionReasons are the reasons the address is suppressed for,
	// for suppressed.
	SuppressionReasons []string `json:"suppression_reasons,omitempty"`
	// Detail says why the outcome is unknown.
	Detail string `json:"detail,omitempty"`
}

// The result stored with a completed send effect is SES's message id, or
// for a recipient that was not mailed because it is suppressed,
// "suppressed: " and its reasons. Both read well in Redis and in
// idempotency.Store listings.
const suppressedPrefix = "suppressed: "

func suppressedEffect(reasons []string) []byte {
	return []byte(suppressedPrefix + strings.Join(reasons, ", "))
}

// completedResult turns the result stored with a completed effect into the
// recipient's result.
func completedResult(addr string, stored []byte) RecipientResult {
	s := string(stored)
	if rest, ok := strings.CutPrefix(s, suppressedPrefix); ok {
		return RecipientResult{Address: addr, Outcome: OutcomeSuppressed, SuppressionReasons: strings.Split(rest, ", ")}
	}
	return RecipientResult{Address: addr, Outcome: OutcomeAlreadySent, MessageID: s}
}
