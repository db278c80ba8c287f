package ses_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/quarry-dev/quarry/infra/localaws"
)

func TestSuppressionListAPI(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	c := ctx(t)
	before := time.Now().Add(-time.Second)
	for i := range 5 {
		reason := types.SuppressionListReasonBounce
		if i%2 == 1 {
			reason = types.SuppressionListReasonComplaint
		}
		if _, err := e.ses.PutSuppressedDestination(c, &sesv2.PutSuppressedDestinationInput{
			EmailAddress: aws.String(fmt.Sprintf("user%d+tag@example.org", i)), Reason: reason,
		}); err != nil {
			t.Fatalf("PutSuppressedDestination: %v", err)
		}
	}
	_, err := e.ses.PutSuppressedDestination(c, &sesv2.PutSuppressedDestinationInput{EmailAddress: aws.String("bad"), Reason: "BOUNCE"})
	wantErr[*types.BadRequestException](t, err, "EmailAddress")
	_, err = e.ses.PutSuppressedDestination(c, &sesv2.PutSuppressedDestinationInput{EmailAddress: aws.String("x@example.org"), Reason: "SPAM"})
	wantErr[*types.BadRequestException](t, err, "Reason")

	got, err := e.ses.GetSuppressedDestination(c, &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String("user1+tag@example.org")})
	if err != nil {
		t.Fatalf("GetSuppressedDestination: %v", err)
	}
	d := got.SuppressedDestination
	if aws.ToString(d.EmailAddress) != "user1+tag@example.org" || d.Reason != types.SuppressionListReasonComplaint || d.LastUpdateTime == nil || d.LastUpdateTime.Before(before) {
		t.Errorf("GetSuppressedDestination = %+v", d)
	}
	_, err = e.ses.GetSuppressedDestination(c, &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String("nobody@example.org")})
	wantErr[*types.NotFoundException](t, err, "nobody@example.org")

	// Upsert: a second Put replaces the reason.
	if _, err := e.ses.PutSuppressedDestination(c, &sesv2.PutSuppressedDestinationInput{EmailAddress: aws.String("user1+tag@example.org"), Reason: "BOUNCE"}); err != nil {
		t.Fatal(err)
	}

	list := func(in *sesv2.ListSuppressedDestinationsInput) []string {
		t.Helper()
		var out []string
		p := sesv2.NewListSuppressedDestinationsPaginator(e.ses, in)
		for p.HasMorePages() {
			page, err := p.NextPage(c)
			if err != nil {
				t.Fatalf("ListSuppressedDestinations: %v", err)
			}
			for _, s := range page.SuppressedDestinationSummaries {
				out = append(out, aws.ToString(s.EmailAddress)+":"+string(s.Reason))
			}
		}
		return out
	}
	all := list(&sesv2.ListSuppressedDestinationsInput{PageSize: aws.Int32(2)})
	want := []string{"user0+tag@example.org:BOUNCE", "user1+tag@example.org:BOUNCE", "user2+tag@example.org:BOUNCE", "user3+tag@example.org:COMPLAINT", "user4+tag@example.org:BOUNCE"}
	if !slices.Equal(all, want) {
		t.Errorf("all = %v, want %v", all, want)
	}
	complaints := list(&sesv2.ListSuppressedDestinationsInput{Reasons: []types.SuppressionListReason{"COMPLAINT"}})
	if !slices.Equal(complaints, []string{"user3+tag@example.org:COMPLAINT"}) {
		t.Errorf("complaints = %v", complaints)
	}
	if l := list(&sesv2.ListSuppressedDestinationsInput{StartDate: aws.Time(time.Now().Add(time.Hour))}); len(l) != 0 {
		t.Errorf("StartDate in the future listed %v", l)
	}
	if l := list(&sesv2.ListSuppressedDestinationsInput{StartDate: aws.Time(before), EndDate: aws.Time(time.Now().Add(time.Minute))}); len(l) != 5 {
		t.Errorf("date range listed %v", l)
	}
	_, err = e.ses.ListSuppressedDestinations(c, &sesv2.ListSuppressedDestinationsInput{NextToken: aws.String("bogus")})
	wantErr[*types.InvalidNextTokenException](t, err, "")

	if _, err := e.ses.DeleteSuppressedDestination(c, &sesv2.DeleteSuppressedDestinationInput{EmailAddress: aws.String("user0+tag@example.org")}); err != nil {
		t.Fatalf("DeleteSuppressedDestination: %v", err)
	}
	_, err = e.ses.DeleteSuppressedDestination(c, &sesv2.DeleteSuppressedDestinationInput{EmailAddress: aws.String("user0+tag@example.org")})
	wantErr[*types.NotFoundException](t, err, "")
}

func TestSendToSuppressedAddress(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	e.verify(t, "example.com")
	c := ctx(t)
	if _, err := e.ses.PutSuppressedDestination(c, &sesv2.PutSuppressedDestinationInput{EmailAddress: aws.String("gone@example.org"), Reason: "BOUNCE"}); err != nil {
		t.Fatal(err)
	}
	// SendEmail still succeeds, but the address gets nothing.
	id := e.send(t, simple("reports@example.com", []string{"gone@example.org", "here@example.org"}, "s", "b"))
	rec := e.mailRecord(t, id)
	if rec.outcome("gone@example.org") != "suppressed" || rec.outcome("here@example.org") != "delivered" {
		t.Errorf("outcomes = %+v", rec.Recipients)
	}
	// Addresses differing only in case are the same address.
	id = e.send(t, simple("reports@example.com", []string{"GONE@example.org"}, "s", "b"))
	if rec := e.mailRecord(t, id); rec.outcome("GONE@example.org") != "suppressed" {
		t.Errorf("case-changed address: %+v", rec.Recipients)
	}

	// With BOUNCE no longer a suppression reason, the entry does not apply.
	if _, err := e.ses.PutAccountSuppressionAttributes(c, &sesv2.PutAccountSuppressionAttributesInput{SuppressedReasons: []types.SuppressionListReason{"COMPLAINT"}}); err != nil {
		t.Fatal(err)
	}
	id = e.send(t, simple("reports@example.com", []string{"gone@example.org"}, "s", "b"))
	if rec := e.mailRecord(t, id); rec.outcome("gone@example.org") != "delivered" {
		t.Errorf("with BOUNCE disabled: %+v", rec.Recipients)
	}

	// A configuration set's suppression options override the account's.
	if _, err := e.ses.CreateConfigurationSet(c, &sesv2.CreateConfigurationSetInput{
		ConfigurationSetName: aws.String("strict"),
		SuppressionOptions:   &types.SuppressionOptions{SuppressedReasons: []types.SuppressionListReason{"BOUNCE", "COMPLAINT"}},
	}); err != nil {
		t.Fatal(err)
	}
	in := simple("reports@example.com", []string{"gone@example.org"}, "s", "b")
	in.ConfigurationSetName = aws.String("strict")
	id = e.send(t, in)
	if rec := e.mailRecord(t, id); rec.outcome("gone@example.org") != "suppressed" {
		t.Errorf("with the set's override: %+v", rec.Recipients)
	}
	cs, _ := e.ses.GetConfigurationSet(c, &sesv2.GetConfigurationSetInput{ConfigurationSetName: aws.String("strict")})
	if cs.SuppressionOptions == nil || len(cs.SuppressionOptions.SuppressedReasons) != 2 {
		t.Errorf("set suppression options = %+v", cs.SuppressionOptions)
	}
	if _, err := e.ses.PutConfigurationSetSuppressionOptions(c, &sesv2.PutConfigurationSetSuppressionOptionsInput{
		ConfigurationSetName: aws.String("strict"), SuppressedReasons: []types.SuppressionListReason{},
	}); err != nil {
		t.Fatal(err)
	}
	id = e.send(t, in)
	if rec := e.mailRecord(t, id); rec.outcome("gone@example.org") != "delivered" {
		t.Errorf("with the set's empty override: %+v", rec.Recipients)
	}
}

// TestFeedbackSuppressesOrdinaryAddresses drives the mailbox's feedback
// endpoints: a hard bounce or complaint of an ordinary address puts it on
// the suppression list; a soft bounce, or a reason that is off, does not.
func TestFeedbackSuppressesOrdinaryAddresses(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	e.verify(t, "example.com")
	c := ctx(t)
	id := e.send(t, simple("reports@example.com", []string{"hard@example.org", "soft@example.org", "angry@example.org", "bounce@simulator.amazonses.com"}, "s", "b"))

	post := func(path string) map[string]any {
		t.Helper()
		status, body := e.mailDo(t, http.MethodPost, path)
		if status != http.StatusAccepted {
			t.Fatalf("POST %s: %d %s", path, status, body)
		}
		var out map[string]any
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := post("/" + id + "/bounce?recipient=hard@example.org")
	post("/" + id + "/bounce?recipient=soft@example.org&type=Transient&subType=MailboxFull")
	post("/" + id + "/complaint?recipient=angry@example.org")

	got, err := e.ses.GetSuppressedDestination(c, &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String("hard@example.org")})
	if err != nil {
		t.Fatalf("hard bounce not suppressed: %v", err)
	}
	if got.SuppressedDestination.Reason != "BOUNCE" || got.SuppressedDestination.Attributes == nil ||
		aws.ToString(got.SuppressedDestination.Attributes.MessageId) != id || aws.ToString(got.SuppressedDestination.Attributes.FeedbackId) != out["feedbackId"] {
		t.Errorf("suppression entry = %+v / %+v", got.SuppressedDestination, got.SuppressedDestination.Attributes)
	}
	if got, err := e.ses.GetSuppressedDestination(c, &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String("angry@example.org")}); err != nil || got.SuppressedDestination.Reason != "COMPLAINT" {
		t.Errorf("complaint not suppressed: %+v %v", got, err)
	}
	_, err = e.ses.GetSuppressedDestination(c, &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String("soft@example.org")})
	wantErr[*types.NotFoundException](t, err, "")
	// The simulator's bounce@ is never added (it bounced at send time here).
	_, err = e.ses.GetSuppressedDestination(c, &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String("bounce@simulator.amazonses.com")})
	wantErr[*types.NotFoundException](t, err, "")

	rec := e.mailRecord(t, id)
	for addr, want := range map[string]string{"hard@example.org": "bounced", "soft@example.org": "bounced", "angry@example.org": "complained", "bounce@simulator.amazonses.com": "bounced"} {
		if got := rec.outcome(addr); got != want {
			t.Errorf("outcome of %s = %q, want %q", addr, got, want)
		}
	}
	// The next send to the hard-bounced address is suppressed.
	id2 := e.send(t, simple("reports@example.com", []string{"hard@example.org"}, "s", "b"))
	if rec := e.mailRecord(t, id2); rec.outcome("hard@example.org") != "suppressed" {
		t.Errorf("send after the hard bounce: %+v", rec.Recipients)
	}

	// With suppression off, feedback adds nothing.
	if _, err := e.ses.PutAccountSuppressionAttributes(c, &sesv2.PutAccountSuppressionAttributesInput{SuppressedReasons: []types.SuppressionListReason{}}); err != nil {
		t.Fatal(err)
	}
	id3 := e.send(t, simple("reports@example.com", []string{"later@example.org"}, "s", "b"))
	post("/" + id3 + "/bounce")
	_, err = e.ses.GetSuppressedDestination(c, &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String("later@example.org")})
	wantErr[*types.NotFoundException](t, err, "")

	for _, bad := range []string{"/" + id + "/bounce?recipient=stranger@example.org", "/" + id + "/bounce?type=Soft", "/" + id + "/complaint?feedbackType=meh"} {
		if status, _ := e.mailDo(t, http.MethodPost, bad); status != http.StatusBadRequest {
			t.Errorf("POST %s: %d, want 400", bad, status)
		}
	}
	if status, _ := e.mailDo(t, http.MethodPost, "/nope/bounce"); status != http.StatusNotFound {
		t.Errorf("feedback for an unknown message: %d, want 404", status)
	}
}
