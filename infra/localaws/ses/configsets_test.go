package ses_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/quarry-dev/quarry/infra/localaws"
)

func TestConfigurationSets(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	e.verify(t, "example.com")
	c := ctx(t)

	for _, name := range []string{"workers", "bulk", "alerts"} {
		if _, err := e.ses.CreateConfigurationSet(c, &sesv2.CreateConfigurationSetInput{
			ConfigurationSetName: aws.String(name),
			DeliveryOptions:      &types.DeliveryOptions{TlsPolicy: types.TlsPolicyRequire},
		}); err != nil {
			t.Fatalf("CreateConfigurationSet(%s): %v", name, err)
		}
	}
	_, err := e.ses.CreateConfigurationSet(c, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String("workers")})
	wantErr[*types.AlreadyExistsException](t, err, "workers")
	_, err = e.ses.CreateConfigurationSet(c, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String("no spaces")})
	wantErr[*types.BadRequestException](t, err, "ConfigurationSetName")

	got, err := e.ses.GetConfigurationSet(c, &sesv2.GetConfigurationSetInput{ConfigurationSetName: aws.String("workers")})
	if err != nil {
		t.Fatalf("GetConfigurationSet: %v", err)
	}
	if aws.ToString(got.ConfigurationSetName) != "workers" || got.SendingOptions == nil || !got.SendingOptions.SendingEnabled ||
		got.DeliveryOptions == nil || got.DeliveryOptions.TlsPolicy != types.TlsPolicyRequire || got.SuppressionOptions != nil {
		t.Errorf("GetConfigurationSet = %+v", got)
	}
	_, err = e.ses.GetConfigurationSet(c, &sesv2.GetConfigurationSetInput{ConfigurationSetName: aws.String("nope")})
	wantErr[*types.NotFoundException](t, err, "Configuration set nope does not exist")

	var names []string
	p := sesv2.NewListConfigurationSetsPaginator(e.ses, &sesv2.ListConfigurationSetsInput{PageSize: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(c)
		if err != nil {
			t.Fatalf("ListConfigurationSets: %v", err)
		}
		names = append(names, page.ConfigurationSets...)
	}
	if !slices.Equal(names, []string{"alerts", "bulk", "workers"}) {
		t.Errorf("configuration sets = %v", names)
	}
	status, _, body := e.rawREST(t, http.MethodGet, "/v2/email/configuration-sets", "")
	if status != http.StatusOK || body != `{"ConfigurationSets":["alerts","bulk","workers"]}` {
		t.Errorf("GET /v2/email/configuration-sets = %d %s", status, body)
	}

	// Event destinations: create, read, update, delete. A CloudWatch
	// destination needs no SNS topic; an SNS one needs an existing topic.
	cw := &types.EventDestinationDefinition{
		Enabled:               true,
		MatchingEventTypes:    []types.EventType{types.EventTypeBounce, types.EventTypeComplaint},
		CloudWatchDestination: &types.CloudWatchDestination{DimensionConfigurations: []types.CloudWatchDimensionConfiguration{{DimensionName: aws.String("job"), DimensionValueSource: types.DimensionValueSourceMessageTag, DefaultDimensionValue: aws.String("none")}}},
	}
	if _, err := e.ses.CreateConfigurationSetEventDestination(c, &sesv2.CreateConfigurationSetEventDestinationInput{
		ConfigurationSetName: aws.String("workers"), EventDestinationName: aws.String("metrics"), EventDestination: cw,
	}); err != nil {
		t.Fatalf("CreateConfigurationSetEventDestination: %v", err)
	}
	_, err = e.ses.CreateConfigurationSetEventDestination(c, &sesv2.CreateConfigurationSetEventDestinationInput{
		ConfigurationSetName: aws.String("workers"), EventDestinationName: aws.String("metrics"), EventDestination: cw,
	})
	wantErr[*types.AlreadyExistsException](t, err, "metrics")
	_, err = e.ses.CreateConfigurationSetEventDestination(c, &sesv2.CreateConfigurationSetEventDestinationInput{
		ConfigurationSetName: aws.String("workers"), EventDestinationName: aws.String("sns"),
		EventDestination: &types.EventDestinationDefinition{Enabled: true, MatchingEventTypes: []types.EventType{"BOUNCE"},
			SnsDestination: &types.SnsDestination{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:no-such-topic")}},
	})
	wantErr[*types.BadRequestException](t, err, "no-such-topic")
	_, err = e.ses.CreateConfigurationSetEventDestination(c, &sesv2.CreateConfigurationSetEventDestinationInput{
		ConfigurationSetName: aws.String("workers"), EventDestinationName: aws.String("x"),
		EventDestination: &types.EventDestinationDefinition{MatchingEventTypes: []types.EventType{"EXPLODE"}, CloudWatchDestination: cw.CloudWatchDestination},
	})
	wantErr[*types.BadRequestException](t, err, "EXPLODE")
	_, err = e.ses.CreateConfigurationSetEventDestination(c, &sesv2.CreateConfigurationSetEventDestinationInput{
		ConfigurationSetName: aws.String("nope"), EventDestinationName: aws.String("x"), EventDestination: cw,
	})
	wantErr[*types.NotFoundException](t, err, "nope")

	dests, err := e.ses.GetConfigurationSetEventDestinations(c, &sesv2.GetConfigurationSetEventDestinationsInput{ConfigurationSetName: aws.String("workers")})
	if err != nil {
		t.Fatalf("GetConfigurationSetEventDestinations: %v", err)
	}
	if len(dests.EventDestinations) != 1 || aws.ToString(dests.EventDestinations[0].Name) != "metrics" || !dests.EventDestinations[0].Enabled ||
		dests.EventDestinations[0].CloudWatchDestination == nil || len(dests.EventDestinations[0].MatchingEventTypes) != 2 {
		t.Errorf("event destinations = %+v", dests.EventDestinations)
	}
	// The SDKs leave false booleans out: an update without Enabled disables.
	if _, err := e.ses.UpdateConfigurationSetEventDestination(c, &sesv2.UpdateConfigurationSetEventDestinationInput{
		ConfigurationSetName: aws.String("workers"), EventDestinationName: aws.String("metrics"),
		EventDestination: &types.EventDestinationDefinition{MatchingEventTypes: []types.EventType{"DELIVERY"}, CloudWatchDestination: cw.CloudWatchDestination},
	}); err != nil {
		t.Fatalf("UpdateConfigurationSetEventDestination: %v", err)
	}
	dests, _ = e.ses.GetConfigurationSetEventDestinations(c, &sesv2.GetConfigurationSetEventDestinationsInput{ConfigurationSetName: aws.String("workers")})
	if d := dests.EventDestinations[0]; d.Enabled || !slices.Equal(d.MatchingEventTypes, []types.EventType{"DELIVERY"}) {
		t.Errorf("after update: %+v", d)
	}
	_, err = e.ses.UpdateConfigurationSetEventDestination(c, &sesv2.UpdateConfigurationSetEventDestinationInput{
		ConfigurationSetName: aws.String("workers"), EventDestinationName: aws.String("ghost"), EventDestination: cw,
	})
	wantErr[*types.NotFoundException](t, err, "ghost")
	if _, err := e.ses.DeleteConfigurationSetEventDestination(c, &sesv2.DeleteConfigurationSetEventDestinationInput{
		ConfigurationSetName: aws.String("workers"), EventDestinationName: aws.String("metrics"),
	}); err != nil {
		t.Fatalf("DeleteConfigurationSetEventDestination: %v", err)
	}
	_, err = e.ses.DeleteConfigurationSetEventDestination(c, &sesv2.DeleteConfigurationSetEventDestinationInput{
		ConfigurationSetName: aws.String("workers"), EventDestinationName: aws.String("metrics"),
	})
	wantErr[*types.NotFoundException](t, err, "metrics")

	// Sending with a set; pausing the set pauses its sends only.
	in := simple("reports@example.com", []string{"a@example.org"}, "s", "b")
	in.ConfigurationSetName = aws.String("workers")
	id := e.send(t, in)
	if rec := e.mailRecord(t, id); rec.ConfigurationSet != "workers" {
		t.Errorf("record configuration set = %q", rec.ConfigurationSet)
	}
	if _, err := e.ses.PutConfigurationSetSendingOptions(c, &sesv2.PutConfigurationSetSendingOptionsInput{ConfigurationSetName: aws.String("workers")}); err != nil {
		t.Fatalf("PutConfigurationSetSendingOptions: %v", err)
	}
	_, err = e.ses.SendEmail(c, in)
	wantErr[*types.SendingPausedException](t, err, "workers")
	e.send(t, simple("reports@example.com", []string{"a@example.org"}, "s", "b"))

	if _, err := e.ses.DeleteConfigurationSet(c, &sesv2.DeleteConfigurationSetInput{ConfigurationSetName: aws.String("workers")}); err != nil {
		t.Fatalf("DeleteConfigurationSet: %v", err)
	}
	_, err = e.ses.DeleteConfigurationSet(c, &sesv2.DeleteConfigurationSetInput{ConfigurationSetName: aws.String("workers")})
	wantErr[*types.NotFoundException](t, err, "")
	_, err = e.ses.SendEmail(c, in)
	wantErr[*types.NotFoundException](t, err, "workers")
}

func TestIdentityDefaultConfigurationSet(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	c := ctx(t)
	if _, err := e.ses.CreateConfigurationSet(c, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String("default-set")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ses.CreateEmailIdentity(c, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("example.com"), ConfigurationSetName: aws.String("default-set")}); err != nil {
		t.Fatal(err)
	}
	id := e.send(t, simple("a@example.com", []string{"b@example.org"}, "s", "b"))
	if rec := e.mailRecord(t, id); rec.ConfigurationSet != "default-set" {
		t.Errorf("a send without ConfigurationSetName used %q, want the identity's default-set", rec.ConfigurationSet)
	}
}
