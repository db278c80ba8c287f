package ses_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/quarry-dev/quarry/infra/localaws"
)

func TestSendRateThrottling(t *testing.T) {
	const rate = 3
	e := start(t, localaws.Config{SESMaxSendRate: rate})
	e.verify(t, "example.com")
	c := ctx(t)
	in := simple("reports@example.com", []string{"success@simulator.amazonses.com"}, "s", "b")

	// The burst is one second's worth; the next send is throttled.
	for i := range rate {
		if _, err := e.ses.SendEmail(c, in); err != nil {
			t.Fatalf("send %d of the burst: %v", i+1, err)
		}
	}
	_, err := e.ses.SendEmail(c, in)
	wantErr[*types.TooManyRequestsException](t, err, "Maximum sending rate exceeded.")
	if s := httpStatus(err); s != http.StatusTooManyRequests {
		t.Errorf("HTTP status = %d, want 429", s)
	}
	// After 1/rate s one more recipient's worth has come back.
	time.Sleep(time.Second/rate + 50*time.Millisecond)
	if _, err := e.ses.SendEmail(c, in); err != nil {
		t.Fatalf("send after refill: %v", err)
	}

	// Over a sustained second the service lets through about rate sends.
	time.Sleep(time.Second + 50*time.Millisecond) // full bucket again
	ok, throttled := 0, 0
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if _, err := e.ses.SendEmail(c, in); err != nil {
			wantErr[*types.TooManyRequestsException](t, err, "")
			throttled++
		} else {
			ok++
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Burst (rate) plus about a second of refill (rate), with slack for timing.
	if ok < 2*rate-1 || ok > 2*rate+2 || throttled == 0 {
		t.Errorf("in one second: %d accepted, %d throttled; want about %d accepted", ok, throttled, 2*rate)
	}
	if n := len(e.mailList(t, "")); n != rate+1+ok {
		t.Errorf("mailbox holds %d messages, want only the accepted %d", n, rate+1+ok)
	}
}

func TestSendRateCountsRecipients(t *testing.T) {
	e := start(t, localaws.Config{SESMaxSendRate: 3})
	e.verify(t, "example.com")
	c := ctx(t)
	// A message with more recipients than the rate is let through while any
	// rate is left; the debt then throttles the next send.
	big := simple("reports@example.com", []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org", "e@example.org"}, "s", "b")
	if _, err := e.ses.SendEmail(c, big); err != nil {
		t.Fatalf("first multi-recipient send: %v", err)
	}
	_, err := e.ses.SendEmail(c, simple("reports@example.com", []string{"a@example.org"}, "s", "b"))
	wantErr[*types.TooManyRequestsException](t, err, "")
}

func TestDailyQuota(t *testing.T) {
	e := start(t, localaws.Config{SESMax24HourSend: 3})
	e.verify(t, "example.com")
	c := ctx(t)
	e.send(t, simple("reports@example.com", []string{"a@example.org", "b@example.org"}, "s", "b"))
	// Simulator addresses do not count against the quota.
	e.send(t, simple("reports@example.com", []string{"success@simulator.amazonses.com", "bounce@simulator.amazonses.com"}, "s", "b"))
	_, err := e.ses.SendEmail(c, simple("reports@example.com", []string{"c@example.org", "d@example.org"}, "s", "b"))
	wantErr[*types.LimitExceededException](t, err, "Daily message quota exceeded.")
	e.send(t, simple("reports@example.com", []string{"c@example.org"}, "s", "b"))
	_, err = e.ses.SendEmail(c, simple("reports@example.com", []string{"d@example.org"}, "s", "b"))
	wantErr[*types.LimitExceededException](t, err, "")
	acct, _ := e.ses.GetAccount(c, &sesv2.GetAccountInput{})
	if acct.SendQuota.SentLast24Hours != 3 || acct.SendQuota.Max24HourSend != 3 {
		t.Errorf("SendQuota = %+v", acct.SendQuota)
	}

	unlimited := start(t, localaws.Config{SESMax24HourSend: -1})
	unlimited.verify(t, "example.com")
	acct, _ = unlimited.ses.GetAccount(c, &sesv2.GetAccountInput{})
	if acct.SendQuota.Max24HourSend != -1 {
		t.Errorf("unlimited Max24HourSend = %v, want -1", acct.SendQuota.Max24HourSend)
	}
	for range 5 {
		unlimited.send(t, simple("reports@example.com", []string{"a@example.org"}, "s", "b"))
	}
}
