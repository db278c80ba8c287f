package sns

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Settable subscription attribute names (reference §3.4).
const (
	attrRawMessageDelivery  = "RawMessageDelivery"
	attrFilterPolicy        = "FilterPolicy"
	attrFilterPolicyScope   = "FilterPolicyScope"
	attrRedrivePolicy       = "RedrivePolicy"
	attrSubDeliveryPolicy   = "DeliveryPolicy"
	attrSubscriptionRoleArn = "SubscriptionRoleArn"
	attrReplayPolicy        = "ReplayPolicy"
)

// subscriptionAttributeNames are the attributes Subscribe and
// SetSubscriptionAttributes take.
var subscriptionAttributeNames = []string{
	attrRawMessageDelivery, attrFilterPolicy, attrFilterPolicyScope, attrRedrivePolicy,
	attrSubDeliveryPolicy, attrSubscriptionRoleArn, attrReplayPolicy,
}

// subscriptionAttributeValue is the effective value of a settable attribute,
// defaults included, for comparing two subscriptions.
func subscriptionAttributeValue(attrs map[string]string, name string) string {
	v, ok := attrs[name]
	switch {
	case ok:
		return v
	case name == attrRawMessageDelivery:
		return "false"
	case name == attrFilterPolicyScope:
		return scopeNameAttributes
	}
	return ""
}

// compileSubscription validates a subscription's attributes and derives
// its delivery configuration. It returns the reason they are invalid, ""
// when they are fine; callers prefix it as their operation words it.
func compileSubscription(attrs map[string]string, fifoTopic bool) (subscriptionConfig, string) {
	var cfg subscriptionConfig
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		if !slices.Contains(subscriptionAttributeNames, k) {
			return cfg, "Unknown attribute " + k
		}
	}
	if v, ok := attrs[attrRawMessageDelivery]; ok {
		b, valid := parseBool(v)
		if !valid {
			return cfg, fmt.Sprintf("RawMessageDelivery: Invalid value [%s]. Must be true or false.", v)
		}
		cfg.raw = b
	}
	scope := scopeAttributes
	if v, ok := attrs[attrFilterPolicyScope]; ok {
		sc, valid := parseFilterScope(v)
		if !valid {
			return cfg, fmt.Sprintf("FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", v)
		}
		scope = sc
	}
	if v, ok := attrs[attrFilterPolicy]; ok && v != "" {
		p, err := parseFilterPolicy(v, scope)
		if err != nil {
			var pe *policyError
			if errors.As(err, &pe) {
				return cfg, pe.reason
			}
			return cfg, "FilterPolicy: " + err.Error()
		}
		cfg.filter = p
	}
	if v, ok := attrs[attrRedrivePolicy]; ok && v != "" {
		dlq, reason := parseRedrivePolicy(v, fifoTopic)
		if reason != "" {
			return cfg, reason
		}
		cfg.dlq = &dlq
	}
	for _, k := range []string{attrSubDeliveryPolicy, attrReplayPolicy} {
		if v, ok := attrs[k]; ok && v != "" {
			var obj map[string]any
			if err := json.Unmarshal([]byte(v), &obj); err != nil || obj == nil {
				return cfg, k + ": failed to parse JSON, a JSON object is required"
			}
		}
	}
	if _, ok := attrs[attrReplayPolicy]; ok && !fifoTopic {
		return cfg, "ReplayPolicy: message replay is only supported for FIFO topics"
	}
	return cfg, ""
}

// parseRedrivePolicy reads {"deadLetterTargetArn":"<sqs arn>"}, the only
// member a subscription's redrive policy has (unlike a queue's, it has no
// maxReceiveCount). A FIFO topic's subscriptions need a FIFO dead-letter
// queue, a standard topic's a standard one.
func parseRedrivePolicy(v string, fifoTopic bool) (queueARN, string) {
	var obj map[string]any
	dec := json.NewDecoder(strings.NewReader(v))
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return queueARN{}, "RedrivePolicy: failed to parse JSON."
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if k != "deadLetterTargetArn" {
			return queueARN{}, fmt.Sprintf("RedrivePolicy: invalid JSON. Attribute %s is unknown.", k)
		}
	}
	target, ok := obj["deadLetterTargetArn"].(string)
	if !ok || target == "" {
		return queueARN{}, "RedrivePolicy: deadLetterTargetArn is missing."
	}
	dlq, ok := parseQueueARN(target)
	if !ok {
		return queueARN{}, "RedrivePolicy: deadLetterTargetArn is an invalid arn"
	}
	switch {
	case fifoTopic && !dlq.fifo():
		return queueARN{}, "RedrivePolicy: must use a FIFO queue as DLQ for a FIFO topic subscription."
	case !fifoTopic && dlq.fifo():
		return queueARN{}, "RedrivePolicy: must use a standard queue as DLQ for a standard topic subscription."
	}
	return dlq, ""
}
