package ses_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra/localaws"
)

// skipIfNotImplemented skips the test when SNS or SQS are still the stubs
// that answer "not implemented"; any other error fails it.
func skipIfNotImplemented(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if strings.Contains(err.Error(), "not implemented") {
		t.Skipf("%s: the endpoint's SNS/SQS is not implemented yet (%v)", what, err)
	}
	t.Fatalf("%s: %v", what, err)
}

// TestSimulatorEventsReachSQS sends to the mailbox simulator with a
// configuration set whose SNS destination fans out to an SQS queue, and
// reads the events from the queue as the ses-events worker does: SNS
// envelope first, then the SES record in its Message.
func TestSimulatorEventsReachSQS(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	c := ctx(t)
	sqsc, snsc := e.ep.SQS(), e.ep.SNS()

	q, err := sqsc.CreateQueue(c, &sqs.CreateQueueInput{QueueName: aws.String("quarry-ses-events")})
	skipIfNotImplemented(t, "CreateQueue", err)
	attrs, err := sqsc.GetQueueAttributes(c, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	skipIfNotImplemented(t, "GetQueueAttributes", err)
	queueARN := attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	topic, err := snsc.CreateTopic(c, &sns.CreateTopicInput{Name: aws.String("quarry-ses-events")})
	skipIfNotImplemented(t, "CreateTopic", err)
	_, err = snsc.Subscribe(c, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(queueARN)})
	skipIfNotImplemented(t, "Subscribe", err)

	e.verify(t, "example.com")
	if _, err := e.ses.CreateConfigurationSet(c, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String("workers")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ses.CreateConfigurationSetEventDestination(c, &sesv2.CreateConfigurationSetEventDestinationInput{
		ConfigurationSetName: aws.String("workers"), EventDestinationName: aws.String("to-sns"),
		EventDestination: &sestypes.EventDestinationDefinition{
			Enabled:            true,
			MatchingEventTypes: []sestypes.EventType{"SEND", "DELIVERY", "BOUNCE", "COMPLAINT"},
			SnsDestination:     &sestypes.SnsDestination{TopicArn: topic.TopicArn},
		},
	}); err != nil {
		t.Fatalf("CreateConfigurationSetEventDestination: %v", err)
	}
	in := simple("reports@example.com", []string{"bounce@simulator.amazonses.com", "complaint@simulator.amazonses.com"}, "Your tables are ready", "x")
	in.ConfigurationSetName = aws.String("workers")
	in.EmailTags = []sestypes.MessageTag{{Name: aws.String("job_id"), Value: aws.String("j-42")}}
	id := e.send(t, in)

	type envelope struct {
		Type, MessageId, TopicArn, Subject, Message, Timestamp string
	}
	var got []string
	testMessages := 0
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < 4 && time.Now().Before(deadline) {
		out, err := sqsc.ReceiveMessage(c, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		for _, m := range out.Messages {
			var env envelope
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &env); err != nil {
				t.Fatalf("body is not an SNS envelope: %v\n%s", err, aws.ToString(m.Body))
			}
			if env.Type != "Notification" || env.TopicArn != aws.ToString(topic.TopicArn) {
				t.Errorf("envelope = %+v", env)
			}
			if _, err := sqsc.DeleteMessage(c, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("DeleteMessage: %v", err)
			}
			if env.Message == "Successfully validated SNS topic for Amazon SES event publishing." {
				testMessages++
				continue
			}
			if env.Subject != "Amazon SES Email Event Notification" {
				t.Errorf("event published with subject %q", env.Subject)
			}
			var rec struct {
				EventType string `json:"eventType"`
				Mail      struct {
					MessageID string              `json:"messageId"`
					Tags      map[string][]string `json:"tags"`
				} `json:"mail"`
				Bounce *struct {
					BounceType        string `json:"bounceType"`
					BounceSubType     string `json:"bounceSubType"`
					BouncedRecipients []struct {
						EmailAddress, Status, DiagnosticCode string
					} `json:"bouncedRecipients"`
				} `json:"bounce"`
				Complaint *struct {
					ComplainedRecipients []struct {
						EmailAddress string `json:"emailAddress"`
					} `json:"complainedRecipients"`
					ComplaintFeedbackType string `json:"complaintFeedbackType"`
				} `json:"complaint"`
			}
			if err := json.Unmarshal([]byte(env.Message), &rec); err != nil {
				t.Fatalf("Message is not an SES record: %v\n%s", err, env.Message)
			}
			if rec.Mail.MessageID != id || strings.Join(rec.Mail.Tags["job_id"], ",") != "j-42" {
				t.Errorf("%s: mail = %+v", rec.EventType, rec.Mail)
			}
			s := rec.EventType
			if b := rec.Bounce; b != nil {
				s += "/" + b.BounceType + "/" + b.BounceSubType
				if len(b.BouncedRecipients) != 1 || b.BouncedRecipients[0].EmailAddress != "bounce@simulator.amazonses.com" || b.BouncedRecipients[0].Status != "5.1.1" {
					t.Errorf("bounced recipients = %+v", b.BouncedRecipients)
				}
			}
			if cp := rec.Complaint; cp != nil {
				s += "/" + cp.ComplaintFeedbackType
				if len(cp.ComplainedRecipients) != 1 || cp.ComplainedRecipients[0].EmailAddress != "complaint@simulator.amazonses.com" {
					t.Errorf("complained recipients = %+v", cp.ComplainedRecipients)
				}
			}
			got = append(got, s)
		}
	}
	sort.Strings(got)
	want := []string{"Bounce/Permanent/General", "Complaint/abuse", "Delivery", "Send"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("events from the queue = %v, want %v", got, want)
	}
	if testMessages != 1 {
		t.Errorf("%d validation messages in the queue, want 1", testMessages)
	}
}
