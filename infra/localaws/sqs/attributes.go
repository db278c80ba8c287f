package sqs

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// Queue attribute names (reference §1.2).
const (
	attrDelaySeconds           = "DelaySeconds"
	attrMaximumMessageSize     = "MaximumMessageSize"
	attrMessageRetentionPeriod = "MessageRetentionPeriod"
	attrReceiveWaitTime        = "ReceiveMessageWaitTimeSeconds"
	attrVisibilityTimeout      = "VisibilityTimeout"
	attrPolicy                 = "Policy"
	attrRedrivePolicy          = "RedrivePolicy"
	attrRedriveAllowPolicy     = "RedriveAllowPolicy"
	attrFifoQueue              = "FifoQueue"
	attrContentBasedDedup      = "ContentBasedDeduplication"
	attrDeduplicationScope     = "DeduplicationScope"
	attrFifoThroughputLimit    = "FifoThroughputLimit"
	attrSqsManagedSse          = "SqsManagedSseEnabled"
	attrKmsMasterKeyID         = "KmsMasterKeyId"
	attrKmsDataKeyReuse        = "KmsDataKeyReusePeriodSeconds"

	attrQueueArn          = "QueueArn"
	attrApproxMessages    = "ApproximateNumberOfMessages"
	attrApproxNotVisible  = "ApproximateNumberOfMessagesNotVisible"
	attrApproxDelayed     = "ApproximateNumberOfMessagesDelayed"
	attrCreatedTimestamp  = "CreatedTimestamp"
	attrModifiedTimestamp = "LastModifiedTimestamp"
	attrAll               = "All"
)

// maxVisibility is the longest visibility timeout, and the cap on a
// message's total visibility after one receive: 12 hours.
const maxVisibility = 43200

// attrSpec describes one settable queue attribute.
type attrSpec struct {
	fifoOnly bool
	// def is the default for a new queue; "" means unset.
	def string
	// check validates a value and returns its normalized form. Values that
	// refer to other queues (RedrivePolicy) are checked by the service.
	check func(v string) (string, error)
}

func intRange(lo, hi int) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			return "", fmt.Errorf("must be an integer from %d to %d", lo, hi)
		}
		return strconv.Itoa(n), nil
	}
}

func boolValue(v string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return "true", nil
	case "false":
		return "false", nil
	}
	return "", fmt.Errorf("must be true or false")
}

func oneOf(values ...string) func(string) (string, error) {
	return func(v string) (string, error) {
		for _, ok := range values {
			if v == ok {
				return v, nil
			}
		}
		return "", fmt.Errorf("must be one of %s", strings.Join(values, ", "))
	}
}

func jsonDocument(maxLen int) func(string) (string, error) {
	return func(v string) (string, error) {
		if v == "" {
			return "", nil
		}
		if len(v) > maxLen {
			return "", fmt.Errorf("must be at most %d bytes", maxLen)
		}
		if !json.Valid([]byte(v)) {
			return "", fmt.Errorf("must be a JSON document")
		}
		return v, nil
	}
}

func anyString(v string) (string, error) { return v, nil }

// attrSpecs lists the settable attributes. The read-only ones are not here:
// setting them is an unknown attribute, as on AWS.
func attrSpecs() map[string]attrSpec {
	return map[string]attrSpec{
		attrDelaySeconds:           {def: "0", check: intRange(0, 900)},
		attrMaximumMessageSize:     {def: strconv.Itoa(maxMessageSize), check: intRange(1024, maxMessageSize)},
		attrMessageRetentionPeriod: {def: "345600", check: intRange(60, 1209600)},
		attrReceiveWaitTime:        {def: "0", check: intRange(0, 20)},
		attrVisibilityTimeout:      {def: "30", check: intRange(0, maxVisibility)},
		attrPolicy:                 {check: jsonDocument(8192)},
		attrRedrivePolicy:          {check: anyString},
		attrRedriveAllowPolicy:     {check: anyString},
		attrFifoQueue:              {check: boolValue},
		attrContentBasedDedup:      {fifoOnly: true, def: "false", check: boolValue},
		attrDeduplicationScope:     {fifoOnly: true, def: "queue", check: oneOf("queue", "messageGroup")},
		attrFifoThroughputLimit:    {fifoOnly: true, def: "perQueue", check: oneOf("perQueue", "perMessageGroupId")},
		attrSqsManagedSse:          {def: "true", check: boolValue},
		attrKmsMasterKeyID:         {check: anyString},
		attrKmsDataKeyReuse:        {check: intRange(60, 86400)},
	}
}

// readOnlyAttrNames are the attributes GetQueueAttributes returns but
// nobody can set.
func readOnlyAttrNames() []string {
	return []string{attrQueueArn, attrApproxMessages, attrApproxNotVisible, attrApproxDelayed, attrCreatedTimestamp, attrModifiedTimestamp}
}

// queueConfig is a queue's attributes parsed for use on every message.
type queueConfig struct {
	delay             time.Duration
	maxSize           int
	retention         time.Duration
	wait              time.Duration
	visibility        time.Duration
	redrive           *redrivePolicy
	contentBasedDedup bool
	groupScopedDedup  bool
}

// parseConfig derives the queue's working configuration from its normalized
// attributes.
func parseConfig(attrs map[string]string) queueConfig {
	num := func(name string) int { n, _ := strconv.Atoi(attrs[name]); return n }
	c := queueConfig{
		delay:             time.Duration(num(attrDelaySeconds)) * time.Second,
		maxSize:           num(attrMaximumMessageSize),
		retention:         time.Duration(num(attrMessageRetentionPeriod)) * time.Second,
		wait:              time.Duration(num(attrReceiveWaitTime)) * time.Second,
		visibility:        time.Duration(num(attrVisibilityTimeout)) * time.Second,
		contentBasedDedup: attrs[attrContentBasedDedup] == "true",
		groupScopedDedup:  attrs[attrDeduplicationScope] == "messageGroup",
	}
	if rp := attrs[attrRedrivePolicy]; rp != "" {
		c.redrive, _ = parseRedrivePolicy(rp)
	}
	return c
}

// validateAttributes checks the attributes of a CreateQueue (current is nil)
// or of a SetQueueAttributes on a queue with the current attributes, and
// returns them normalized. self is the ARN of the queue itself, which may
// not be its own dead-letter queue.
func (s *Service) validateAttributes(in map[string]string, fifo bool, current map[string]string, self string) (map[string]string, *awsproto.Error) {
	creating := current == nil
	specs := attrSpecs()
	out := make(map[string]string, len(in))
	for name, v := range in {
		spec, ok := specs[name]
		if !ok {
			return nil, errInvalidAttributeName("Unknown Attribute %s.", name)
		}
		if spec.fifoOnly && !fifo {
			if name == attrContentBasedDedup {
				return nil, errInvalidAttributeName("Unknown Attribute %s.", name)
			}
			return nil, errInvalidAttributeName("You can specify the %s only when FifoQueue is set to true.", name)
		}
		norm, err := spec.check(v)
		if err != nil {
			return nil, errInvalidAttributeValue("Invalid value for the parameter %s. Reason: %v.", name, err)
		}
		switch name {
		case attrFifoQueue:
			if !creating || (norm == "true") != fifo {
				return nil, errInvalidAttributeValue("Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")
			}
		case attrRedrivePolicy:
			if norm, ok = s.checkRedrivePolicy(v, fifo, self); !ok {
				return nil, errInvalidParameter("Value %s for parameter RedrivePolicy is invalid. Reason: %s", v, norm)
			}
		case attrRedriveAllowPolicy:
			if norm, ok = checkRedriveAllowPolicy(v); !ok {
				return nil, errInvalidParameter("Value %s for parameter RedriveAllowPolicy is invalid. Reason: %s", v, norm)
			}
		}
		out[name] = norm
	}
	if fifo {
		// Judge the combination the queue will have once these are applied.
		pick := func(name string) string {
			if v, ok := out[name]; ok {
				return v
			}
			if current != nil {
				return current[name]
			}
			return attrSpecs()[name].def
		}
		if pick(attrFifoThroughputLimit) == "perMessageGroupId" && pick(attrDeduplicationScope) != "messageGroup" {
			return nil, errInvalidAttributeValue("Invalid value for the parameter FifoThroughputLimit. Reason: The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup.")
		}
	}
	return out, nil
}

// defaultAttributes are the attributes of a new queue before the caller's.
func defaultAttributes(fifo bool) map[string]string {
	out := map[string]string{}
	for name, spec := range attrSpecs() {
		if spec.def != "" && (fifo || !spec.fifoOnly) {
			out[name] = spec.def
		}
	}
	if fifo {
		out[attrFifoQueue] = "true"
	}
	return out
}

// queueAttributes answers GetQueueAttributes for the given names (All for
// every attribute that applies to the queue). Unset attributes are left
// out.
func (s *Service) queueAttributes(q *queue, names []string) (attrMap, *awsproto.Error) {
	specs := attrSpecs()
	all := false
	for _, n := range names {
		if n == attrAll {
			all = true
			continue
		}
		if _, ok := specs[n]; ok {
			continue
		}
		known := false
		for _, ro := range readOnlyAttrNames() {
			known = known || ro == n
		}
		if !known {
			return nil, errInvalidAttributeName("Unknown Attribute %s.", n)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	value := func(n string) (string, bool) {
		switch n {
		case attrQueueArn:
			return q.arn, true
		case attrApproxMessages:
			return strconv.Itoa(q.nVisible), true
		case attrApproxNotVisible:
			return strconv.Itoa(q.inflight.Len()), true
		case attrApproxDelayed:
			return strconv.Itoa(q.delayed.Len()), true
		case attrCreatedTimestamp:
			return strconv.FormatInt(q.created.Unix(), 10), true
		case attrModifiedTimestamp:
			return strconv.FormatInt(q.modified.Unix(), 10), true
		}
		v, ok := q.attrs[n]
		return v, ok && v != ""
	}
	out := attrMap{}
	add := func(n string) {
		if v, ok := value(n); ok {
			out[n] = v
		}
	}
	if all {
		for _, n := range readOnlyAttrNames() {
			add(n)
		}
		for n := range specs {
			add(n)
		}
	}
	for _, n := range names {
		if n != attrAll {
			add(n)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
