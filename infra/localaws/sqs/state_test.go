package sqs_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/quarry-dev/quarry/infra/localaws"
	sqssvc "github.com/quarry-dev/quarry/infra/localaws/sqs"
)

// TestStateSurvivesRestart closes one endpoint and starts another on the
// same state directory: queues, attributes, tags, visible and in-flight
// messages (with receive counts), FIFO dedup records and move task history
// are all still there.
func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	cfg := localaws.Config{StateDir: dir, Now: clock.Now}

	e1 := start(t, cfg)
	dlq := e1.createQueue("jobs-dlq", nil)
	dlqARN := e1.queueARN(dlq)
	attrs := redrive(dlqARN, 1)
	attrs["VisibilityTimeout"] = "60"
	src := e1.createQueue("jobs", attrs)
	if _, err := e1.c.TagQueue(e1.ctx, &sqs.TagQueueInput{QueueUrl: aws.String(src), Tags: map[string]string{"team": "fetch"}}); err != nil {
		t.Fatal(err)
	}
	fifo := e1.createQueue("jobs.fifo", fifoAttrs())
	dedup := e1.sendFIFO(fifo, "fifo job", "G", "d-1")
	inflight := e1.send(src, "in flight")
	oldHandle := e1.receive(src, 1)[0].ReceiptHandle
	e1.send(src, "visible")
	if _, err := e1.c.StartMessageMoveTask(e1.ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN)}); err != nil {
		t.Fatal(err)
	}
	waitTask(t, e1, dlqARN)
	if err := e1.ep.Server.Close(); err != nil {
		t.Fatalf("closing the first endpoint: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sqs", "sqs.json")); err != nil {
		t.Fatalf("state file: %v", err)
	}

	e2 := start(t, cfg)
	src2 := e2.ep.URL + "/000000000000/jobs"
	got := e2.attrs(src2, "All")
	if got["VisibilityTimeout"] != "60" || got["RedrivePolicy"] == "" || got["ApproximateNumberOfMessages"] != "1" || got["ApproximateNumberOfMessagesNotVisible"] != "1" {
		t.Fatalf("attributes after restart = %v", got)
	}
	tags, err := e2.c.ListQueueTags(e2.ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(src2)})
	if err != nil || tags.Tags["team"] != "fetch" {
		t.Fatalf("tags after restart = %v, %v", tags, err)
	}
	visible := e2.receive(src2, 10)
	if got := bodies(visible); len(got) != 1 || got[0] != "visible" {
		t.Fatalf("visible after restart = %v", got)
	}
	e2.deleteMessage(src2, *visible[0].ReceiptHandle)
	// A receipt handle issued before the restart still works.
	if _, err := e2.c.ChangeMessageVisibility(e2.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(src2), ReceiptHandle: oldHandle, VisibilityTimeout: 60}); err != nil {
		t.Fatalf("ChangeMessageVisibility with a handle from before the restart: %v", err)
	}
	// The in-flight message comes back when its timer passes; its receive
	// count carried over, so with maxReceiveCount 1 it now goes to the DLQ.
	clock.Advance(61 * time.Second)
	if got := e2.receive(src2, 10); len(got) != 0 {
		t.Fatalf("received %v, want the in-flight message moved to the DLQ", bodies(got))
	}
	moved := e2.receive(e2.ep.URL+"/000000000000/jobs-dlq", 10)
	if len(moved) != 1 || *moved[0].MessageId != *inflight.MessageId || moved[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("DLQ after restart = %+v", moved)
	}
	// The FIFO dedup record survived.
	again := e2.sendFIFO(e2.ep.URL+"/000000000000/jobs.fifo", "fifo job", "G", "d-1")
	if *again.MessageId != *dedup.MessageId {
		t.Fatalf("dedup after restart: %s, want %s", *again.MessageId, *dedup.MessageId)
	}
	tasks, err := e2.c.ListMessageMoveTasks(e2.ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqARN)})
	if err != nil || len(tasks.Results) != 1 || *tasks.Results[0].Status != "COMPLETED" {
		t.Fatalf("move tasks after restart = %+v, %v", tasks, err)
	}
}

// TestSaveStateOnlyWhenDirty checks that SaveState writes nothing when
// nothing changed, and writes atomically (no temporary file left behind).
func TestSaveStateOnlyWhenDirty(t *testing.T) {
	dir := t.TempDir()
	svc, err := sqssvc.New(sqssvc.Config{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	path := filepath.Join(dir, "sqs.json")
	if err := svc.SaveState(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("state written with nothing to save: %v", err)
	}
	if _, e := svc.ServeJSON(jsonCall("CreateQueue"), []byte(`{"QueueName":"q"}`)); e != nil {
		t.Fatal(e)
	}
	if err := svc.SaveState(); err != nil {
		t.Fatal(err)
	}
	st1, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if err := svc.SaveState(); err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(path)
	if !st2.ModTime().Equal(st1.ModTime()) {
		t.Fatal("clean SaveState rewrote the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("state dir holds %v, want just sqs.json", entries)
	}

	// A corrupt state file is an error, not a silent fresh start.
	if err := os.WriteFile(path, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sqssvc.New(sqssvc.Config{StateDir: dir}); err == nil {
		t.Fatal("New accepted a corrupt state file")
	}
}

// TestReleaseInflightOnLoad: an endpoint whose consumers stopped with it
// gets the messages that were in flight back at once, with their receive
// counts; without the option they stay in flight until their timeout.
func TestReleaseInflightOnLoad(t *testing.T) {
	for _, release := range []bool{false, true} {
		dir := t.TempDir()
		e1 := start(t, localaws.Config{StateDir: dir})
		q := e1.createQueue("jobs", map[string]string{"VisibilityTimeout": "300"})
		e1.send(q, "taken before the stop")
		if got := e1.receive(q, 1); len(got) != 1 {
			t.Fatalf("received %d messages, want 1", len(got))
		}
		if err := e1.ep.Server.Close(); err != nil {
			t.Fatal(err)
		}
		e2 := start(t, localaws.Config{StateDir: dir, SQSReleaseInflightOnLoad: release})
		q2 := e2.ep.URL + "/000000000000/jobs"
		got := e2.attrs(q2, "All")
		want := map[bool][2]string{false: {"0", "1"}, true: {"1", "0"}}[release]
		if got["ApproximateNumberOfMessages"] != want[0] || got["ApproximateNumberOfMessagesNotVisible"] != want[1] {
			t.Fatalf("release %v: visible %s, in flight %s, want %s and %s", release,
				got["ApproximateNumberOfMessages"], got["ApproximateNumberOfMessagesNotVisible"], want[0], want[1])
		}
		if release {
			m := e2.receive(q2, 1)
			if len(m) != 1 || m[0].Attributes["ApproximateReceiveCount"] != "2" {
				t.Fatalf("after release: %+v", m)
			}
		}
	}
}
