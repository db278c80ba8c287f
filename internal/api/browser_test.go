package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/internal/api"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/workers"
)

// chromium is Debian's Chromium, which .ci/run installs.
const chromium = "/usr/bin/chromium"

// browserRequired is set where the browser test must run (CI sets
// QUARRY_TEST_BROWSER=1; CI=true counts too): there a missing Chromium
// fails the test instead of skipping it.
func browserRequired() bool {
	return os.Getenv("QUARRY_TEST_BROWSER") == "1" || os.Getenv("CI") == "true"
}

// browser starts headless Chromium for the test, or skips (fails where
// the browser test is required) without it.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if browserRequired() {
			t.Fatalf("the browser test must run here (QUARRY_TEST_BROWSER or CI), but %s is missing: apt-get install chromium", chromium)
		}
		t.Skipf("%s is missing (apt-get install chromium); set QUARRY_TEST_BROWSER=1 to make this a failure", chromium)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancelTab)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestDocsAuthorizeTakesABearerToken opens Swagger UI at /docs: it loads
// the API's document under the page's content security policy, and its
// Authorize button asks for the bearer token.
func TestDocsAuthorizeTakesABearerToken(t *testing.T) {
	ctx := browser(t)
	b := setup(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(b.url+"/docs"),
		chromedp.WaitVisible(chromedp.CSS(`#operations-jobs-publishJobs`)),
		chromedp.Click(chromedp.CSS(`button.authorize`)),
		chromedp.WaitVisible(chromedp.CSS(`.auth-container input`)),
	); err != nil {
		t.Fatalf("/docs: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.auth-container`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "bearerAuth") || !strings.Contains(text, "Bearer") {
		t.Errorf("the Authorize dialog does not offer the bearer scheme: %q", text)
	}
}

// TestConsoleShowsADeadLetterAndRedrivesIt publishes a job through the API
// that a notify worker dead-letters, then opens the console in headless
// Chromium with a token, finds the message and its reason in the notify
// DLQ, redrives it, and sees the message back in the notify queue.
func TestConsoleShowsADeadLetterAndRedrivesIt(t *testing.T) {
	ctx := browser(t)
	b := setup(t)
	job, reason := b.failInTheFleet(t)

	token := b.keys.Token(t, "admin")
	notify := func(class string) chromedp.CSS { return chromedp.CSS(`#queues tr[data-role="notify"] td.` + class) }
	// The queue view shows the dead letter; its DLQ view, the message and
	// its reason.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(b.url+"/#token="+token),
		waitText(notify("dlq"), "1"),
		chromedp.Click(chromedp.CSS(`#queues tr[data-role="notify"] button.show-dlq`)),
		chromedp.WaitVisible(chromedp.CSS(`#dlq-messages td.reason`)),
	); err != nil {
		t.Fatalf("console before the redrive: %v", err)
	}
	reasonText, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#dlq-messages td.reason`)))
	if err != nil {
		t.Fatal(err)
	}
	jobText, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#dlq-messages tr td:nth-child(2)`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reasonText, reason) || !strings.Contains(jobText, job) {
		t.Errorf("DLQ row: reason %q, job %q; want %q and job %s", reasonText, jobText, reason, job)
	}
	// Redrive: the move task puts it back in the notify queue.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("dlq-redrive")),
		waitText(notify("dlq"), "0"),
		waitText(notify("visible"), "1"),
	); err != nil {
		status, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("status")))
		t.Fatalf("console after the redrive: %v (status line %q)", err, status)
	}
	if n := b.visible(t, "notify"); n != 1 {
		t.Errorf("the notify queue holds %d messages after the redrive, want 1", n)
	}

	// Suppression search: an address the list holds, with why.
	if status, body := b.do(t, token, "POST", "/v1/suppressions", `{"address":"bob@example.org","reason":"asked us to stop","kind":"unsubscribe"}`); status != http.StatusCreated {
		t.Fatalf("add a suppression: %d %s", status, body)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("supp-address"), "Bob@Example.org"),
		chromedp.Click(chromedp.ID("supp-check")),
		chromedp.WaitVisible(chromedp.CSS(`#supp-result .suppressed`)),
	); err != nil {
		t.Fatalf("suppression search: %v", err)
	}
	found, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("supp-result")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(found, "bob@example.org: suppressed (unsubscribe)") || !strings.Contains(found, "asked us to stop") || !strings.Contains(found, "by admin") {
		t.Errorf("suppression search shows %q", found)
	}
}

// waitText waits until the element's text is want, refreshing the queue
// view between looks (the console refreshes itself only every 5s).
func waitText(sel chromedp.CSS, want string) chromedp.Action[chromedp.Void] {
	return chromedp.PollFunction[chromedp.Void](`(sel, want) => {
		const el = document.querySelector(sel);
		if (el && el.textContent.trim() === want) { return true; }
		document.querySelector("#queues-refresh").click();
		return false;
	}`, chromedp.WithPollingArgs(string(sel), want), chromedp.WithPollingInterval(250*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))
}

// failInTheFleet publishes a notify job through the API and runs a notify
// worker (the real runtime) whose handler fails it for good, until the job
// is in the DLQ; the worker is stopped before it returns, so a redriven job
// stays in the queue. It returns the job's id and the failure.
func (b *testBundle) failInTheFleet(t *testing.T) (string, string) {
	t.Helper()
	const failure = `template "missing-template" not found`
	status, body := b.do(t, b.keys.Token(t, "publisher"), "POST", "/v1/jobs",
		`{"type":"notify.email","payload":{"recipients":["a@example.org"],"template":"missing-template"}}`)
	var res struct{ Jobs []api.PublishedJob }
	if err := json.Unmarshal(body, &res); status != http.StatusAccepted || err != nil || len(res.Jobs) != 1 {
		t.Fatalf("publish: %d %s", status, body)
	}
	ctx := context.Background()
	queue, err := b.topology.QueueURL(ctx, b.clients.SQS, "notify")
	if err != nil {
		t.Fatal(err)
	}
	runner, err := workers.New(workers.Config{
		SQS: b.clients.SQS, QueueURL: queue, Role: "notify", WaitTime: time.Second,
		Claims: idempotency.NewStore(b.rdb, b.prefix),
		Handlers: map[string]workers.Handler{messages.TypeNotifyEmail: workers.HandlerFunc(
			func(context.Context, messages.Job) ([]byte, error) {
				return nil, messages.Permanent(errors.New(failure))
			})},
	})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runner.Run(rctx) }()
	reader := b.keys.Token(t, "reader")
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, body := b.do(t, reader, "GET", "/v1/dlq/notify?n=1", "")
		if strings.Contains(string(body), res.Jobs[0].JobID) {
			break
		}
		if time.Now().After(deadline) {
			stop()
			<-done
			t.Fatalf("the job did not reach the DLQ: %s", body)
		}
		select {
		case err := <-done:
			t.Fatalf("the worker stopped: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return res.Jobs[0].JobID, failure
}
