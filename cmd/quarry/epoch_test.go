package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/redis/go-redis/v9"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
)

// get returns the status and body of url, or 0 when it does not answer.
func get(url string) (int, string) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// infra apply writes the epoch record; a worker that later finds it gone
// (Redis lost its data) fails /healthz, reports quarry_redis_epoch_lost and
// sends no mail; a worker started afterwards starts with its guard closed,
// because the blob bucket still remembers the epoch.
func TestEpochGuardStopsMailAfterRedisLostItsData(t *testing.T) {
	ep := localawstest.Start(t, localaws.Config{SESMaxSendRate: 50})
	useRedis(t)
	t.Setenv("QUARRY_NOTIFY_FROM", "Quarry <results@quarry.example>")
	out := runQuarry(t, "infra", "apply", "--endpoint-url", ep.URL)
	if !strings.Contains(out, "redis-epoch") {
		t.Fatalf("infra apply wrote no epoch record:\n%s", out)
	}
	opts, err := redis.ParseURL(cfgFromEnv(t).RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	epochKey := cfgFromEnv(t).RedisPrefix + "epoch"
	if rdb.Get(context.Background(), epochKey).Val() == "" {
		t.Fatalf("no epoch record at %s after infra apply", epochKey)
	}

	metricsAddr := freeAddr(t)
	startWorker(t, "--roles", "notify,ses-events", "--endpoint-url", ep.URL, "--metrics-addr", metricsAddr)
	data := `"template":"tables-ready","template_data":{"pdf_key":"jobs/x/doc.pdf","tables":1,"pages":1,"failed_pages":[],"outputs":[]}`
	runQuarry(t, "publish", "notify.email", "--endpoint-url", ep.URL, "--payload", `{"recipients":["before@example.org"],`+data+`}`)
	waitUntil(t, 30*time.Second, "the first mail", func() bool { return len(mailTo(t, ep.URL, "before@example.org")) == 1 })
	if code, _ := get("http://" + metricsAddr + "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz %d before the loss, want 200", code)
	}

	// Redis restarts empty: the epoch record is gone (with everything else
	// under the prefix).
	if err := rdb.Del(context.Background(), epochKey).Err(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "/healthz to fail", func() bool {
		code, body := get("http://" + metricsAddr + "/healthz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "Redis lost its data")
	})
	if _, body := get("http://" + metricsAddr + "/metrics"); !strings.Contains(body, "\nquarry_redis_epoch_lost 1\n") {
		t.Error("quarry_redis_epoch_lost is not 1")
	}
	runQuarry(t, "publish", "notify.email", "--endpoint-url", ep.URL, "--payload", `{"recipients":["after@example.org"],`+data+`}`)

	// A worker started now finds the bucket's epoch missing from Redis.
	second := freeAddr(t)
	startWorker(t, "--roles", "notify", "--endpoint-url", ep.URL, "--metrics-addr", second)
	waitUntil(t, 30*time.Second, "the new worker's /healthz to fail", func() bool {
		code, body := get("http://" + second + "/healthz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "Redis lost its data")
	})
	// The job waits in the queue (given back with a delay if a worker had
	// already received it when its guard closed; held by the gates after).
	q, err := ep.SQS().GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String("quarry-notify")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := ep.SQS().GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	visible := attrs.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)]
	hidden := attrs.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)]
	if visible+"+"+hidden != "1+0" && visible+"+"+hidden != "0+1" {
		t.Errorf("the notify queue holds %s visible and %s hidden messages, want the one job the guard holds back", visible, hidden)
	}
	if n := len(mailTo(t, ep.URL, "after@example.org")); n != 0 {
		t.Errorf("after@ got %d mails after Redis lost its data", n)
	}

	// A person accepts the loss: the epoch is written anew.
	out = runQuarry(t, "redis", "reset-epoch", "--yes", "--endpoint-url", ep.URL)
	if !strings.Contains(out, "redis-epoch") || rdb.Get(context.Background(), epochKey).Val() == "" {
		t.Errorf("reset-epoch wrote no epoch: %q", out)
	}
}

// cfgFromEnv reads the configuration the commands see.
func cfgFromEnv(t *testing.T) Config {
	t.Helper()
	c, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
