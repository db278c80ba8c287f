package sns

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// Topic attribute names (reference §3.3).
const (
	attrTopicArn                  = "TopicArn"
	attrOwner                     = "Owner"
	attrPolicy                    = "Policy"
	attrDisplayName               = "DisplayName"
	attrDeliveryPolicy            = "DeliveryPolicy"
	attrEffectiveDeliveryPolicy   = "EffectiveDeliveryPolicy"
	attrSubscriptionsConfirmed    = "SubscriptionsConfirmed"
	attrSubscriptionsPending      = "SubscriptionsPending"
	attrSubscriptionsDeleted      = "SubscriptionsDeleted"
	attrSignatureVersion          = "SignatureVersion"
	attrTracingConfig             = "TracingConfig"
	attrKmsMasterKeyID            = "KmsMasterKeyId"
	attrFifoTopic                 = "FifoTopic"
	attrContentBasedDeduplication = "ContentBasedDeduplication"
	attrFifoThroughputScope       = "FifoThroughputScope"
	attrArchivePolicy             = "ArchivePolicy"
	attrDataProtectionPolicy      = "DataProtectionPolicy"
)

// feedbackProtocols prefix the delivery-status logging attributes
// (SQSSuccessFeedbackRoleArn, HTTPFailureFeedbackRoleArn, ...), which are
// stored and returned but have no effect here.
var feedbackProtocols = []string{"Application", "Firehose", "HTTP", "Lambda", "SQS"}

// defaultEffectiveDeliveryPolicy is what AWS reports for a topic without a
// DeliveryPolicy.
const defaultEffectiveDeliveryPolicy = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`

// defaultTopicPolicy is the access policy AWS gives a new topic: the owner
// may do everything.
func (s *Service) defaultTopicPolicy(arn string) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"` +
		arn + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + s.cfg.AccountID + `"}}}]}`
}

// parseBool reads "true" or "false" in any case.
func parseBool(v string) (b, ok bool) {
	switch strings.ToLower(v) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// normalizeTopicAttributes returns a copy with the boolean attributes
// spelled "true" or "false" when they are either in any case, so that
// stored and compared values agree.
func normalizeTopicAttributes(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		if k == attrFifoTopic || k == attrContentBasedDeduplication {
			if b, ok := parseBool(v); ok {
				v = strconv.FormatBool(b)
			}
		}
		out[k] = v
	}
	return out
}

// isFeedbackAttribute reports whether name is one of the delivery-status
// logging attributes.
func isFeedbackAttribute(name string) bool {
	for _, p := range feedbackProtocols {
		switch name {
		case p + "SuccessFeedbackRoleArn", p + "FailureFeedbackRoleArn", p + "SuccessFeedbackSampleRate":
			return true
		}
	}
	return false
}

// checkTopicAttribute validates one settable topic attribute (not
// FifoTopic, which only CreateTopic takes). It returns the reason it is
// invalid, "" when it is fine; callers prefix it as their operation words
// it.
func checkTopicAttribute(name, value string, fifo bool) string {
	switch name {
	case attrDisplayName:
		if utf8.RuneCountInString(value) > 100 {
			return "DisplayName: must be at most 100 characters long"
		}
	case attrPolicy, attrDeliveryPolicy, attrArchivePolicy, attrDataProtectionPolicy:
		if value == "" {
			return ""
		}
		var obj map[string]any
		if err := json.Unmarshal([]byte(value), &obj); err != nil || obj == nil {
			return name + ": failed to parse JSON, a JSON object is required"
		}
		if name == attrArchivePolicy && !fifo {
			return "ArchivePolicy: message archiving is only supported for FIFO topics"
		}
	case attrSignatureVersion:
		if value != "1" && value != "2" {
			return fmt.Sprintf("SignatureVersion: Invalid value [%s]. Must be 1 or 2.", value)
		}
	case attrTracingConfig:
		if value != "PassThrough" && value != "Active" {
			return fmt.Sprintf("TracingConfig: Invalid value [%s]. Must be PassThrough or Active.", value)
		}
	case attrKmsMasterKeyID:
	case attrContentBasedDeduplication:
		if _, ok := parseBool(value); !ok {
			return fmt.Sprintf("ContentBasedDeduplication: Invalid value [%s]. Must be true or false.", value)
		}
		if !fifo {
			return "The topic should be a FIFO topic to use ContentBasedDeduplication"
		}
	case attrFifoThroughputScope:
		if value != "Topic" && value != "MessageGroup" {
			return fmt.Sprintf("FifoThroughputScope: Invalid value [%s]. Please use either Topic or MessageGroup", value)
		}
		if !fifo {
			return "The topic should be a FIFO topic to use FifoThroughputScope"
		}
	default:
		if !isFeedbackAttribute(name) {
			return "Unknown attribute " + name
		}
		if strings.HasSuffix(name, "SampleRate") {
			if n, err := strconv.Atoi(value); err != nil || n < 0 || n > 100 {
				return name + ": must be an integer from 0 to 100"
			}
		}
	}
	return ""
}

// topicAttributeValue is the value GetTopicAttributes reports for name,
// defaults included; CreateTopic compares against it.
func topicAttributeValue(t *topic, name string) string {
	switch name {
	case attrFifoTopic:
		return strconv.FormatBool(t.fifo)
	case attrContentBasedDeduplication:
		if v, ok := t.attrs[name]; ok {
			b, _ := parseBool(v)
			return strconv.FormatBool(b)
		}
		return "false"
	case attrSignatureVersion:
		if v, ok := t.attrs[name]; ok {
			return v
		}
		return "1"
	}
	return t.attrs[name]
}

// contentBasedDedup reports whether a FIFO topic derives deduplication ids
// from message bodies.
func (t *topic) contentBasedDedup() bool {
	b, _ := parseBool(t.attrs[attrContentBasedDeduplication])
	return b
}

// dedupPerGroup reports whether deduplication is scoped to the message
// group (FifoThroughputScope=MessageGroup) rather than the topic.
func (t *topic) dedupPerGroup() bool { return t.attrs[attrFifoThroughputScope] == "MessageGroup" }

// signatureVersion is "1" (SHA1withRSA) or "2" (SHA256withRSA).
func (t *topic) signatureVersion() string { return topicAttributeValue(t, attrSignatureVersion) }

func (s *Service) getTopicAttributes(in *topicARNInput) (*attributesResult, *awsproto.Error) {
	if in.TopicArn == nil {
		return nil, errMissing("TopicArn")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.lookupTopicLocked(*in.TopicArn)
	if e != nil {
		return nil, e
	}
	a := attrMap{
		attrTopicArn:                t.arn,
		attrOwner:                   s.cfg.AccountID,
		attrPolicy:                  s.defaultTopicPolicy(t.arn),
		attrDisplayName:             "",
		attrEffectiveDeliveryPolicy: defaultEffectiveDeliveryPolicy,
		attrSubscriptionsConfirmed:  strconv.Itoa(len(t.subs)),
		attrSubscriptionsPending:    "0",
		attrSubscriptionsDeleted:    strconv.Itoa(t.deleted),
	}
	for k, v := range t.attrs {
		a[k] = v
	}
	if p := t.attrs[attrDeliveryPolicy]; p != "" {
		a[attrEffectiveDeliveryPolicy] = p
	}
	if t.fifo {
		a[attrFifoTopic] = "true"
		a[attrContentBasedDeduplication] = topicAttributeValue(t, attrContentBasedDeduplication)
	}
	return &attributesResult{Attributes: a}, nil
}

func (s *Service) setTopicAttributes(in *setAttributeInput) *awsproto.Error {
	if in.ResourceArn == nil {
		return errMissing("TopicArn")
	}
	if in.AttributeName == nil {
		return errMissing("AttributeName")
	}
	value := ""
	if in.AttributeValue != nil {
		value = *in.AttributeValue
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.lookupTopicLocked(*in.ResourceArn)
	if e != nil {
		return e
	}
	name := *in.AttributeName
	if name == attrFifoTopic {
		return errInvalidParameter("AttributeName")
	}
	if reason := checkTopicAttribute(name, value, t.fifo); reason != "" {
		if strings.HasPrefix(reason, "Unknown attribute") {
			return errInvalidParameter("AttributeName")
		}
		return errInvalidParameter("%s", reason)
	}
	if value == "" && name != attrDisplayName {
		delete(t.attrs, name)
	} else {
		t.attrs[name] = normalizeTopicAttributes(map[string]string{name: value})[name]
	}
	s.dirty = true
	return nil
}
