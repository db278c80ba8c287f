package notify

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/idna"

	"github.com/quarry-dev/quarry/messages"
)

// maxAddressLen is the longest address SES and SMTP take (RFC 5321's
// path limit less the brackets).
const maxAddressLen = 254

// recipient is one address to mail, in the form SES is given.
type recipient struct {
	// addr is the normalised address: trimmed, lower-case, ASCII (an
	// internationalised domain in Punycode). Effects and suppressions key
	// on it.
	addr string
	// unicode is the address as messages.NormalizeAddress gives it, when
	// it differs from addr (the domain was converted to Punycode), so the
	// suppression list is consulted under both forms.
	unicode string
}

// normaliseRecipients normalises and checks the payload's recipients and
// drops the duplicates that normalisation reveals, keeping the first. An
// invalid address is a *messages.ValidationError naming
// job.payload.recipients[i].
func normaliseRecipients(list []string) ([]recipient, error) {
	out := make([]recipient, 0, len(list))
	seen := make(map[string]bool, len(list))
	for i, s := range list {
		r, err := normaliseRecipient(s)
		if err != nil {
			return nil, &messages.ValidationError{Field: fmt.Sprintf("job.payload.recipients[%d]", i), Reason: err.Error()}
		}
		if seen[r.addr] {
			continue
		}
		seen[r.addr] = true
		out = append(out, r)
	}
	return out, nil
}

// normaliseRecipient returns the address SES is given for s: a bare
// address (no display name) with a top-level domain, trimmed and
// lower-cased, whose local part is 7-bit ASCII (SES does not do SMTPUTF8)
// and whose domain is ASCII (an internationalised one is converted to
// Punycode).
func normaliseRecipient(s string) (recipient, error) {
	u, err := messages.NormalizeAddress(s)
	if err != nil {
		var ve *messages.ValidationError
		if errors.As(err, &ve) {
			return recipient{}, errors.New(ve.Reason)
		}
		return recipient{}, err
	}
	at := strings.LastIndexByte(u, '@')
	local, domain := u[:at], u[at+1:]
	if !isASCII(local) {
		return recipient{}, fmt.Errorf("%q has a non-ASCII local part, which SES cannot send to (no SMTPUTF8)", u)
	}
	r := recipient{addr: u}
	if !isASCII(domain) {
		d, err := idna.Lookup.ToASCII(domain)
		if err != nil {
			return recipient{}, fmt.Errorf("%q has a domain that is not a valid internationalised name: %w", u, err)
		}
		r = recipient{addr: local + "@" + strings.ToLower(d), unicode: u}
	}
	if len(r.addr) > maxAddressLen {
		return recipient{}, fmt.Errorf("%q is %d bytes in ASCII form, over the %d-byte limit of an address", u, len(r.addr), maxAddressLen)
	}
	return r, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
