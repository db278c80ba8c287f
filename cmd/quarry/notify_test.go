package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
)

// mailTo lists the ids of the mails the endpoint's mailbox holds for addr.
func mailTo(t *testing.T, endpoint, addr string) []string {
	t.Helper()
	resp, err := http.Get(endpoint + "/_localaws/mail?to=" + url.QueryEscape(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var mails []struct {
		MessageID string `json:"messageId"`
	}
	if err := json.Unmarshal(body, &mails); err != nil {
		t.Fatalf("mailbox answer %s: %v", body, err)
	}
	var ids []string
	for _, m := range mails {
		ids = append(ids, m.MessageID)
	}
	return ids
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBouncesAndComplaintsStopLaterMail runs `quarry worker --roles
// notify,ses-events` end to end: mail to the simulator's bounce@ and
// complaint@ produces SES events (through the configuration set, SNS and
// the ses-events queue) that suppress both; a later job to them and to
// others mails only the others.
func TestBouncesAndComplaintsStopLaterMail(t *testing.T) {
	ep := localawstest.Start(t, localaws.Config{SESMaxSendRate: 50})
	useRedis(t)
	t.Setenv("QUARRY_NOTIFY_FROM", "Quarry <results@quarry.example>")
	runQuarry(t, "infra", "apply", "--endpoint-url", ep.URL)

	startWorker(t, "--roles", "notify,ses-events", "--endpoint-url", ep.URL, "--metrics-addr", "")

	const (
		bounce    = "bounce@simulator.amazonses.com"
		complaint = "complaint@simulator.amazonses.com"
		success   = "success@simulator.amazonses.com"
		later     = "success+later@simulator.amazonses.com"
		person    = "jane@example.org"
	)
	data := `"template":"tables-ready","template_data":{"pdf_key":"jobs/x/doc.pdf","tables":2,"pages":3,"failed_pages":[],"outputs":["jobs/x/doc.tables/tables.json"]}`
	runQuarry(t, "publish", "notify.email", "--endpoint-url", ep.URL,
		"--payload", fmt.Sprintf(`{"recipients":[%q,%q,%q],%s}`, bounce, complaint, success, data))

	suppressed := func(addr, reason string) func() bool {
		return func() bool {
			out, err := quarryErr(t, "suppress", "check", addr)
			return exitCode(err) == exitSuppressed && strings.Contains(out, "SUPPRESSED ("+reason+")")
		}
	}
	waitUntil(t, 30*time.Second, "bounce@ to be suppressed", suppressed(bounce, "hard_bounce"))
	waitUntil(t, 30*time.Second, "complaint@ to be suppressed", suppressed(complaint, "complaint"))
	if out, _ := quarryErr(t, "suppress", "check", success); !strings.Contains(out, "may be mailed") {
		t.Errorf("success@ after a delivery: %s", out)
	}
	check, _ := quarryErr(t, "suppress", "check", bounce)
	if !strings.Contains(check, "5.1.1") || !strings.Contains(check, "ses_message_id=") {
		t.Errorf("the bounce's evidence is missing:\n%s", check)
	}

	runQuarry(t, "publish", "notify.email", "--endpoint-url", ep.URL,
		"--payload", fmt.Sprintf(`{"recipients":[%q,%q,%q,%q],%s}`, bounce, complaint, later, person, data))
	waitUntil(t, 30*time.Second, "the second job's mail", func() bool {
		return len(mailTo(t, ep.URL, later)) == 1 && len(mailTo(t, ep.URL, person)) == 1
	})
	time.Sleep(500 * time.Millisecond) // let a wrong send show up, if one were coming
	if n := len(mailTo(t, ep.URL, bounce)); n != 1 {
		t.Errorf("bounce@ got %d mails, want 1 (the first job's only)", n)
	}
	if n := len(mailTo(t, ep.URL, complaint)); n != 1 {
		t.Errorf("complaint@ got %d mails, want 1 (the first job's only)", n)
	}
}
