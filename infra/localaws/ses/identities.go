package ses

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// Identity types as SES names them.
const (
	identityEmail  = "EMAIL_ADDRESS"
	identityDomain = "DOMAIN"
)

// identity is a sending identity: an email address or a domain. Creating
// one verifies it at once; there is no DNS or inbox to wait for.
type identity struct {
	Name                 string    `json:"name"`
	Type                 string    `json:"type"`
	CreatedAt            time.Time `json:"createdAt"`
	ConfigurationSetName string    `json:"configurationSetName,omitempty"`
	Tags                 []tag     `json:"tags,omitempty"`
	// FeedbackForwarding is SES's email feedback forwarding switch, on by
	// default; it is stored and reported, nothing is forwarded.
	FeedbackForwarding bool     `json:"feedbackForwarding"`
	DkimTokens         []string `json:"dkimTokens,omitempty"`
}

// tag is a resource tag (Key/Value), as identities, templates and
// configuration sets carry them.
type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// identityType tells an email-address identity from a domain and checks its
// syntax.
func identityType(name string) (string, bool) {
	if strings.Contains(name, "@") {
		a, err := parseAddress(name)
		if err != nil || a.Name != "" || a.Addr != strings.TrimSpace(name) {
			return "", false
		}
		return identityEmail, true
	}
	return identityDomain, validDomain(name)
}

// validDomain checks a DNS name: dot-separated labels of letters, digits and
// hyphens, at most 253 characters.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	for _, l := range strings.Split(d, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func dkimTokens() []string {
	out := make([]string, 3)
	for i := range out {
		var b [16]byte
		_, _ = rand.Read(b[:])
		out[i] = hex.EncodeToString(b[:])
	}
	return out
}

// dkimAttributes is the DkimAttributes structure of identity answers.
type dkimAttributes struct {
	SigningEnabled             bool     `json:"SigningEnabled"`
	Status                     string   `json:"Status"`
	Tokens                     []string `json:"Tokens,omitempty"`
	SigningAttributesOrigin    string   `json:"SigningAttributesOrigin,omitempty"`
	CurrentSigningKeyLength    string   `json:"CurrentSigningKeyLength,omitempty"`
	NextSigningKeyLength       string   `json:"NextSigningKeyLength,omitempty"`
	LastKeyGenerationTimestamp *float64 `json:"LastKeyGenerationTimestamp,omitempty"`
}

func (id *identity) dkim() dkimAttributes {
	if id.Type != identityDomain {
		return dkimAttributes{Status: "NOT_STARTED"}
	}
	ts := epochSeconds(id.CreatedAt)
	return dkimAttributes{
		SigningEnabled: true, Status: "SUCCESS", Tokens: id.DkimTokens,
		SigningAttributesOrigin: "AWS_SES", CurrentSigningKeyLength: "RSA_2048_BIT", NextSigningKeyLength: "RSA_2048_BIT",
		LastKeyGenerationTimestamp: &ts,
	}
}

// epochSeconds is how SES v2 bodies carry timestamps: seconds since the
// epoch, with a fraction.
func epochSeconds(t time.Time) float64 {
	return float64(t.UnixMilli()) / 1000
}

func (s *Service) createEmailIdentity(rq *request) (any, *awsproto.Error) {
	var in struct {
		EmailIdentity        string `json:"EmailIdentity"`
		Tags                 []tag  `json:"Tags"`
		ConfigurationSetName string `json:"ConfigurationSetName"`
	}
	if e := rq.decode(&in); e != nil {
		return nil, e
	}
	name := strings.TrimSpace(in.EmailIdentity)
	if name == "" {
		return nil, errBadRequest("EmailIdentity is required.")
	}
	typ, ok := identityType(name)
	if !ok {
		return nil, errBadRequest("Invalid email identity %q: it must be an email address (local@domain) or a domain name.", in.EmailIdentity)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(name)
	if _, exists := s.identities[key]; exists {
		return nil, errAlreadyExists("Email identity %s already exists.", name)
	}
	if in.ConfigurationSetName != "" && s.configSets[in.ConfigurationSetName] == nil {
		return nil, errNotFound("Configuration set %s does not exist.", in.ConfigurationSetName)
	}
	id := &identity{
		Name: name, Type: typ, CreatedAt: s.now().UTC(), Tags: in.Tags,
		ConfigurationSetName: in.ConfigurationSetName, FeedbackForwarding: true,
	}
	if typ == identityDomain {
		id.DkimTokens = dkimTokens()
	}
	s.identities[key] = id
	s.dirty = true
	return map[string]any{
		"IdentityType":             typ,
		"VerifiedForSendingStatus": true,
		"DkimAttributes":           id.dkim(),
	}, nil
}

func (s *Service) getEmailIdentity(rq *request) (any, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.identities[strings.ToLower(rq.labels[0])]
	if id == nil {
		return nil, errNotFound("Email identity %s does not exist.", rq.labels[0])
	}
	out := map[string]any{
		"IdentityType":             id.Type,
		"FeedbackForwardingStatus": id.FeedbackForwarding,
		"VerifiedForSendingStatus": true,
		"VerificationStatus":       "SUCCESS",
		"DkimAttributes":           id.dkim(),
		"MailFromAttributes":       map[string]string{"BehaviorOnMxFailure": "USE_DEFAULT_VALUE"},
		"Policies":                 map[string]string{},
		"Tags":                     nonNilTags(id.Tags),
	}
	if id.ConfigurationSetName != "" {
		out["ConfigurationSetName"] = id.ConfigurationSetName
	}
	return out, nil
}

func nonNilTags(t []tag) []tag {
	if t == nil {
		return []tag{}
	}
	return t
}

func (s *Service) deleteEmailIdentity(rq *request) (any, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(rq.labels[0])
	if s.identities[key] == nil {
		return nil, errNotFound("Email identity %s does not exist.", rq.labels[0])
	}
	delete(s.identities, key)
	s.dirty = true
	return nil, nil
}

// identityInfo is one entry of ListEmailIdentities.
type identityInfo struct {
	IdentityType       string `json:"IdentityType"`
	IdentityName       string `json:"IdentityName"`
	SendingEnabled     bool   `json:"SendingEnabled"`
	VerificationStatus string `json:"VerificationStatus"`
}

func (s *Service) listEmailIdentities(rq *request) (any, *awsproto.Error) {
	p, e := rq.listParams()
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.identities))
	for k, id := range s.identities {
		if identityMatches(id, p.Filter) {
			keys = append(keys, k)
		}
	}
	page, next, e := paginate(keys, p.NextToken, p.PageSize)
	if e != nil {
		return nil, e
	}
	list := make([]identityInfo, 0, len(page))
	for _, k := range page {
		id := s.identities[k]
		list = append(list, identityInfo{IdentityType: id.Type, IdentityName: id.Name, SendingEnabled: true, VerificationStatus: "SUCCESS"})
	}
	out := map[string]any{"EmailIdentities": list}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// identityMatches applies ListEmailIdentities' Filter
// (IDENTITY_NAME_CONTAINS, IDENTITY_TYPE, VERIFICATION_STATUS).
func identityMatches(id *identity, f map[string]string) bool {
	for k, v := range f {
		switch k {
		case "IDENTITY_NAME_CONTAINS":
			if !strings.Contains(strings.ToLower(id.Name), strings.ToLower(v)) {
				return false
			}
		case "IDENTITY_TYPE":
			if !strings.EqualFold(v, id.Type) {
				return false
			}
		case "VERIFICATION_STATUS":
			if !strings.EqualFold(v, "SUCCESS") {
				return false
			}
		}
	}
	return true
}

func (s *Service) putEmailIdentityFeedbackAttributes(rq *request) (any, *awsproto.Error) {
	var in struct {
		EmailForwardingEnabled bool `json:"EmailForwardingEnabled"`
	}
	if e := rq.decode(&in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.identities[strings.ToLower(rq.labels[0])]
	if id == nil {
		return nil, errNotFound("Email identity %s does not exist.", rq.labels[0])
	}
	id.FeedbackForwarding = in.EmailForwardingEnabled
	s.dirty = true
	return nil, nil
}

// verifiedIdentityLocked returns the identity that authorises sending from
// addr: the address itself, else its domain or a parent domain (verifying a
// domain covers its subdomains). Callers hold s.mu.
func (s *Service) verifiedIdentityLocked(addr string) (*identity, bool) {
	if id := s.identities[strings.ToLower(addr)]; id != nil {
		return id, true
	}
	d := domainOf(addr)
	for d != "" {
		if id := s.identities[d]; id != nil && id.Type == identityDomain {
			return id, true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			break
		}
		d = d[i+1:]
	}
	return nil, false
}
