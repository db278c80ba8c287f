package ses_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/quarry-dev/quarry/infra/localaws"
)

func TestEmailIdentities(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	c := ctx(t)

	out, err := e.ses.CreateEmailIdentity(c, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("example.com")})
	if err != nil {
		t.Fatalf("CreateEmailIdentity(domain): %v", err)
	}
	if out.IdentityType != types.IdentityTypeDomain || !out.VerifiedForSendingStatus {
		t.Errorf("domain identity: type %s verified %v, want DOMAIN true", out.IdentityType, out.VerifiedForSendingStatus)
	}
	if out.DkimAttributes == nil || len(out.DkimAttributes.Tokens) != 3 || out.DkimAttributes.Status != types.DkimStatusSuccess {
		t.Errorf("domain DKIM attributes = %+v, want 3 tokens and SUCCESS", out.DkimAttributes)
	}
	out, err = e.ses.CreateEmailIdentity(c, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("jane+ops@example.org")})
	if err != nil {
		t.Fatalf("CreateEmailIdentity(address): %v", err)
	}
	if out.IdentityType != types.IdentityTypeEmailAddress {
		t.Errorf("address identity type = %s", out.IdentityType)
	}

	_, err = e.ses.CreateEmailIdentity(c, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("EXAMPLE.com")})
	wantErr[*types.AlreadyExistsException](t, err, "already exists")
	for _, bad := range []string{"not an identity", "a@", "@b.com", "-bad-.com", "x..y"} {
		_, err = e.ses.CreateEmailIdentity(c, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(bad)})
		wantErr[*types.BadRequestException](t, err, "Invalid email identity")
	}
	_, err = e.ses.CreateEmailIdentity(c, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("x.org"), ConfigurationSetName: aws.String("nope")})
	wantErr[*types.NotFoundException](t, err, "nope")

	// Path labels arrive percent-encoded ("+" and "@").
	got, err := e.ses.GetEmailIdentity(c, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String("jane+ops@example.org")})
	if err != nil {
		t.Fatalf("GetEmailIdentity: %v", err)
	}
	if got.IdentityType != types.IdentityTypeEmailAddress || !got.VerifiedForSendingStatus || got.VerificationStatus != types.VerificationStatusSuccess || !got.FeedbackForwardingStatus {
		t.Errorf("GetEmailIdentity = %+v", got)
	}
	_, err = e.ses.GetEmailIdentity(c, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String("nobody@example.net")})
	wantErr[*types.NotFoundException](t, err, "nobody@example.net")

	if _, err := e.ses.PutEmailIdentityFeedbackAttributes(c, &sesv2.PutEmailIdentityFeedbackAttributesInput{EmailIdentity: aws.String("example.com")}); err != nil {
		t.Fatalf("PutEmailIdentityFeedbackAttributes: %v", err)
	}
	got, _ = e.ses.GetEmailIdentity(c, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String("example.com")})
	if got.FeedbackForwardingStatus {
		t.Error("feedback forwarding still on after turning it off")
	}

	e.verify(t, "b.example.net")
	e.verify(t, "c.example.net")
	// Paged listing through the SDK's paginator (POST list-identities).
	var names []string
	p := sesv2.NewListEmailIdentitiesPaginator(e.ses, &sesv2.ListEmailIdentitiesInput{PageSize: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(c)
		if err != nil {
			t.Fatalf("ListEmailIdentities: %v", err)
		}
		pages++
		for _, id := range page.EmailIdentities {
			names = append(names, aws.ToString(id.IdentityName))
			if !id.SendingEnabled || id.VerificationStatus != types.VerificationStatusSuccess {
				t.Errorf("identity %s: %+v", aws.ToString(id.IdentityName), id)
			}
		}
	}
	want := []string{"b.example.net", "c.example.net", "example.com", "jane+ops@example.org"}
	if !slices.Equal(names, want) || pages != 2 {
		t.Errorf("listed %v in %d pages, want %v in 2", names, pages, want)
	}
	filtered, err := e.ses.ListEmailIdentities(c, &sesv2.ListEmailIdentitiesInput{Filter: map[string]string{"IDENTITY_TYPE": "EMAIL_ADDRESS"}})
	if err != nil || len(filtered.EmailIdentities) != 1 {
		t.Errorf("filtered list = %+v, %v; want the one address", filtered, err)
	}
	_, err = e.ses.ListEmailIdentities(c, &sesv2.ListEmailIdentitiesInput{NextToken: aws.String("garbage")})
	wantErr[*types.InvalidNextTokenException](t, err, "")

	// Older SDKs and the CLI list with GET /v2/email/identities.
	status, _, body := e.rawREST(t, http.MethodGet, "/v2/email/identities?PageSize=1", "")
	var list struct {
		EmailIdentities []struct{ IdentityName string }
		NextToken       string
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil || len(list.EmailIdentities) != 1 || list.NextToken == "" {
		t.Errorf("GET /v2/email/identities = %d %s", status, body)
	}

	if _, err := e.ses.DeleteEmailIdentity(c, &sesv2.DeleteEmailIdentityInput{EmailIdentity: aws.String("example.com")}); err != nil {
		t.Fatalf("DeleteEmailIdentity: %v", err)
	}
	_, err = e.ses.DeleteEmailIdentity(c, &sesv2.DeleteEmailIdentityInput{EmailIdentity: aws.String("example.com")})
	wantErr[*types.NotFoundException](t, err, "")
}

func TestAccount(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{SESMaxSendRate: 7, SESMax24HourSend: 1234})
	c := ctx(t)
	acct, err := e.ses.GetAccount(c, &sesv2.GetAccountInput{})
	if err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	q := acct.SendQuota
	if q.MaxSendRate != 7 || q.Max24HourSend != 1234 || q.SentLast24Hours != 0 {
		t.Errorf("SendQuota = %+v, want 7/s, 1234/day, 0 sent", q)
	}
	if !acct.SendingEnabled || !acct.ProductionAccessEnabled || aws.ToString(acct.EnforcementStatus) != "HEALTHY" {
		t.Errorf("account = %+v", acct)
	}
	if r := acct.SuppressionAttributes.SuppressedReasons; !slices.Equal(r, []types.SuppressionListReason{"BOUNCE", "COMPLAINT"}) {
		t.Errorf("SuppressedReasons = %v, want BOUNCE, COMPLAINT", r)
	}

	e.verify(t, "example.com")
	e.send(t, simple("reports@example.com", []string{"a@example.org", "b@example.org"}, "s", "t"))
	e.send(t, simple("reports@example.com", []string{"success@simulator.amazonses.com"}, "s", "t"))
	acct, _ = e.ses.GetAccount(c, &sesv2.GetAccountInput{})
	if acct.SendQuota.SentLast24Hours != 2 {
		t.Errorf("SentLast24Hours = %v, want 2 (recipients; simulator addresses do not count)", acct.SendQuota.SentLast24Hours)
	}

	// A paused account refuses to send.
	if _, err := e.ses.PutAccountSendingAttributes(c, &sesv2.PutAccountSendingAttributesInput{SendingEnabled: false}); err != nil {
		t.Fatalf("PutAccountSendingAttributes: %v", err)
	}
	acct, _ = e.ses.GetAccount(c, &sesv2.GetAccountInput{})
	if acct.SendingEnabled {
		t.Error("SendingEnabled still true after pausing")
	}
	_, err = e.ses.SendEmail(c, simple("reports@example.com", []string{"a@example.org"}, "s", "t"))
	wantErr[*types.SendingPausedException](t, err, "paused")
	if _, err := e.ses.PutAccountSendingAttributes(c, &sesv2.PutAccountSendingAttributesInput{SendingEnabled: true}); err != nil {
		t.Fatal(err)
	}
	e.send(t, simple("reports@example.com", []string{"a@example.org"}, "s", "t"))

	if _, err := e.ses.PutAccountSuppressionAttributes(c, &sesv2.PutAccountSuppressionAttributesInput{SuppressedReasons: []types.SuppressionListReason{"COMPLAINT"}}); err != nil {
		t.Fatalf("PutAccountSuppressionAttributes: %v", err)
	}
	acct, _ = e.ses.GetAccount(c, &sesv2.GetAccountInput{})
	if r := acct.SuppressionAttributes.SuppressedReasons; !slices.Equal(r, []types.SuppressionListReason{"COMPLAINT"}) {
		t.Errorf("SuppressedReasons = %v, want COMPLAINT", r)
	}
	_, err = e.ses.PutAccountSuppressionAttributes(c, &sesv2.PutAccountSuppressionAttributesInput{SuppressedReasons: []types.SuppressionListReason{"SPAM"}})
	wantErr[*types.BadRequestException](t, err, "SPAM")
}
