package suppression

import (
	"fmt"
	"slices"
	"time"
)

// Reason is why an address is suppressed.
type Reason string

// Suppression reasons.
const (
	// HardBounce: a permanent bounce (the address does not exist, or SES
	// would not send to it). No expiry.
	HardBounce Reason = "hard_bounce"
	// SoftBounce: repeated transient bounces within the policy's window.
	// Expires.
	SoftBounce Reason = "soft_bounce"
	// Complaint: the recipient marked a message as spam. Never lifted
	// automatically; removal needs a second person's approval.
	Complaint Reason = "complaint"
	// Unsubscribe: the recipient asked to stop.
	Unsubscribe Reason = "unsubscribe"
	// Manual: an operator's decision.
	Manual Reason = "manual"
)

// Reasons lists every reason, most severe first.
var Reasons = []Reason{Complaint, HardBounce, Unsubscribe, Manual, SoftBounce}

// ParseReason checks a reason's name.
func ParseReason(s string) (Reason, error) {
	r := Reason(s)
	if !slices.Contains(Reasons, r) {
		return "", fmt.Errorf("unknown suppression reason %q (reasons: complaint, hard_bounce, unsubscribe, manual, soft_bounce)", s)
	}
	return r, nil
}

// Sources say where a suppression came from.
const (
	SourceSESEvent = "ses_event" // a bounce or complaint event
	SourceAdmin    = "admin"     // `quarry suppress add`
)

// Evidence is what an automatic suppression was decided on.
type Evidence struct {
	SESMessageID          string `json:"ses_message_id,omitempty"`
	FeedbackID            string `json:"feedback_id,omitempty"`
	BounceType            string `json:"bounce_type,omitempty"`
	BounceSubType         string `json:"bounce_sub_type,omitempty"`
	Status                string `json:"status,omitempty"`
	DiagnosticCode        string `json:"diagnostic_code,omitempty"`
	ComplaintFeedbackType string `json:"complaint_feedback_type,omitempty"`
	JobID                 string `json:"job_id,omitempty"`
	// Count is how many events led to it (soft bounces within the window).
	Count int `json:"count,omitempty"`
}

// Entry is one reason an address is suppressed for.
type Entry struct {
	Reason    Reason    `json:"reason"`
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	// ExpiresAt is zero for a suppression that does not expire.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Note is the free-text why of a manual change.
	Note     string    `json:"note,omitempty"`
	Evidence *Evidence `json:"evidence,omitempty"`
}

// Active reports whether the entry is in force at now.
func (e Entry) Active(now time.Time) bool {
	return e.ExpiresAt.IsZero() || now.Before(e.ExpiresAt)
}

// Record is everything the list holds about one address.
type Record struct {
	Address     string  `json:"address"`
	AddressHash string  `json:"address_hash"`
	Entries     []Entry `json:"entries"`
}

// Active returns the reasons in force at now, most severe first.
func (r Record) Active(now time.Time) []Reason {
	var out []Reason
	for _, reason := range Reasons {
		for _, e := range r.Entries {
			if e.Reason == reason && e.Active(now) {
				out = append(out, reason)
			}
		}
	}
	return out
}

// Audit actions.
const (
	ActionAdd    = "add"
	ActionRemove = "remove"
)

// AuditEntry is one change to the list.
type AuditEntry struct {
	// ID is the stream entry's id: it orders the trail.
	ID          string    `json:"id"`
	At          time.Time `json:"at"`
	Actor       string    `json:"actor"`
	Action      string    `json:"action"`
	Address     string    `json:"address"`
	AddressHash string    `json:"address_hash"`
	Reason      Reason    `json:"reason"`
	Source      string    `json:"source,omitempty"`
	Note        string    `json:"note,omitempty"`
	ApprovedBy  string    `json:"approved_by,omitempty"`
	// Event names the SES message and feedback an automatic change came from.
	Event string `json:"event,omitempty"`
	// Before is the removed entry (remove) as JSON; After the added one (add).
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
}
