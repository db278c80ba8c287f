package ses

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// TestSandbox covers an account without production access, which only the
// saved state can set: recipients must be verified or simulator addresses.
func TestSandbox(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{}, nil)
	c := testCtx(t)
	h.svc.mu.Lock()
	h.svc.account.ProductionAccessEnabled = false
	h.svc.mu.Unlock()
	for _, id := range []string{"example.com", "friend@example.org"} {
		if _, err := h.ses.CreateEmailIdentity(c, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
	send := func(to ...string) error {
		_, err := h.ses.SendEmail(c, &sesv2.SendEmailInput{
			FromEmailAddress: aws.String("a@example.com"), Destination: &types.Destination{ToAddresses: to},
			Content: &types.EmailContent{Simple: &types.Message{Subject: &types.Content{Data: aws.String("s")}, Body: &types.Body{}}},
		})
		return err
	}
	if err := send("friend@example.org", "success@simulator.amazonses.com", "x@example.com"); err != nil {
		t.Errorf("verified and simulator recipients refused: %v", err)
	}
	err := send("friend@example.org", "stranger@example.net", "other@example.org")
	var rejected *types.MessageRejected
	if !errors.As(err, &rejected) || !strings.Contains(err.Error(), "failed the check in region US-EAST-1: stranger@example.net, other@example.org") {
		t.Errorf("unverified recipients: %v", err)
	}
	acct, _ := h.ses.GetAccount(c, &sesv2.GetAccountInput{})
	if acct.ProductionAccessEnabled {
		t.Error("GetAccount reports production access")
	}
}

func TestAddressDisplay(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"jane@example.org":                 "jane@example.org",
		"Jane Doe <jane@example.org>":      "Jane Doe <jane@example.org>",
		`"Doe, Jane" <jane@example.org>`:   `"Doe, Jane" <jane@example.org>`,
		"=?UTF-8?Q?R=C3=A9sultats?= <r@x>": "Résultats <r@x>",
	} {
		a, err := parseAddress(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := a.display(); got != want {
			t.Errorf("display(%s) = %q, want %q", in, got, want)
		}
		if again, err := parseAddress(a.display()); err != nil || again != a {
			t.Errorf("display(%s) does not parse back: %v %+v", in, err, again)
		}
	}
}
