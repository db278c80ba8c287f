package ses

import (
	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// accountSettings are the account-level switches of SES.
type accountSettings struct {
	SendingEnabled bool `json:"sendingEnabled"`
	// ProductionAccessEnabled false puts the account in the sandbox:
	// recipients must then be verified identities or simulator addresses.
	// There is no API to leave or enter the sandbox; it defaults to true
	// and can be changed in the saved state.
	ProductionAccessEnabled bool     `json:"productionAccessEnabled"`
	SuppressedReasons       []string `json:"suppressedReasons"`
}

// defaultAccountSettings are those of an account created today: sending
// enabled, out of the sandbox, suppression on bounces and complaints.
func defaultAccountSettings() accountSettings {
	return accountSettings{SendingEnabled: true, ProductionAccessEnabled: true, SuppressedReasons: []string{reasonBounce, reasonComplaint}}
}

func (s *Service) getAccount(rq *request) (any, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sent := s.sentLast24HoursLocked()
	return map[string]any{
		"DedicatedIpAutoWarmupEnabled": false,
		"EnforcementStatus":            "HEALTHY",
		"ProductionAccessEnabled":      s.account.ProductionAccessEnabled,
		"SendingEnabled":               s.account.SendingEnabled,
		"SendQuota": map[string]float64{
			"Max24HourSend":   s.cfg.Max24HourSend,
			"MaxSendRate":     s.cfg.MaxSendRate,
			"SentLast24Hours": float64(sent),
		},
		"SuppressionAttributes": map[string]any{"SuppressedReasons": nonNilStrings(s.account.SuppressedReasons)},
	}, nil
}

func nonNilStrings(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// putAccountSendingAttributes switches sending for the whole account. The
// SDKs leave a false boolean out of the body, so an absent SendingEnabled
// means false, as on AWS.
func (s *Service) putAccountSendingAttributes(rq *request) (any, *awsproto.Error) {
	var in struct {
		SendingEnabled bool `json:"SendingEnabled"`
	}
	if e := rq.decode(&in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.account.SendingEnabled = in.SendingEnabled
	s.dirty = true
	return nil, nil
}

func (s *Service) putAccountSuppressionAttributes(rq *request) (any, *awsproto.Error) {
	var in struct {
		SuppressedReasons []string `json:"SuppressedReasons"`
	}
	if e := rq.decode(&in); e != nil {
		return nil, e
	}
	reasons, e := checkReasons(in.SuppressedReasons, "SuppressedReasons")
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.account.SuppressedReasons = reasons
	s.dirty = true
	return nil, nil
}
