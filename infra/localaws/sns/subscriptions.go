package sns

import (
	"maps"
	"slices"
	"strconv"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// protocolSQS is the one subscription protocol this endpoint delivers to.
const protocolSQS = "sqs"

// knownProtocols are the protocols AWS accepts, for telling a typo from a
// protocol this endpoint does not deliver to.
var knownProtocols = []string{"http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"}

// maxFilterPoliciesPerTopic is AWS's quota of filtered subscriptions.
const maxFilterPoliciesPerTopic = 200

// subscription is one confirmed SQS subscription. attrs holds the settable
// attributes as set; the other fields are derived from them by
// compileSubscription. Guarded by Service.mu.
type subscription struct {
	arn       string
	topicName string
	topicARN  string
	endpoint  queueARN
	attrs     map[string]string
	cfg       subscriptionConfig
}

// subscriptionConfig is what delivery needs from a subscription's
// attributes.
type subscriptionConfig struct {
	raw    bool
	filter *filterPolicy // nil: every message
	dlq    *queueARN     // RedrivePolicy's deadLetterTargetArn, nil when unset
}

// target is a subscription as one publish sees it, copied under the lock.
type target struct {
	subARN   string
	endpoint queueARN
	cfg      subscriptionConfig
}

func (s *subscription) target() target {
	return target{subARN: s.arn, endpoint: s.endpoint, cfg: s.cfg}
}

// lookupSubscriptionLocked resolves a SubscriptionArn: InvalidParameter
// when malformed, NotFound when no such subscription. The caller holds s.mu.
func (s *Service) lookupSubscriptionLocked(arn *string) (*subscription, *awsproto.Error) {
	if arn == nil {
		return nil, errMissing("SubscriptionArn")
	}
	if _, ok := topicARNOfSubscription(*arn); !ok {
		return nil, errInvalidParameter("SubscriptionArn")
	}
	sub := s.subs[*arn]
	if sub == nil {
		return nil, errSubscriptionNotFound()
	}
	return sub, nil
}

func (s *Service) subscribe(in *subscribeInput) (*subscribeResult, *awsproto.Error) {
	switch {
	case in.TopicArn == nil:
		return nil, errMissing("TopicArn")
	case in.Protocol == nil:
		return nil, errMissing("Protocol")
	}
	proto := *in.Protocol
	if proto != protocolSQS {
		if slices.Contains(knownProtocols, proto) {
			return nil, errInvalidParameter("Protocol Reason: this endpoint delivers to sqs subscriptions only, not %s", proto)
		}
		return nil, errInvalidParameter("Amazon SNS does not support this protocol string: %s", proto)
	}
	if in.Endpoint == nil {
		return nil, errInvalidParameter("SQS endpoint ARN")
	}
	endpoint, ok := parseQueueARN(*in.Endpoint)
	if !ok {
		return nil, errInvalidParameter("SQS endpoint ARN")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.lookupTopicLocked(*in.TopicArn)
	if e != nil {
		return nil, e
	}
	if endpoint.fifo() && !t.fifo {
		return nil, errInvalidParameter("Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
	}
	attrs := normalizeSubscriptionAttributes(in.Attributes)
	cfg, reason := compileSubscription(attrs, t.fifo)
	if reason != "" {
		return nil, errInvalidParameter("Attributes Reason: %s", reason)
	}
	for _, arn := range t.subs {
		old := s.subs[arn]
		if old == nil || old.endpoint.ARN != endpoint.ARN {
			continue
		}
		// Subscribing again with the same arguments returns the same
		// subscription.
		for k := range attrs {
			if subscriptionAttributeValue(old.attrs, k) != subscriptionAttributeValue(attrs, k) {
				return nil, errInvalidParameter("Attributes Reason: Subscription already exists with different attributes")
			}
		}
		return &subscribeResult{SubscriptionArn: old.arn}, nil
	}
	if cfg.filter != nil && s.filteredSubscriptionsLocked(t) >= maxFilterPoliciesPerTopic {
		return nil, errFilterPolicyLimit()
	}
	sub := &subscription{
		arn:       t.arn + ":" + awsproto.NewUUID(),
		topicName: t.name,
		topicARN:  t.arn,
		endpoint:  endpoint,
		attrs:     attrs,
		cfg:       cfg,
	}
	s.subs[sub.arn] = sub
	t.subs = append(t.subs, sub.arn)
	s.dirty = true
	// Same-account SQS subscriptions are confirmed at once, so the response
	// carries the ARN whatever ReturnSubscriptionArn says.
	return &subscribeResult{SubscriptionArn: sub.arn}, nil
}

// filteredSubscriptionsLocked counts t's subscriptions with a filter
// policy. The caller holds s.mu.
func (s *Service) filteredSubscriptionsLocked(t *topic) int {
	n := 0
	for _, arn := range t.subs {
		if sub := s.subs[arn]; sub != nil && sub.cfg.filter != nil {
			n++
		}
	}
	return n
}

// unsubscribe removes a subscription. Removing one that does not exist
// succeeds, as on AWS.
func (s *Service) unsubscribe(in *subscriptionARNInput) *awsproto.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, e := s.lookupSubscriptionLocked(in.SubscriptionArn)
	if e != nil {
		if e.Code == codeNotFound {
			return nil
		}
		return e
	}
	s.removeSubscriptionLocked(sub)
	return nil
}

// removeSubscriptionLocked drops sub from the service and its topic. The
// caller holds s.mu.
func (s *Service) removeSubscriptionLocked(sub *subscription) {
	delete(s.subs, sub.arn)
	if t := s.topics[sub.topicName]; t != nil {
		t.subs = slices.DeleteFunc(t.subs, func(a string) bool { return a == sub.arn })
		t.deleted++
	}
	s.dirty = true
}

func (s *Service) confirmSubscription(in *confirmSubscriptionInput) (*subscribeResult, *awsproto.Error) {
	switch {
	case in.TopicArn == nil:
		return nil, errMissing("TopicArn")
	case in.Token == nil:
		return nil, errMissing("Token")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, e := s.lookupTopicLocked(*in.TopicArn); e != nil {
		return nil, e
	}
	// Every subscription here is confirmed when it is made, so no
	// confirmation token is ever outstanding.
	return nil, errInvalidParameter("Invalid token")
}

// subscriptionPage lists the subscriptions arns names in ARN order, a page
// from the token on, and returns the token of the next page ("" after the
// last). The caller holds s.mu.
func (s *Service) subscriptionPage(arns []string, token *string) (subscriptionList, string, *awsproto.Error) {
	from, e := decodeToken(token)
	if e != nil {
		return subscriptionList{}, "", e
	}
	slices.Sort(arns)
	var out subscriptionList
	for _, arn := range arns {
		if arn < from {
			continue
		}
		if len(out.Members) == listPageSize {
			return out, encodeToken(arn), nil
		}
		sub := s.subs[arn]
		out.Members = append(out.Members, subscriptionMember{
			SubscriptionArn: sub.arn, TopicArn: sub.topicARN, Protocol: protocolSQS,
			Endpoint: sub.endpoint.ARN, Owner: s.cfg.AccountID,
		})
	}
	return out, "", nil
}

func (s *Service) listSubscriptions(in *listInput) (*listSubscriptionsResult, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	page, next, e := s.subscriptionPage(slices.Collect(maps.Keys(s.subs)), in.NextToken)
	if e != nil {
		return nil, e
	}
	return &listSubscriptionsResult{Subscriptions: page, NextToken: next}, nil
}

func (s *Service) listSubscriptionsByTopic(in *listByTopicInput) (*listSubscriptionsResult, *awsproto.Error) {
	if in.TopicArn == nil {
		return nil, errMissing("TopicArn")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.lookupTopicLocked(*in.TopicArn)
	if e != nil {
		return nil, e
	}
	page, next, e := s.subscriptionPage(slices.Clone(t.subs), in.NextToken)
	if e != nil {
		return nil, e
	}
	return &listSubscriptionsResult{Subscriptions: page, NextToken: next}, nil
}

func (s *Service) getSubscriptionAttributes(in *subscriptionARNInput) (*attributesResult, *awsproto.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, e := s.lookupSubscriptionLocked(in.SubscriptionArn)
	if e != nil {
		return nil, e
	}
	a := attrMap{
		"SubscriptionArn":              sub.arn,
		"TopicArn":                     sub.topicARN,
		"Owner":                        s.cfg.AccountID,
		"Protocol":                     protocolSQS,
		"Endpoint":                     sub.endpoint.ARN,
		"PendingConfirmation":          "false",
		"ConfirmationWasAuthenticated": "true",
		"SubscriptionPrincipal":        "arn:aws:iam::" + s.cfg.AccountID + ":root",
		attrRawMessageDelivery:         "false",
	}
	for k, v := range sub.attrs {
		a[k] = v
	}
	if _, ok := a[attrFilterPolicy]; ok {
		if _, ok := a[attrFilterPolicyScope]; !ok {
			a[attrFilterPolicyScope] = scopeNameAttributes
		}
	}
	return &attributesResult{Attributes: a}, nil
}

func (s *Service) setSubscriptionAttributes(in *setAttributeInput) *awsproto.Error {
	if in.AttributeName == nil {
		return errMissing("AttributeName")
	}
	name := *in.AttributeName
	if !slices.Contains(subscriptionAttributeNames, name) {
		return errInvalidParameter("AttributeName")
	}
	value := ""
	if in.AttributeValue != nil {
		value = *in.AttributeValue
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, e := s.lookupSubscriptionLocked(in.ResourceArn)
	if e != nil {
		return e
	}
	t := s.topics[sub.topicName]
	if t == nil {
		return errSubscriptionNotFound()
	}
	attrs := maps.Clone(sub.attrs)
	if value == "" && name != attrRawMessageDelivery {
		// An empty value removes the attribute (a filter policy, a
		// redrive policy).
		delete(attrs, name)
	} else {
		attrs[name] = value
	}
	attrs = normalizeSubscriptionAttributes(attrs)
	cfg, reason := compileSubscription(attrs, t.fifo)
	if reason != "" {
		return errInvalidParameter("%s", reason)
	}
	if cfg.filter != nil && sub.cfg.filter == nil && s.filteredSubscriptionsLocked(t) >= maxFilterPoliciesPerTopic {
		return errFilterPolicyLimit()
	}
	sub.attrs, sub.cfg = attrs, cfg
	s.dirty = true
	return nil
}

// normalizeSubscriptionAttributes returns a copy with RawMessageDelivery
// spelled "true" or "false" when it is either in any case, so that stored
// and compared values agree.
func normalizeSubscriptionAttributes(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		if k == attrRawMessageDelivery {
			if b, ok := parseBool(v); ok {
				v = strconv.FormatBool(b)
			}
		}
		out[k] = v
	}
	return out
}
