package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra"
)

const tablesReadyData = `"template":"tables-ready","template_data":{"pdf_key":"jobs/x/doc.pdf","tables":1,"pages":1,"failed_pages":[],"outputs":[]}`

// waitFor polls cond every 100 ms for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// queueDrained reports whether the notify queue holds no message, visible
// or in flight: every job has been completed and deleted.
func (f *procFleet) queueDrained() bool {
	f.t.Helper()
	env, err := (&app{}).awsEnv(context.Background(), f.endpoint)
	if err != nil {
		f.t.Fatal(err)
	}
	q, _ := env.topology.Queue(infra.RoleNotify)
	url, err := env.queueURL(context.Background(), q.Name)
	if err != nil {
		f.t.Fatal(err)
	}
	out, err := env.clients.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, v := range out.Attributes {
		if n, _ := strconv.Atoi(v); n != 0 {
			return false
		}
	}
	return true
}

// A worker SIGKILLed inside SendEmail (held open by a localaws latency
// fault) leaves the send attempted and unanswered. SES carries it out and
// publishes its Send event; the ses-events stage settles the send as sent,
// and the job, back on the queue, finishes without sending again: one mail,
// nothing left unknown, no person involved.
func TestKilledInsideSendEmailSettlesWithOneMail(t *testing.T) {
	needChaos(t)
	f := startProcFleet(t, procFleetOptions{
		redisArgs:  []string{"--appendonly", "yes", "--appendfsync", "always"},
		localaws:   []string{"--fault-latency-for", "ses.SendEmail=3s"},
		quiet:      20 * time.Second,
		visibility: 4 * time.Second,
	})
	f.startWorkers(1)
	const addr = "killed-mid-send@example.org"
	f.run("publish", "notify.email", "--payload", `{"recipients":["`+addr+`"],`+tablesReadyData+`}`)

	waitFor(t, 30*time.Second, "the worker to call SendEmail", func() bool { return f.sendCalls() >= 1 })
	f.workers[0].kill(t)
	t.Log("worker killed inside SendEmail")
	f.restartWorker(0)

	waitFor(t, 60*time.Second, "the job to finish", func() bool {
		return f.queueDrained() && f.mailCounts()[addr] >= 1
	})
	if n := f.mailCounts()[addr]; n != 1 {
		t.Errorf("%s got %d mails, want 1", addr, n)
	}
	if n := f.sendCalls(); n != 1 {
		t.Errorf("SendEmail called %d times, want 1", n)
	}
	tally := f.tallyEffects()
	if tally.settledByEvent != 1 || tally.unknownLeft != 0 || tally.settledByQuiet != 0 {
		t.Errorf("effects %+v: want the one send settled by its SES event", tally)
	}
	var list []json.RawMessage
	for _, line := range strings.Split(strings.TrimSpace(f.run("effects", "unknown", "--json")), "\n") {
		if line != "" {
			list = append(list, json.RawMessage(line))
		}
	}
	if len(list) != 0 {
		t.Errorf("quarry effects unknown lists %s; want nothing left", list)
	}
}

// A worker SIGKILLed while its jobs wait for the fleet's send rate leaves
// claims that were never attempted: the next worker sends them, and none
// is unknown.
func TestKilledWhileWaitingForTheSendRate(t *testing.T) {
	needChaos(t)
	f := startProcFleet(t, procFleetOptions{
		redisArgs:  []string{"--appendonly", "yes", "--appendfsync", "always"},
		localaws:   []string{"--ses-send-rate", "5"},
		quiet:      20 * time.Second,
		visibility: 4 * time.Second,
	})
	f.startWorkers(1)
	const jobs = 40
	for i := range jobs {
		f.run("publish", "notify.email", "--payload", `{"recipients":["wait`+strconv.Itoa(i)+`@example.org"],`+tablesReadyData+`}`)
	}
	waitFor(t, 30*time.Second, "the first mails", func() bool { return len(f.mailCounts()) >= 4 })
	f.workers[0].kill(t) // eight jobs in hand, most waiting for the rate
	f.restartWorker(0)
	waitFor(t, 60*time.Second, "every job to finish", func() bool { return f.queueDrained() })
	counts := f.mailCounts()
	once := 0
	for i := range jobs {
		switch n := counts["wait"+strconv.Itoa(i)+"@example.org"]; n {
		case 1:
			once++
		default:
			t.Errorf("wait%d@ got %d mails, want 1", i, n)
		}
	}
	tally := f.tallyEffects()
	t.Logf("| one SIGKILL with jobs waiting for the send rate (%d jobs) | 1 | %d | 0 | %d | %d |", jobs, once, jobs-once, tally.settledByEvent+tally.settledByQuiet+tally.unknownLeft)
	if tally.unknownLeft != 0 {
		t.Errorf("%d sends left unknown", tally.unknownLeft)
	}
}
