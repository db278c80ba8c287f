package ses

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// Suppression reasons.
const (
	reasonBounce    = "BOUNCE"
	reasonComplaint = "COMPLAINT"
)

// suppressedDestination is one entry of the account-level suppression list.
type suppressedDestination struct {
	EmailAddress   string    `json:"emailAddress"`
	Reason         string    `json:"reason"`
	LastUpdateTime time.Time `json:"lastUpdateTime"`
	// MessageID and FeedbackID name the send and the bounce or complaint
	// that put the address on the list (empty when added by API).
	MessageID  string `json:"messageId,omitempty"`
	FeedbackID string `json:"feedbackId,omitempty"`
}

// checkReasons validates a list of suppression reasons and drops repeats.
func checkReasons(in []string, field string) ([]string, *awsproto.Error) {
	out := []string{}
	for _, r := range in {
		if r != reasonBounce && r != reasonComplaint {
			return nil, errBadRequest("Invalid value %q in %s: must be BOUNCE or COMPLAINT.", r, field)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// suppressedLocked reports whether addr is on the account list for one of
// reasons, the suppression reasons in force for the send. Callers hold s.mu.
func (s *Service) suppressedLocked(addr string, reasons []string) (*suppressedDestination, bool) {
	d := s.suppressed[strings.ToLower(addr)]
	if d == nil || !slices.Contains(reasons, d.Reason) {
		return nil, false
	}
	return d, true
}

// suppressLocked upserts addr with reason, as a hard bounce or complaint
// does when its reason is enabled. Callers hold s.mu.
func (s *Service) suppressLocked(addr, reason, messageID, feedbackID string) {
	s.suppressed[strings.ToLower(addr)] = &suppressedDestination{
		EmailAddress: addr, Reason: reason, LastUpdateTime: s.now().UTC(),
		MessageID: messageID, FeedbackID: feedbackID,
	}
	s.dirty = true
}

func (s *Service) putSuppressedDestination(rq *request) (any, *awsproto.Error) {
	var in struct {
		EmailAddress string `json:"EmailAddress"`
		Reason       string `json:"Reason"`
	}
	if e := rq.decode(&in); e != nil {
		return nil, e
	}
	a, err := parseAddress(in.EmailAddress)
	if err != nil || a.Name != "" {
		return nil, errBadRequest("Invalid EmailAddress %q: must be a bare email address (local@domain).", in.EmailAddress)
	}
	if in.Reason != reasonBounce && in.Reason != reasonComplaint {
		return nil, errBadRequest("Invalid Reason %q: must be BOUNCE or COMPLAINT.", in.Reason)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.suppressLocked(a.Addr, in.Reason, "", "")
	return nil, nil
}

func (s *Service) getSuppressedDestination(rq *request) (any, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.suppressed[strings.ToLower(rq.labels[0])]
	if d == nil {
		return nil, errNotFound("Email address %s does not exist on your suppression list.", rq.labels[0])
	}
	out := map[string]any{
		"EmailAddress":   d.EmailAddress,
		"Reason":         d.Reason,
		"LastUpdateTime": epochSeconds(d.LastUpdateTime),
	}
	if d.MessageID != "" || d.FeedbackID != "" {
		out["Attributes"] = map[string]string{"MessageId": d.MessageID, "FeedbackId": d.FeedbackID}
	}
	return map[string]any{"SuppressedDestination": out}, nil
}

func (s *Service) deleteSuppressedDestination(rq *request) (any, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(rq.labels[0])
	if s.suppressed[key] == nil {
		return nil, errNotFound("Email address %s does not exist on your suppression list.", rq.labels[0])
	}
	delete(s.suppressed, key)
	s.dirty = true
	return nil, nil
}

// suppressedSummary is one entry of ListSuppressedDestinations.
type suppressedSummary struct {
	EmailAddress   string  `json:"EmailAddress"`
	Reason         string  `json:"Reason"`
	LastUpdateTime float64 `json:"LastUpdateTime"`
}

func (s *Service) listSuppressedDestinations(rq *request) (any, *awsproto.Error) {
	reasons, e := checkReasons(rq.query["Reason"], "Reason")
	if e != nil {
		return nil, e
	}
	start, e := queryTime(rq, "StartDate")
	if e != nil {
		return nil, e
	}
	end, e := queryTime(rq, "EndDate")
	if e != nil {
		return nil, e
	}
	size, e := rq.queryPageSize()
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.suppressed))
	for k, d := range s.suppressed {
		switch {
		case len(reasons) > 0 && !slices.Contains(reasons, d.Reason):
		case !start.IsZero() && d.LastUpdateTime.Before(start):
		case !end.IsZero() && d.LastUpdateTime.After(end):
		default:
			keys = append(keys, k)
		}
	}
	page, next, e := paginate(keys, rq.query.Get("NextToken"), size)
	if e != nil {
		return nil, e
	}
	list := make([]suppressedSummary, 0, len(page))
	for _, k := range page {
		d := s.suppressed[k]
		list = append(list, suppressedSummary{EmailAddress: d.EmailAddress, Reason: d.Reason, LastUpdateTime: epochSeconds(d.LastUpdateTime)})
	}
	out := map[string]any{"SuppressedDestinationSummaries": list}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// queryTime reads an ISO-8601 timestamp (or epoch seconds) from the query
// string; zero when absent.
func queryTime(rq *request, name string) (time.Time, *awsproto.Error) {
	v := rq.query.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return time.UnixMilli(int64(f * 1000)), nil
	}
	return time.Time{}, errBadRequest("%s %q is not an ISO-8601 timestamp.", name, v)
}
