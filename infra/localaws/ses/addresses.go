package ses

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// address is one parsed mailbox: Name is the decoded display name, Addr the
// bare addr-spec (local@domain).
type address struct {
	Name string
	Addr string
}

// parseAddress reads one mailbox as SES accepts it in FromEmailAddress,
// Destination and ReplyToAddresses: "local@domain" or "Name <local@domain>",
// with RFC 2047 encoded names. The address itself must be 7-bit ASCII (SES
// has no SMTPUTF8; internationalised domains go in Punycode).
func parseAddress(s string) (address, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return address{}, errors.New("empty address")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return address{}, err
	}
	return checkAddress(a)
}

// parseAddressList reads a header value holding a comma-separated list.
func parseAddressList(s string) ([]address, error) {
	list, err := mail.ParseAddressList(s)
	if err != nil {
		return nil, err
	}
	out := make([]address, 0, len(list))
	for _, a := range list {
		ad, err := checkAddress(a)
		if err != nil {
			return nil, err
		}
		out = append(out, ad)
	}
	return out, nil
}

func checkAddress(a *mail.Address) (address, error) {
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 || at == len(a.Address)-1 {
		return address{}, fmt.Errorf("%q has no local@domain form", a.Address)
	}
	for i := 0; i < len(a.Address); i++ {
		if c := a.Address[i]; c < 0x21 || c > 0x7e {
			return address{}, fmt.Errorf("%q contains non-ASCII or control characters (use Punycode for the domain)", a.Address)
		}
	}
	return address{Name: a.Name, Addr: a.Address}, nil
}

// domain returns the domain part, lower-cased.
func (a address) domain() string {
	return strings.ToLower(a.Addr[strings.LastIndexByte(a.Addr, '@')+1:])
}

// key is the address as the service compares it (lower-case).
func (a address) key() string { return strings.ToLower(a.Addr) }

// header formats the mailbox for a message header, RFC 2047 encoding a
// non-ASCII display name.
func (a address) header() string {
	if a.Name == "" {
		return a.Addr
	}
	return (&mail.Address{Name: a.Name, Address: a.Addr}).String()
}

// display formats the mailbox for humans and for event records' common
// headers: the decoded name (quoted when it holds specials), not RFC 2047.
func (a address) display() string {
	if a.Name == "" {
		return a.Addr
	}
	name := a.Name
	if strings.ContainsAny(name, "()<>[]:;@\\,.\"") {
		name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
	}
	return name + " <" + a.Addr + ">"
}

func joinHeaders(list []address) string {
	parts := make([]string, len(list))
	for i, a := range list {
		parts[i] = a.header()
	}
	return strings.Join(parts, ", ")
}

func bareAddresses(list []address) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.Addr
	}
	return out
}

// domainOf returns the lower-case domain of a bare address, or "".
func domainOf(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(addr[at+1:])
}
