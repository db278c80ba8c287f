package notify

import (
	"errors"
	"net/mail"
	"strings"
	"testing"

	"github.com/quarry-dev/quarry/messages"
)

func TestNormaliseRecipient(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want, unicode, err string
	}{
		{in: "jane@example.org", want: "jane@example.org"},
		{in: "  Jane.Doe+tables@Example.ORG ", want: "jane.doe+tables@example.org"},
		{in: "jane@bücher.de", want: "jane@xn--bcher-kva.de", unicode: "jane@bücher.de"},
		{in: "José@example.org", err: "non-ASCII local part"},
		{in: "Jane <jane@example.org>", err: "not a bare email address"},
		{in: "jane@localhost", err: "no top-level domain"},
		{in: "not an address", err: "not a bare email address"},
		{in: "", err: "required"},
	} {
		r, err := normaliseRecipient(tc.in)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("normaliseRecipient(%q) = %+v, %v; want an error saying %q", tc.in, r, err, tc.err)
			}
		case err != nil || r.addr != tc.want || r.unicode != tc.unicode:
			t.Errorf("normaliseRecipient(%q) = %+v, %v; want %q (%q)", tc.in, r, err, tc.want, tc.unicode)
		}
	}
}

func TestNormaliseRecipientsDropsDuplicates(t *testing.T) {
	t.Parallel()
	got, err := normaliseRecipients([]string{"a@example.org", "B@example.org", " A@Example.org", "b@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].addr != "a@example.org" || got[1].addr != "b@example.org" {
		t.Errorf("got %+v, want a@ then b@ once each", got)
	}
	_, err = normaliseRecipients([]string{"a@example.org", "ü@example.org"})
	var ve *messages.ValidationError
	if !errors.As(err, &ve) || ve.Field != "job.payload.recipients[1]" || !strings.Contains(err.Error(), "ü@example.org") {
		t.Errorf("bad second recipient: %v, want a ValidationError on job.payload.recipients[1] naming it", err)
	}
}

// FuzzNormaliseRecipient checks that whatever normalisation accepts is an
// address SES takes: bare, ASCII, lower-case, within the length limit,
// and normalised already.
func FuzzNormaliseRecipient(f *testing.F) {
	for _, s := range []string{"jane@example.org", " Jane@Example.ORG ", "jane@bücher.de", "josé@example.org", "a@b", `"x y"@example.org`, "a@xn--bcher-kva.de", "a@ÉXAMPLE.org", "a@b.c."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := normaliseRecipient(s)
		if err != nil {
			return
		}
		a := r.addr
		if !isASCII(a) || a != strings.ToLower(a) || len(a) > maxAddressLen {
			t.Fatalf("normaliseRecipient(%q) = %q: not lower-case ASCII within %d bytes", s, a, maxAddressLen)
		}
		if p, err := mail.ParseAddress(a); err != nil || p.Address != a || p.Name != "" {
			t.Fatalf("normaliseRecipient(%q) = %q, which is not a bare address: %v", s, a, err)
		}
		again, err := normaliseRecipient(a)
		if err != nil || again.addr != a {
			t.Fatalf("not idempotent: %q → %q → %q, %v", s, a, again.addr, err)
		}
	})
}
