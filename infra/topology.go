package infra

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/quarry-dev/quarry/messages"
)

// Topology is everything Quarry needs to exist in AWS before workers start.
type Topology struct {
	// JobsTopic receives every job; subscriptions fan jobs out by job_type.
	JobsTopic string
	// EventsTopic receives SES events from the configuration set.
	EventsTopic string
	// Queues, one per role, each with its dead-letter queue.
	Queues []Queue
	// ConfigurationSet is the SES configuration set sends go through; its
	// events (bounce, complaint, delivery...) are published to EventsTopic.
	ConfigurationSet string
	// BlobBucket is the S3 bucket for fetched PDFs and extracted tables.
	BlobBucket string
	// SenderIdentity is the SES identity (a domain, or one address) the
	// notify stage sends from, attached to ConfigurationSet. Apply creates
	// it when it is missing; on AWS a new domain identity then waits for
	// its DKIM DNS records before it can send. Empty: leave identities alone.
	SenderIdentity string
}

// Queue is one role's work queue and its dead-letter queue.
type Queue struct {
	// Role names the worker role that consumes the queue (fetch, extract,
	// notify, ses-events).
	Role string
	// Name of the queue; its DLQ is Name + "-dlq".
	Name string
	// Topic is the topic the queue subscribes to.
	Topic string
	// JobTypes are the job_type values routed to the queue; empty takes
	// everything the topic carries (the SES events queue).
	JobTypes []string
	// RawDelivery delivers the published message as the SQS body, with SNS
	// attributes as SQS attributes. Job queues use it; the SES events queue
	// keeps the SNS envelope, which carries the topic and message id.
	RawDelivery bool
	// VisibilityTimeout is how long a received job stays hidden; the worker's
	// heartbeat extends it for long jobs.
	VisibilityTimeout time.Duration
	// Retention of the work queue; the DLQ keeps messages for DLQRetention,
	// which must be longer since SQS keeps the original enqueue time.
	Retention    time.Duration
	DLQRetention time.Duration
	// MaxReceiveCount is how many receives a message gets before SQS moves it
	// to the DLQ.
	MaxReceiveCount int
	// Concurrency is the default number of jobs one worker process runs at
	// once for this role.
	Concurrency int
	// Unroutable marks the queue that catches what no other queue of its
	// topic takes: jobs with a job_type no stage handles, or none at all.
	// No worker consumes it; it is read, and emptied, like a DLQ. It has no
	// DLQ of its own, JobTypes, MaxReceiveCount or Concurrency.
	Unroutable bool
}

// DLQName is the name of the queue's dead-letter queue: Name + "-dlq", or,
// for the unroutable queue, which is a dead end itself, Name.
func (q Queue) DLQName() string {
	if q.Unroutable {
		return q.Name
	}
	return q.Name + "-dlq"
}

// Retention limits SQS accepts.
const (
	minRetention = time.Minute
	maxRetention = 14 * 24 * time.Hour
)

// DefaultTopology is Quarry's standard topology.
func DefaultTopology() Topology {
	const (
		jobs   = "quarry-jobs"
		events = "quarry-ses-events"
	)
	q := func(role string, jobTypes []string, raw bool, vis time.Duration, conc int) Queue {
		name := "quarry-" + role
		topic := jobs
		if role == RoleSESEvents {
			topic = events
		}
		return Queue{
			Role: role, Name: name, Topic: topic, JobTypes: jobTypes, RawDelivery: raw,
			VisibilityTimeout: vis, Retention: 4 * 24 * time.Hour, DLQRetention: maxRetention,
			MaxReceiveCount: 5, Concurrency: conc,
		}
	}
	return Topology{
		JobsTopic:   jobs,
		EventsTopic: events,
		Queues: []Queue{
			q(RoleFetch, []string{messages.TypeFetchDocument}, true, 2*time.Minute, 8),
			q(RoleExtract, []string{messages.TypeExtractTables}, true, 5*time.Minute, 2),
			q(RoleNotify, []string{messages.TypeNotifyEmail}, true, time.Minute, 8),
			q(RoleSESEvents, nil, false, 30*time.Second, 8),
			{
				Role: RoleUnroutable, Name: "quarry-unroutable", Topic: jobs, RawDelivery: true, Unroutable: true,
				VisibilityTimeout: 30 * time.Second, Retention: maxRetention, DLQRetention: maxRetention,
			},
		},
		ConfigurationSet: "quarry",
		BlobBucket:       "quarry-blobs",
	}
}

// Roles of the worker fleet.
const (
	RoleFetch     = "fetch"
	RoleExtract   = "extract"
	RoleNotify    = "notify"
	RoleSESEvents = "ses-events"
	// RoleUnroutable names the unroutable queue; no worker runs it.
	RoleUnroutable = "unroutable"
)

// Queue returns the queue of a role.
func (t Topology) Queue(role string) (Queue, bool) {
	i := slices.IndexFunc(t.Queues, func(q Queue) bool { return q.Role == role })
	if i < 0 {
		return Queue{}, false
	}
	return t.Queues[i], true
}

// Validate reports the first thing wrong with the topology, naming it.
func (t Topology) Validate() error {
	if t.JobsTopic == "" {
		return errors.New("topology: jobs topic has no name")
	}
	if t.EventsTopic == "" {
		return errors.New("topology: events topic has no name")
	}
	seen := map[string]bool{}
	unroutable := map[string]bool{}
	for _, q := range t.Queues {
		if q.Unroutable {
			switch {
			case q.Role == "" || q.Name == "":
				return fmt.Errorf("topology: unroutable queue %q of role %q needs a name and a role", q.Name, q.Role)
			case seen[q.Role]:
				return fmt.Errorf("topology: role %s has two queues", q.Role)
			case q.Topic != t.JobsTopic:
				return fmt.Errorf("topology: unroutable queue %s must subscribe to the jobs topic %s", q.Name, t.JobsTopic)
			case unroutable[q.Topic]:
				return fmt.Errorf("topology: topic %s has two unroutable queues", q.Topic)
			case len(q.JobTypes) > 0:
				return fmt.Errorf("topology: unroutable queue %s takes what no other queue does; it lists no job types", q.Name)
			case q.Retention < minRetention || q.Retention > maxRetention:
				return fmt.Errorf("topology: queue %s: retention %v is outside 1m..336h", q.Name, q.Retention)
			}
			seen[q.Role], unroutable[q.Topic] = true, true
			continue
		}
		switch {
		case q.Role == "":
			return fmt.Errorf("topology: queue %q has no role", q.Name)
		case q.Name == "":
			return fmt.Errorf("topology: queue of role %s has no name", q.Role)
		case seen[q.Role]:
			return fmt.Errorf("topology: role %s has two queues", q.Role)
		case q.Topic != t.JobsTopic && q.Topic != t.EventsTopic:
			return fmt.Errorf("topology: queue %s subscribes to unknown topic %q", q.Name, q.Topic)
		case q.VisibilityTimeout < 0 || q.VisibilityTimeout > messages.MaxVisibilityTimeout:
			return fmt.Errorf("topology: queue %s: visibility timeout %v is outside 0s..12h", q.Name, q.VisibilityTimeout)
		case q.Retention < minRetention || q.Retention > maxRetention:
			return fmt.Errorf("topology: queue %s: retention %v is outside 1m..336h", q.Name, q.Retention)
		case q.DLQRetention < q.Retention || q.DLQRetention > maxRetention:
			return fmt.Errorf("topology: queue %s: DLQ retention %v must be at least the queue's %v and at most 336h", q.Name, q.DLQRetention, q.Retention)
		case q.MaxReceiveCount < 1 || q.MaxReceiveCount > 1000:
			return fmt.Errorf("topology: queue %s: maxReceiveCount %d is outside 1..1000", q.Name, q.MaxReceiveCount)
		case q.Concurrency < 1:
			return fmt.Errorf("topology: queue %s: concurrency %d must be at least 1", q.Name, q.Concurrency)
		case q.Topic == t.JobsTopic && len(q.JobTypes) == 0:
			return fmt.Errorf("topology: job queue %s routes no job types", q.Name)
		}
		seen[q.Role] = true
	}
	return nil
}
