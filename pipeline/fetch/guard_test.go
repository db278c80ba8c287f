package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"
)

func TestForbiddenAddr(t *testing.T) {
	tests := []struct {
		ip  string
		bad bool
	}{
		{"127.0.0.1", true}, {"::1", true}, {"10.1.2.3", true}, {"172.16.0.1", true},
		{"192.168.1.1", true}, {"169.254.169.254", true}, {"fe80::1", true}, {"fc00::1", true},
		{"0.0.0.0", true}, {"::", true}, {"100.64.0.1", true}, {"224.0.0.1", true},
		{"::ffff:127.0.0.1", true}, {"64:ff9b::a00:1", true}, {"2002:c0a8:0101::1", true},
		{"255.255.255.255", true}, {"198.18.0.1", true},
		{"93.184.216.34", false}, {"8.8.8.8", false}, {"2606:4700::1111", false}, {"64:ff9b::808:808", false},
	}
	for _, tt := range tests {
		reason, bad := forbiddenAddr(netip.MustParseAddr(tt.ip))
		if bad != tt.bad {
			t.Errorf("forbiddenAddr(%s): got %v (%s), want %v", tt.ip, bad, reason, tt.bad)
		}
	}
}

// TestDialGuardChecksResolvedAddress dials a host name that resolves to
// loopback: the guard must refuse it where the connection is made, which is
// what defeats DNS rebinding.
func TestDialGuardChecksResolvedAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()

	d := &net.Dialer{Control: dialControl(false)}
	_, err = d.DialContext(ctx, "tcp", net.JoinHostPort("localhost", port))
	var addrErr *AddressError
	if !errors.As(err, &addrErr) || !addrErr.Addr.IsLoopback() {
		t.Fatalf("dial localhost: got %v, want an AddressError for loopback", err)
	}

	d = &net.Dialer{Control: dialControl(true)}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		t.Fatalf("dial with private networks allowed: %v", err)
	}
	conn.Close()
}

func TestHostGuard(t *testing.T) {
	next := roundTripFunc(func(*http.Request) (*http.Response, error) { return &http.Response{StatusCode: 200}, nil })
	g := hostGuard{allowed: []string{"records.example.gov"}, next: next}
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://records.example.gov/a", true},
		{"https://evil.example.gov/a", false},
		{"ftp://records.example.gov/a", false},
	} {
		req, _ := http.NewRequest(http.MethodGet, tc.url, nil)
		resp, err := g.RoundTrip(req)
		var off *OffsiteError
		if tc.ok != (err == nil) || (!tc.ok && !errors.As(err, &off)) {
			t.Errorf("%s: got %v", tc.url, err)
		}
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{"0", 0, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"-5", 0, false}, {"soon", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.v != "" {
			h.Set("Retry-After", tt.v)
		}
		got, ok := retryAfter(h, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q): got %s, %v; want %s, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}
