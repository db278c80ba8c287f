package ses

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// TestConcurrentUse runs sends, list reads, suppression changes, mailbox
// reads and state saves at once; under -race it checks the locking.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	const topic = "arn:aws:sns:us-east-1:000000000000:t"
	h := setup(t, Config{StateDir: t.TempDir(), MaxSendRate: 1e6}, newRecorder(topic))
	c := testCtx(t)
	mustCall(t, "setup", func() error {
		if _, err := h.ses.CreateEmailIdentity(c, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("example.com")}); err != nil {
			return err
		}
		if _, err := h.ses.CreateConfigurationSet(c, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String("w")}); err != nil {
			return err
		}
		_, err := h.ses.CreateConfigurationSetEventDestination(c, &sesv2.CreateConfigurationSetEventDestinationInput{
			ConfigurationSetName: aws.String("w"), EventDestinationName: aws.String("d"),
			EventDestination: &types.EventDestinationDefinition{Enabled: true, MatchingEventTypes: []types.EventType{"SEND", "DELIVERY", "BOUNCE", "COMPLAINT"}, SnsDestination: &types.SnsDestination{TopicArn: aws.String(topic)}},
		})
		return err
	})

	const workers, perWorker = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker*4)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				to := []string{fmt.Sprintf("u%d-%d@example.org", w, i), "bounce@simulator.amazonses.com", "complaint@simulator.amazonses.com"}
				_, err := h.ses.SendEmail(c, &sesv2.SendEmailInput{
					FromEmailAddress: aws.String("a@example.com"), Destination: &types.Destination{ToAddresses: to},
					ConfigurationSetName: aws.String("w"),
					Content:              &types.EmailContent{Simple: &types.Message{Subject: &types.Content{Data: aws.String("s")}, Body: &types.Body{Text: &types.Content{Data: aws.String("b")}}}},
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Go(func() {
		for i := range perWorker {
			addr := fmt.Sprintf("s%d@example.org", i)
			if _, err := h.ses.PutSuppressedDestination(c, &sesv2.PutSuppressedDestinationInput{EmailAddress: aws.String(addr), Reason: "BOUNCE"}); err != nil {
				errs <- err
			}
			if _, err := h.ses.ListSuppressedDestinations(c, &sesv2.ListSuppressedDestinationsInput{}); err != nil {
				errs <- err
			}
			if _, err := h.ses.GetAccount(c, &sesv2.GetAccountInput{}); err != nil {
				errs <- err
			}
			if err := h.svc.SaveState(); err != nil {
				errs <- err
			}
		}
	})
	wg.Go(func() {
		for range perWorker {
			resp, err := http.Get(h.url + "/_localaws/mail/")
			if err != nil {
				errs <- err
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Each send publishes Send, Delivery, Bounce and Complaint, after the
	// destination's validation message.
	h.rec.wait(t, 1+workers*perWorker*4)
	if n := len(h.svc.mail.list("")); n != workers*perWorker {
		t.Errorf("mailbox holds %d messages, want %d", n, workers*perWorker)
	}
}
