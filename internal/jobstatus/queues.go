package jobstatus

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/infra/localaws"
)

// Queues is what `quarry status` shows without a job id: every queue
// of the topology with its DLQ. `quarry dev` prints it at the end of a run.
type Queues struct {
	// TakenAt is when the counts were read (the caller's clock).
	TakenAt time.Time `json:"taken_at"`
	// AgeSource says where oldest-message ages come from: "localaws" (its
	// /_localaws/queues view) or "" when they are not available.
	AgeSource string `json:"age_source,omitempty"`
	// AgeNote says why ages are not available, when they are not.
	AgeNote string      `json:"age_note,omitempty"`
	Queues  []RoleQueue `json:"queues"`
}

// RoleQueue is one role's queue and its dead-letter queue.
type RoleQueue struct {
	Role  string `json:"role"`
	Queue Depth  `json:"queue"`
	DLQ   Depth  `json:"dlq"`
}

// Depth is one queue's counts as SQS reports them (approximate on
// AWS) and the age of its oldest message.
type Depth struct {
	Name     string `json:"name"`
	Visible  int    `json:"visible"`
	InFlight int    `json:"in_flight"`
	Delayed  int    `json:"delayed"`
	// OldestAgeSeconds is the age of the oldest stored message (0 for an
	// empty queue); null when the endpoint cannot tell (AWS: the CloudWatch
	// metric ApproximateAgeOfOldestMessage, which Quarry does not read).
	OldestAgeSeconds *float64 `json:"oldest_age_seconds"`
}

// Total is every message the queue holds.
func (d Depth) Total() int { return d.Visible + d.InFlight + d.Delayed }

// CollectQueues reads the depth of every queue of the topology and its
// DLQ, and the age of their oldest messages when the endpoint is localaws.
// endpoint is the SQS endpoint in use (--endpoint-url, AWS_ENDPOINT_URL);
// empty means AWS, where ages are not available.
func CollectQueues(ctx context.Context, src Source, endpoint string) (Queues, error) {
	rep := Queues{TakenAt: time.Now().UTC()}
	ages, note := oldestAges(ctx, endpoint)
	if ages != nil {
		rep.AgeSource = "localaws"
	} else {
		rep.AgeNote = note
	}
	depth := func(name string) (Depth, error) {
		url, err := src.Topology.QueueURL(ctx, src.SQS, name)
		if err != nil {
			return Depth{}, err
		}
		attrs, err := src.queueAttrs(ctx, url,
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			types.QueueAttributeNameApproximateNumberOfMessagesDelayed)
		if err != nil {
			return Depth{}, err
		}
		count := func(attr types.QueueAttributeName) (int, error) {
			n, err := strconv.Atoi(attrs[string(attr)])
			if err != nil {
				return 0, fmt.Errorf("queue %s: attribute %s is %q, not a count", name, attr, attrs[string(attr)])
			}
			return n, nil
		}
		d := Depth{Name: name}
		if d.Visible, err = count(types.QueueAttributeNameApproximateNumberOfMessages); err != nil {
			return d, err
		}
		if d.InFlight, err = count(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible); err != nil {
			return d, err
		}
		if d.Delayed, err = count(types.QueueAttributeNameApproximateNumberOfMessagesDelayed); err != nil {
			return d, err
		}
		if age, ok := ages[name]; ok {
			d.OldestAgeSeconds = &age
		}
		return d, nil
	}
	for _, q := range src.Topology.Queues {
		main, err := depth(q.Name)
		if err != nil {
			return rep, err
		}
		dlq, err := depth(q.DLQName())
		if err != nil {
			return rep, err
		}
		rep.Queues = append(rep.Queues, RoleQueue{Role: q.Role, Queue: main, DLQ: dlq})
	}
	return rep, nil
}

// oldestAges asks the endpoint's /_localaws/queues view for the age of each
// queue's oldest message, by queue name. SQS's API has no such figure, so
// any other endpoint, and AWS, get nil and a note saying why.
func oldestAges(ctx context.Context, endpoint string) (map[string]float64, string) {
	if endpoint == "" {
		return nil, "SQS's API does not give the oldest message's age; on AWS see the CloudWatch metric ApproximateAgeOfOldestMessage"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	url := strings.TrimRight(endpoint, "/") + "/_localaws/queues"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Sprintf("the endpoint's URL %q is not usable: %v", endpoint, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Sprintf("reading %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Sprintf("the endpoint is not localaws (%s answered %s), and SQS's API does not give the oldest message's age", url, resp.Status)
	}
	var v localaws.QueuesView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.Now.IsZero() {
		return nil, fmt.Sprintf("the endpoint is not localaws (%s answered no queues view), and SQS's API does not give the oldest message's age", url)
	}
	ages := make(map[string]float64, len(v.Queues))
	for _, q := range v.Queues {
		ages[q.Name] = q.OldestAgeSeconds
	}
	return ages, ""
}
