package sns

import (
	"encoding/base64"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// The form decoders read the query keys of reference §3.2, which differ
// from SQS's: maps are Attributes.entry.N.key/value, lists of structures
// are Name.member.N.Member, message attributes are
// MessageAttributes.entry.N.Name and .Value.DataType/StringValue/BinaryValue.
// Optional members decode to nil pointers when absent, so that an empty
// value and a missing one stay apart.

type createTopicInput struct {
	Name       *string
	Attributes map[string]string
	Tags       []tag
}

type topicARNInput struct {
	TopicArn *string
}

type listInput struct {
	NextToken *string
}

type listByTopicInput struct {
	TopicArn  *string
	NextToken *string
}

// setAttributeInput is SetTopicAttributes and SetSubscriptionAttributes:
// ResourceArn is the TopicArn or the SubscriptionArn.
type setAttributeInput struct {
	ResourceArn    *string
	AttributeName  *string
	AttributeValue *string
}

type subscribeInput struct {
	TopicArn              *string
	Protocol              *string
	Endpoint              *string
	Attributes            map[string]string
	ReturnSubscriptionArn bool
}

type confirmSubscriptionInput struct {
	TopicArn *string
	Token    *string
}

type subscriptionARNInput struct {
	SubscriptionArn *string
}

// publishInput is Publish: TopicArn holds the TopicArn or, failing that,
// the TargetArn.
type publishInput struct {
	TopicArn    string
	PhoneNumber string
	publishEntry
}

type batchEntry struct {
	Id string
	publishEntry
}

type publishBatchInput struct {
	TopicArn *string
	Entries  []batchEntry
}

type resourceInput struct {
	ResourceArn *string
}

type tagResourceInput struct {
	ResourceArn *string
	Tags        []tag
}

type untagResourceInput struct {
	ResourceArn *string
	TagKeys     []string
}

// formTags reads Tags.member.N.Key/Value; nil when no Tags were sent, empty
// when an empty list was.
func formTags(f awsproto.Form) []tag {
	members := f.Members("Tags.member")
	if len(members) == 0 {
		if f.Has("Tags") {
			return []tag{}
		}
		return nil
	}
	out := make([]tag, 0, len(members))
	for _, m := range members {
		out = append(out, tag{Key: f.Get(m + ".Key"), Value: f.Get(m + ".Value")})
	}
	return out
}

// formAttributes reads Attributes.entry.N.key/value.
func formAttributes(f awsproto.Form) map[string]string {
	return f.Map("Attributes.entry", "key", "value")
}

// formMessageAttributes reads prefix.entry.N.Name/Value.* in index order.
func formMessageAttributes(f awsproto.Form, prefix string) ([]messageAttribute, *awsproto.Error) {
	members := f.Members(prefix + ".entry")
	if len(members) == 0 {
		return nil, nil
	}
	out := make([]messageAttribute, 0, len(members))
	for _, m := range members {
		a := messageAttribute{
			Name:      f.Get(m + ".Name"),
			DataType:  f.Get(m + ".Value.DataType"),
			hasString: f.Has(m + ".Value.StringValue"),
			hasBinary: f.Has(m + ".Value.BinaryValue"),
		}
		a.StringValue = f.Get(m + ".Value.StringValue")
		if a.hasBinary {
			b, err := base64.StdEncoding.DecodeString(f.Get(m + ".Value.BinaryValue"))
			if err != nil {
				return nil, errParameterValueInvalid("The message attribute '%s' has a BinaryValue that is not valid base64.", a.Name)
			}
			a.BinaryValue = b
		}
		out = append(out, a)
	}
	return out, nil
}

// formPublishEntry reads the members a Publish and a PublishBatch entry
// share, under prefix ("" for Publish, "PublishBatchRequestEntries.member.N."
// for an entry).
func formPublishEntry(f awsproto.Form, prefix string) (publishEntry, *awsproto.Error) {
	attrs, e := formMessageAttributes(f, prefix+"MessageAttributes")
	if e != nil {
		return publishEntry{}, e
	}
	return publishEntry{
		Message:                f.StringPtr(prefix + "Message"),
		Subject:                f.StringPtr(prefix + "Subject"),
		MessageStructure:       f.StringPtr(prefix + "MessageStructure"),
		MessageAttributes:      attrs,
		MessageGroupId:         f.StringPtr(prefix + "MessageGroupId"),
		MessageDeduplicationId: f.StringPtr(prefix + "MessageDeduplicationId"),
	}, nil
}

func formPublish(f awsproto.Form) (*publishInput, *awsproto.Error) {
	en, e := formPublishEntry(f, "")
	if e != nil {
		return nil, e
	}
	arn := f.Get("TopicArn")
	if arn == "" {
		arn = f.Get("TargetArn")
	}
	return &publishInput{TopicArn: arn, PhoneNumber: f.Get("PhoneNumber"), publishEntry: en}, nil
}

func formPublishBatch(f awsproto.Form) (*publishBatchInput, *awsproto.Error) {
	in := &publishBatchInput{TopicArn: f.StringPtr("TopicArn")}
	for _, m := range f.Members("PublishBatchRequestEntries.member") {
		en, e := formPublishEntry(f, m+".")
		if e != nil {
			return nil, e
		}
		in.Entries = append(in.Entries, batchEntry{Id: f.Get(m + ".Id"), publishEntry: en})
	}
	return in, nil
}

func (s *Service) queryCreateTopic(_ *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	return nilIfErr(s.createTopic(&createTopicInput{Name: f.StringPtr("Name"), Attributes: formAttributes(f), Tags: formTags(f)}))
}

func (s *Service) queryDeleteTopic(_ *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	return nil, s.deleteTopic(&topicARNInput{TopicArn: f.StringPtr("TopicArn")})
}

func (s *Service) queryListTopics(_ *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	return nilIfErr(s.listTopics(&listInput{NextToken: f.StringPtr("NextToken")}))
}

func (s *Service) queryGetTopicAttributes(_ *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	return nilIfErr(s.getTopicAttributes(&topicARNInput{TopicArn: f.StringPtr("TopicArn")}))
}

func (s *Service) querySetTopicAttributes(_ *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	return nil, s.setTopicAttributes(&setAttributeInput{
		ResourceArn: f.StringPtr("TopicArn"), AttributeName: f.StringPtr("AttributeName"), AttributeValue: f.StringPtr("AttributeValue"),
	})
}

func (s *Service) querySubscribe(_ *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	return nilIfErr(s.subscribe(&subscribeInput{
		TopicArn: f.StringPtr("TopicArn"), Protocol: f.StringPtr("Protocol"), Endpoint: f.StringPtr("Endpoint"),
		Attributes: formAttributes(f), ReturnSubscriptionArn: f.Bool("ReturnSubscriptionArn"),
	}))
}

func (s *Service) queryConfirmSubscription(_ *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	return nilIfErr(s.confirmSubscription(&confirmSubscriptionInput{TopicArn: f.StringPtr("TopicArn"), Token: f.StringPtr("Token")}))
}

func (s *Service) queryUnsubscribe(_ *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	return nil, s.unsubscribe(&subscriptionARNInput{SubscriptionArn: f.StringPtr("SubscriptionArn")})
}

func (s *Service) queryListSubscriptions(_ *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	return nilIfErr(s.listSubscriptions(&listInput{NextToken: f.StringPtr("NextToken")}))
}

func (s *Service) queryListSubscriptionsByTopic(_ *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	return nilIfErr(s.listSubscriptionsByTopic(&listByTopicInput{TopicArn: f.StringPtr("TopicArn"), NextToken: f.StringPtr("NextToken")}))
}

func (s *Service) queryGetSubscriptionAttributes(_ *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	return nilIfErr(s.getSubscriptionAttributes(&subscriptionARNInput{SubscriptionArn: f.StringPtr("SubscriptionArn")}))
}

func (s *Service) querySetSubscriptionAttributes(_ *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	return nil, s.setSubscriptionAttributes(&setAttributeInput{
		ResourceArn: f.StringPtr("SubscriptionArn"), AttributeName: f.StringPtr("AttributeName"), AttributeValue: f.StringPtr("AttributeValue"),
	})
}

func (s *Service) queryPublish(call *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	in, e := formPublish(f)
	if e != nil {
		return nil, e
	}
	return nilIfErr(s.publish(ctxOf(call), in))
}

func (s *Service) queryPublishBatch(call *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	in, e := formPublishBatch(f)
	if e != nil {
		return nil, e
	}
	return nilIfErr(s.publishBatch(ctxOf(call), in))
}

func (s *Service) queryTagResource(_ *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	if e := s.tagResource(&tagResourceInput{ResourceArn: f.StringPtr("ResourceArn"), Tags: formTags(f)}); e != nil {
		return nil, e
	}
	return &emptyResult{}, nil
}

func (s *Service) queryUntagResource(_ *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	keys := f.List("TagKeys.member")
	if keys == nil && f.Has("TagKeys") {
		keys = []string{}
	}
	if e := s.untagResource(&untagResourceInput{ResourceArn: f.StringPtr("ResourceArn"), TagKeys: keys}); e != nil {
		return nil, e
	}
	return &emptyResult{}, nil
}

func (s *Service) queryListTagsForResource(_ *awsproto.Call, f awsproto.Form) (any, *awsproto.Error) {
	return nilIfErr(s.listTagsForResource(&resourceInput{ResourceArn: f.StringPtr("ResourceArn")}))
}

// nilIfErr returns a typed result as an interface that is nil when the
// operation failed, so that a failed call never hands a typed nil pointer
// to the XML writer.
func nilIfErr[T any](out *T, e *awsproto.Error) (any, *awsproto.Error) {
	if e != nil || out == nil {
		return nil, e
	}
	return out, nil
}
