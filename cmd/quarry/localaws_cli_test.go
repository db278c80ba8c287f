package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// awsCLI finds the AWS CLI to drive localaws with: QUARRY_TEST_AWS_CLI, else
// Debian's /usr/bin/aws (CLI 2.9, which speaks the SQS query protocol), else
// any aws on PATH.
func awsCLI(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("QUARRY_TEST_AWS_CLI"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/aws"); err == nil {
		return "/usr/bin/aws"
	}
	if p, err := exec.LookPath("aws"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("the AWS CLI is not installed; .ci/run installs the Debian awscli package")
	}
	t.Skip("the AWS CLI is not installed (apt-get install awscli); skipping the CLI conformance test")
	return ""
}

// startLocalAWS runs `quarry localaws` in-process on a free port and returns
// its URL; the command stops when the test ends.
func startLocalAWS(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	cmd := newRootCommand(pw, io.Discard)
	cmd.SetArgs(append([]string{"localaws", "--addr", "127.0.0.1:0"}, args...))
	done := make(chan error, 1)
	go func() {
		err := cmd.ExecuteContext(ctx)
		_ = pw.Close()
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("quarry localaws: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("quarry localaws did not stop within 10s")
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading localaws URL: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return strings.TrimSpace(line)
}

type cli struct {
	t    *testing.T
	bin  string
	url  string
	home string
}

// run runs one aws command and returns stdout; it fails the test on a
// non-zero exit.
func (c *cli) run(args ...string) []byte {
	c.t.Helper()
	out, stderr, err := c.try(args...)
	if err != nil {
		c.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

func (c *cli) try(args ...string) (stdout []byte, stderr string, err error) {
	full := append([]string{"--endpoint-url", c.url, "--output", "json", "--region", "us-east-1"}, args...)
	cmd := exec.Command(c.bin, full...)
	cmd.Env = []string{
		"HOME=" + c.home, "PATH=" + os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_PAGER=",
		"AWS_CONFIG_FILE=" + c.home + "/config", "AWS_SHARED_CREDENTIALS_FILE=" + c.home + "/credentials",
	}
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err = cmd.Run()
	return so.Bytes(), se.String(), err
}

func (c *cli) json(v any, args ...string) {
	c.t.Helper()
	out := c.run(args...)
	if err := json.Unmarshal(out, v); err != nil {
		c.t.Fatalf("aws %s: decoding %q: %v", strings.Join(args, " "), out, err)
	}
}

func TestAWSCLIDrivesSQSAndSNS(t *testing.T) {
	bin := awsCLI(t)
	url := startLocalAWS(t)
	c := &cli{t: t, bin: bin, url: url, home: t.TempDir()}

	// SQS: create, send with attributes, receive, delete.
	var created struct{ QueueUrl string }
	c.json(&created, "sqs", "create-queue", "--queue-name", "cli-jobs", "--attributes", "VisibilityTimeout=5")
	if created.QueueUrl != url+"/000000000000/cli-jobs" {
		t.Fatalf("QueueUrl = %q, want it to point back at %s", created.QueueUrl, url)
	}
	var sent struct{ MessageId, MD5OfMessageBody, MD5OfMessageAttributes string }
	c.json(&sent, "sqs", "send-message", "--queue-url", created.QueueUrl, "--message-body", "msg",
		"--message-attributes", `{"jobType":{"DataType":"String","StringValue":"pdf-extract"}}`)
	if sent.MD5OfMessageBody != "6e2baaf3b97dbeef01c0043275f9a0e7" || sent.MD5OfMessageAttributes != "5415ebf34d04831dd7019c8319fe2622" {
		t.Fatalf("send-message MD5s = %+v", sent)
	}
	var got struct {
		Messages []struct {
			MessageId, ReceiptHandle, Body string
			Attributes                     map[string]string
			MessageAttributes              map[string]struct{ DataType, StringValue string }
		}
	}
	c.json(&got, "sqs", "receive-message", "--queue-url", created.QueueUrl, "--wait-time-seconds", "1",
		"--attribute-names", "All", "--message-attribute-names", "All")
	if len(got.Messages) != 1 || got.Messages[0].MessageId != sent.MessageId || got.Messages[0].Body != "msg" {
		t.Fatalf("receive-message = %+v", got)
	}
	m := got.Messages[0]
	if m.Attributes["ApproximateReceiveCount"] != "1" || m.MessageAttributes["jobType"].StringValue != "pdf-extract" {
		t.Fatalf("received attributes = %+v", m)
	}
	c.run("sqs", "delete-message", "--queue-url", created.QueueUrl, "--receipt-handle", m.ReceiptHandle)

	var attrs struct{ Attributes map[string]string }
	c.json(&attrs, "sqs", "get-queue-attributes", "--queue-url", created.QueueUrl, "--attribute-names", "All")
	if attrs.Attributes["ApproximateNumberOfMessages"] != "0" || attrs.Attributes["VisibilityTimeout"] != "5" {
		t.Fatalf("get-queue-attributes = %v", attrs.Attributes)
	}

	// Batches and errors in the query protocol.
	var batch struct {
		Successful []struct{ Id string }
		Failed     []struct{ Id, Code string }
	}
	c.json(&batch, "sqs", "send-message-batch", "--queue-url", created.QueueUrl, "--entries",
		`[{"Id":"a","MessageBody":"one"},{"Id":"b","MessageBody":"two"}]`)
	if len(batch.Successful) != 2 || len(batch.Failed) != 0 {
		t.Fatalf("send-message-batch = %+v", batch)
	}
	_, stderr, err := c.try("sqs", "get-queue-url", "--queue-name", "no-such-queue")
	if err == nil || !strings.Contains(stderr, "AWS.SimpleQueueService.NonExistentQueue") {
		t.Fatalf("get-queue-url on a missing queue: err=%v stderr=%s", err, stderr)
	}
	c.run("sqs", "purge-queue", "--queue-url", created.QueueUrl)

	// SNS → SQS with a filter policy, enveloped delivery.
	var topic struct{ TopicArn string }
	c.json(&topic, "sns", "create-topic", "--name", "cli-topic")
	var qa struct{ Attributes map[string]string }
	c.json(&qa, "sqs", "get-queue-attributes", "--queue-url", created.QueueUrl, "--attribute-names", "QueueArn")
	var sub struct{ SubscriptionArn string }
	c.json(&sub, "sns", "subscribe", "--topic-arn", topic.TopicArn, "--protocol", "sqs",
		"--notification-endpoint", qa.Attributes["QueueArn"], "--return-subscription-arn",
		"--attributes", `{"FilterPolicy":"{\"job_type\":[\"fetch.document\"]}"}`)
	if !strings.HasPrefix(sub.SubscriptionArn, topic.TopicArn+":") {
		t.Fatalf("SubscriptionArn = %q", sub.SubscriptionArn)
	}
	c.run("sns", "publish", "--topic-arn", topic.TopicArn, "--message", "skipped",
		"--message-attributes", `{"job_type":{"DataType":"String","StringValue":"notify.email"}}`)
	var pub struct{ MessageId string }
	c.json(&pub, "sns", "publish", "--topic-arn", topic.TopicArn, "--message", `{"id":"j1"}`, "--subject", "job",
		"--message-attributes", `{"job_type":{"DataType":"String","StringValue":"fetch.document"}}`)
	got.Messages = nil
	c.json(&got, "sqs", "receive-message", "--queue-url", created.QueueUrl, "--wait-time-seconds", "2", "--max-number-of-messages", "10")
	if len(got.Messages) != 1 {
		t.Fatalf("want exactly the matching publish delivered, got %+v", got.Messages)
	}
	var env struct {
		Type, MessageId, TopicArn, Subject, Message string
		MessageAttributes                           map[string]struct{ Type, Value string }
	}
	if err := json.Unmarshal([]byte(got.Messages[0].Body), &env); err != nil {
		t.Fatalf("delivered body is not an SNS envelope: %v\n%s", err, got.Messages[0].Body)
	}
	if env.Type != "Notification" || env.MessageId != pub.MessageId || env.TopicArn != topic.TopicArn ||
		env.Message != `{"id":"j1"}` || env.Subject != "job" || env.MessageAttributes["job_type"].Value != "fetch.document" {
		t.Fatalf("envelope = %+v", env)
	}
	var subs struct {
		Subscriptions []struct{ SubscriptionArn string }
	}
	c.json(&subs, "sns", "list-subscriptions-by-topic", "--topic-arn", topic.TopicArn)
	if len(subs.Subscriptions) != 1 {
		t.Fatalf("list-subscriptions-by-topic = %+v", subs)
	}
	c.run("sns", "unsubscribe", "--subscription-arn", sub.SubscriptionArn)
	c.run("sns", "delete-topic", "--topic-arn", topic.TopicArn)
	c.run("sqs", "delete-queue", "--queue-url", created.QueueUrl)
}
