package messages_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/quarry-dev/quarry/messages"
)

func ExampleChild() {
	root, err := messages.NewJob(messages.TypeFetchDocument, messages.FetchDocument{
		Recipe:  "county-permits",
		Key:     "BP-2025-004211",
		Extract: &messages.ExtractOptions{Formats: []string{messages.FormatCSV}},
	}, messages.WithID("01JWN2Q8R5XG7YV3KZ4T6M9ABC"), messages.WithTime(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		panic(err)
	}
	// The fetch handler publishes the extract job. Run twice (a retry), it
	// builds the same child, which the idempotency store then deduplicates.
	payload := messages.ExtractTables{PDFKey: "jobs/" + root.ID + "/document.pdf", Formats: []string{messages.FormatCSV}}
	first, _ := messages.Child(root, messages.TypeExtractTables, payload)
	retry, _ := messages.Child(root, messages.TypeExtractTables, payload)
	fmt.Println(first.ID == retry.ID, first.ParentID, first.CorrelationID == root.ID)
	// Output: true 01JWN2Q8R5XG7YV3KZ4T6M9ABC true
}

func ExampleDecodeQueueBody() {
	body := `{
  "Type" : "Notification",
  "MessageId" : "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
  "TopicArn" : "arn:aws:sns:us-east-1:123456789012:quarry-ses-events",
  "Subject" : "Amazon SES Email Event Notification",
  "Message" : "{\"eventType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\",\"bounceSubType\":\"General\",\"bouncedRecipients\":[{\"emailAddress\":\"nobody@example.org\",\"status\":\"5.1.1\"}],\"timestamp\":\"2025-06-01T12:00:03.412Z\"},\"mail\":{\"messageId\":\"0100018fc2d1a2b3-000000\",\"destination\":[\"nobody@example.org\"]}}",
  "Timestamp" : "2025-06-01T12:00:04.001Z"
}`
	b, err := messages.DecodeQueueBody(body)
	if err != nil {
		panic(err)
	}
	fmt.Println(b.Kind, b.SNS.MessageID)
	fmt.Println(b.SES.Kind, b.SES.Bounce.Permanent(), b.SES.Recipients())

	_, err = messages.DecodeQueueBody(`{"id":"01JWN2Q8R5XG7YV3KZ4T6M9ABC","type":"paint.fence","created_at":"2025-06-01T12:00:00Z","payload":{}}`)
	fmt.Println(err)
	// Output:
	// ses_event 22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324
	// Bounce true [nobody@example.org]
	// job.type: unknown job type "paint.fence" (known: extract.tables, fetch.document, notify.email)
}

func ExamplePermanent() {
	render := func() error {
		return messages.Permanent(errors.New(`template "tables-ready" not found`))
	}
	err := fmt.Errorf("notify: %w", render())
	fmt.Println(messages.IsPermanent(err), err)

	throttled := fmt.Errorf("send: %w", messages.RetryAfter(30*time.Second, errors.New("SES throttled")))
	d, ok := messages.RetryDelay(throttled)
	fmt.Println(d, ok, messages.IsPermanent(throttled))
	// Output:
	// true notify: template "tables-ready" not found
	// 30s true false
}
