package ses_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
)

func TestStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := localaws.Config{StateDir: dir}
	c := ctx(t)

	// First life: set everything up, send two messages, stop.
	ep := localawstest.Start(t, cfg)
	first := &env{ep: ep, ses: ep.SES()}
	first.verify(t, "example.com")
	first.verify(t, "solo@example.net")
	mustDo(t, "CreateEmailTemplate", func() error {
		_, err := first.ses.CreateEmailTemplate(c, &sesv2.CreateEmailTemplateInput{
			TemplateName: aws.String("ready"), TemplateContent: &types.EmailTemplateContent{Subject: aws.String("Hi {{n}}"), Text: aws.String("t")},
		})
		return err
	})
	mustDo(t, "CreateConfigurationSet", func() error {
		_, err := first.ses.CreateConfigurationSet(c, &sesv2.CreateConfigurationSetInput{
			ConfigurationSetName: aws.String("workers"),
			SuppressionOptions:   &types.SuppressionOptions{SuppressedReasons: []types.SuppressionListReason{"COMPLAINT"}},
		})
		return err
	})
	mustDo(t, "CreateConfigurationSetEventDestination", func() error {
		_, err := first.ses.CreateConfigurationSetEventDestination(c, &sesv2.CreateConfigurationSetEventDestinationInput{
			ConfigurationSetName: aws.String("workers"), EventDestinationName: aws.String("cw"),
			EventDestination: &types.EventDestinationDefinition{Enabled: true, MatchingEventTypes: []types.EventType{"SEND"}, CloudWatchDestination: &types.CloudWatchDestination{DimensionConfigurations: []types.CloudWatchDimensionConfiguration{}}},
		})
		return err
	})
	mustDo(t, "PutSuppressedDestination", func() error {
		_, err := first.ses.PutSuppressedDestination(c, &sesv2.PutSuppressedDestinationInput{EmailAddress: aws.String("gone@example.org"), Reason: "BOUNCE"})
		return err
	})
	mustDo(t, "PutAccountSuppressionAttributes", func() error {
		_, err := first.ses.PutAccountSuppressionAttributes(c, &sesv2.PutAccountSuppressionAttributesInput{SuppressedReasons: []types.SuppressionListReason{"BOUNCE"}})
		return err
	})
	id1 := first.send(t, simple("reports@example.com", []string{"a@example.org", "b@example.org"}, "first", "one"))
	id2 := first.send(t, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("solo@example.net"), Destination: &types.Destination{ToAddresses: []string{"gone@example.org"}},
		Content: &types.EmailContent{Template: &types.Template{TemplateName: aws.String("ready"), TemplateData: aws.String(`{"n":2}`)}},
	})
	eml1 := first.mailEML(t, id1)
	if err := ep.Server.Close(); err != nil {
		t.Fatalf("closing the first endpoint: %v", err)
	}
	for _, f := range []string{"ses/state.json", "ses/mail/" + id1 + ".eml", "ses/mail/" + id1 + ".json", "ses/mail/" + id2 + ".eml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("state dir lacks %s: %v", f, err)
		}
	}

	// Second life: everything is back.
	second := start(t, cfg)
	if _, err := second.ses.GetEmailIdentity(c, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String("solo@example.net")}); err != nil {
		t.Errorf("identity lost: %v", err)
	}
	if tpl, err := second.ses.GetEmailTemplate(c, &sesv2.GetEmailTemplateInput{TemplateName: aws.String("ready")}); err != nil || aws.ToString(tpl.TemplateContent.Subject) != "Hi {{n}}" {
		t.Errorf("template lost: %+v %v", tpl, err)
	}
	cs, err := second.ses.GetConfigurationSet(c, &sesv2.GetConfigurationSetInput{ConfigurationSetName: aws.String("workers")})
	if err != nil || cs.SuppressionOptions == nil || len(cs.SuppressionOptions.SuppressedReasons) != 1 {
		t.Errorf("configuration set lost: %+v %v", cs, err)
	}
	dests, err := second.ses.GetConfigurationSetEventDestinations(c, &sesv2.GetConfigurationSetEventDestinationsInput{ConfigurationSetName: aws.String("workers")})
	if err != nil || len(dests.EventDestinations) != 1 || !dests.EventDestinations[0].Enabled {
		t.Errorf("event destination lost: %+v %v", dests, err)
	}
	if sd, err := second.ses.GetSuppressedDestination(c, &sesv2.GetSuppressedDestinationInput{EmailAddress: aws.String("gone@example.org")}); err != nil || sd.SuppressedDestination.Reason != "BOUNCE" {
		t.Errorf("suppression entry lost: %v", err)
	}
	acct, err := second.ses.GetAccount(c, &sesv2.GetAccountInput{})
	if err != nil {
		t.Fatal(err)
	}
	if r := acct.SuppressionAttributes.SuppressedReasons; len(r) != 1 || r[0] != "BOUNCE" {
		t.Errorf("account suppression reasons = %v, want [BOUNCE]", r)
	}
	if acct.SendQuota.SentLast24Hours != 3 {
		t.Errorf("SentLast24Hours after restart = %v, want 3", acct.SendQuota.SentLast24Hours)
	}
	list := second.mailList(t, "")
	if len(list) != 2 || list[0].MessageID != id1 || list[1].MessageID != id2 {
		t.Fatalf("mailbox after restart = %+v", list)
	}
	if list[1].Subject != "Hi 2" || list[1].outcome("gone@example.org") != "suppressed" {
		t.Errorf("second record = %+v", list[1])
	}
	if got := second.mailEML(t, id1); string(got) != string(eml1) {
		t.Errorf(".eml changed across the restart")
	}
	// New sends still go to the right places.
	id3 := second.send(t, simple("reports@example.com", []string{"c@example.org"}, "third", "three"))
	if !strings.Contains(string(second.mailEML(t, id3)), "third") {
		t.Error("third message not stored")
	}
	if status, _ := second.mailDo(t, "DELETE", ""); status != 204 {
		t.Fatalf("DELETE mailbox: %d", status)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "ses", "mail"))
	if len(entries) != 0 {
		t.Errorf("mail files left after DELETE: %d", len(entries))
	}
}

func TestDamagedStateFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "ses"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ses", "state.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv, err := localaws.New(localaws.Config{StateDir: dir})
	if err == nil {
		_ = srv.Close()
		t.Fatal("started on a damaged state file")
	}
	if !strings.Contains(err.Error(), "state.json") {
		t.Errorf("error %q does not name the file", err)
	}
}

func mustDo(t *testing.T, what string, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
