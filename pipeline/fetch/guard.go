package fetch

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"

	"github.com/quarry-dev/quarry/pipeline/fetch/recipe"
)

// AddressError is returned when a connection would reach an address the
// fetcher refuses: loopback, private, link-local and other non-public ranges,
// unless private networks are allowed.
type AddressError struct {
	Addr   netip.Addr
	Reason string
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("refused to connect to %s (%s): to allow it, set site.allow_private_networks: true in the recipe, "+
		"or allow private networks for every recipe (QUARRY_FETCH_ALLOW_PRIVATE=true for quarry worker, --dev for quarry fetch)", e.Addr, e.Reason)
}

// OffsiteError is returned when a request, a redirect included, targets a
// host the recipe does not declare in site.allowed_hosts.
type OffsiteError struct {
	Host string
}

func (e *OffsiteError) Error() string {
	return fmt.Sprintf("host %q is not in site.allowed_hosts", e.Host)
}

// dialControl returns a net.Dialer Control function that refuses forbidden
// addresses. It runs on the resolved IP of every connection, so a host name
// that resolves (or re-resolves, as in DNS rebinding) to a private address is
// caught where the connection is made, not where the URL is checked.
func dialControl(allowPrivate bool) func(network, address string, c syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return fmt.Errorf("dial guard: %w", err)
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return fmt.Errorf("dial guard: %w", err)
		}
		if reason, bad := forbiddenAddr(ip); bad && !allowPrivate {
			return &AddressError{Addr: ip, Reason: reason}
		}
		return nil
	}
}

// forbiddenAddr reports whether ip is outside the public unicast space and
// why.
func forbiddenAddr(ip netip.Addr) (string, bool) {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		return "loopback", true
	case ip.IsPrivate():
		return "private network", true
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local", true
	case ip.IsUnspecified():
		return "unspecified", true
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return "multicast", true
	}
	for _, r := range reservedPrefixes() {
		if r.prefix.Contains(ip) {
			return r.reason, true
		}
	}
	// IPv6 forms that embed an IPv4 address (NAT64, 6to4) are judged by
	// the embedded address.
	if ip.Is6() {
		b := ip.As16()
		if netip.MustParsePrefix("64:ff9b::/96").Contains(ip) {
			return forbiddenAddr(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		}
		if netip.MustParsePrefix("2002::/16").Contains(ip) {
			return forbiddenAddr(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		}
	}
	return "", false
}

type reservedPrefix struct {
	prefix netip.Prefix
	reason string
}

// reservedPrefixes are non-public IPv4 ranges the netip predicates miss.
func reservedPrefixes() []reservedPrefix {
	return []reservedPrefix{
		{netip.MustParsePrefix("0.0.0.0/8"), "this network"},
		{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT"},
		{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
		{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
		{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	}
}

// hostGuard is an http.RoundTripper that refuses requests, redirect hops
// included, to hosts not in allowed and to schemes other than http(s).
type hostGuard struct {
	allowed []string
	next    http.RoundTripper
}

func (g hostGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		closeBody(req)
		return nil, &OffsiteError{Host: req.URL.Scheme + "://" + req.URL.Host}
	}
	if !recipe.HostAllowed(g.allowed, req.URL.Host) {
		closeBody(req)
		return nil, &OffsiteError{Host: req.URL.Host}
	}
	return g.next.RoundTrip(req)
}

// closeBody closes a request body a RoundTripper will not send, as the
// RoundTripper contract asks.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}
