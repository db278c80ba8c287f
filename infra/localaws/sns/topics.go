package sns

import (
	"encoding/base64"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// listPageSize is how many topics or subscriptions one List call returns.
const listPageSize = 100

// topic is one SNS topic. Its fields are guarded by Service.mu, except
// publishMu.
type topic struct {
	name  string
	arn   string
	fifo  bool
	attrs map[string]string // attributes as set (DisplayName, Policy, ...); FifoTopic is fifo
	tags  map[string]string

	subs    []string // subscription ARNs, in subscription order
	deleted int      // subscriptions removed, for SubscriptionsDeleted

	// FIFO topics number their messages and deduplicate within dedupWindow.
	nextSeq uint64
	dedup   map[string]dedupRecord

	// publishMu serialises publishes to a FIFO topic from numbering to the
	// end of delivery, so that queues receive messages in sequence order.
	publishMu sync.Mutex
}

// dedupRecord remembers a FIFO publish for the deduplication window: a
// duplicate is answered with the first publish's ids and not delivered.
type dedupRecord struct {
	MessageID      string    `json:"messageId"`
	SequenceNumber string    `json:"sequenceNumber"`
	Expires        time.Time `json:"expires"`
}

func newTopic(name, arn string, fifo bool) *topic {
	return &topic{
		name: name, arn: arn, fifo: fifo,
		attrs: map[string]string{}, tags: map[string]string{},
		nextSeq: firstSequenceNumber, dedup: map[string]dedupRecord{},
	}
}

func (s *Service) topicARN(name string) string {
	return "arn:aws:sns:" + s.cfg.Region + ":" + s.cfg.AccountID + ":" + name
}

// lookupTopicLocked resolves a TopicArn: InvalidParameter when it is not a
// topic ARN, NotFound when no such topic exists here. The caller holds s.mu.
func (s *Service) lookupTopicLocked(arn string) (*topic, *awsproto.Error) {
	account, name, ok := topicNameFromARN(arn)
	if !ok {
		return nil, errInvalidParameter("TopicArn")
	}
	t := s.topics[name]
	if t == nil || account != s.cfg.AccountID {
		return nil, errTopicNotFound()
	}
	return t, nil
}

func (s *Service) createTopic(in *createTopicInput) (*createTopicResult, *awsproto.Error) {
	if in.Name == nil {
		return nil, errMissing("Name")
	}
	name := *in.Name
	in.Attributes = normalizeTopicAttributes(in.Attributes)
	fifo := false
	if v, ok := in.Attributes[attrFifoTopic]; ok {
		b, valid := parseBool(v)
		if !valid {
			return nil, errInvalidParameter("Attributes Reason: FifoTopic: Invalid value [%s]. Must be true or false.", v)
		}
		fifo = b
	}
	if !validTopicName(name, fifo) {
		if fifo {
			return nil, errInvalidParameter("Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.")
		}
		return nil, errInvalidParameter("Topic Name")
	}
	for _, k := range slices.Sorted(maps.Keys(in.Attributes)) {
		if k == attrFifoTopic {
			continue
		}
		if reason := checkTopicAttribute(k, in.Attributes[k], fifo); reason != "" {
			return nil, errInvalidParameter("Attributes Reason: %s", reason)
		}
	}
	if e := checkTags(in.Tags); e != nil {
		return nil, e
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.topics[name]; t != nil {
		// CreateTopic is idempotent for the same attributes and tags.
		for k, v := range in.Attributes {
			if topicAttributeValue(t, k) != v {
				return nil, errInvalidParameter("Attributes Reason: Topic already exists with different attributes")
			}
		}
		for _, tg := range in.Tags {
			if old, ok := t.tags[tg.Key]; !ok || old != tg.Value {
				return nil, errInvalidParameter("Tags Reason: Topic already exists with different tags")
			}
		}
		return &createTopicResult{TopicArn: t.arn}, nil
	}
	t := newTopic(name, s.topicARN(name), fifo)
	for k, v := range in.Attributes {
		if k != attrFifoTopic {
			t.attrs[k] = v
		}
	}
	for _, tg := range in.Tags {
		t.tags[tg.Key] = tg.Value
	}
	s.topics[name] = t
	s.dirty = true
	return &createTopicResult{TopicArn: t.arn}, nil
}

// deleteTopic removes a topic and its subscriptions. Deleting a topic that
// does not exist succeeds, as on AWS.
func (s *Service) deleteTopic(in *topicARNInput) *awsproto.Error {
	if in.TopicArn == nil {
		return errMissing("TopicArn")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.lookupTopicLocked(*in.TopicArn)
	if e != nil {
		if e.Code == codeNotFound {
			return nil
		}
		return e
	}
	for _, arn := range t.subs {
		delete(s.subs, arn)
	}
	delete(s.topics, t.name)
	s.dirty = true
	return nil
}

// listTopics returns a page of topics in name order. The NextToken is the
// encoded name of the first topic of the next page, so deleting topics
// between pages neither repeats nor skips the others.
func (s *Service) listTopics(in *listInput) (*listTopicsResult, *awsproto.Error) {
	from, e := decodeToken(in.NextToken)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	names := slices.Sorted(maps.Keys(s.topics))
	out := &listTopicsResult{}
	for _, name := range names {
		if name < from {
			continue
		}
		if len(out.Topics.Members) == listPageSize {
			out.NextToken = encodeToken(name)
			break
		}
		out.Topics.Members = append(out.Topics.Members, topicMember{TopicArn: s.topics[name].arn})
	}
	return out, nil
}

func encodeToken(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key))
}

// decodeToken reads a NextToken; an absent token starts at the beginning.
func decodeToken(token *string) (string, *awsproto.Error) {
	if token == nil || *token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*token)
	if err != nil || len(b) == 0 {
		return "", errInvalidParameter("NextToken")
	}
	return string(b), nil
}
