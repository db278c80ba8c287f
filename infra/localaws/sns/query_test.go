package sns

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

func TestUnknownAction(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	for _, action := range []string{"CreatePlatformApplication", "SendMessage", "", "Publish "} {
		_, e := h.do(action)
		if e == nil || e.Code != "InvalidAction" || e.Status != 400 {
			t.Errorf("%q = %v, want InvalidAction 400", action, e)
		}
	}
}

func TestFormMessageAttributesKeepOrder(t *testing.T) {
	t.Parallel()
	f := form(
		"MessageAttributes.entry.2.Name", "second", "MessageAttributes.entry.2.Value.DataType", "Number", "MessageAttributes.entry.2.Value.StringValue", "2",
		"MessageAttributes.entry.10.Name", "tenth", "MessageAttributes.entry.10.Value.DataType", "Binary", "MessageAttributes.entry.10.Value.BinaryValue", "AAE=",
		"MessageAttributes.entry.1.Name", "first", "MessageAttributes.entry.1.Value.DataType", "String", "MessageAttributes.entry.1.Value.StringValue", "1",
	)
	got, e := formMessageAttributes(f, "MessageAttributes")
	if e != nil {
		t.Fatal(e)
	}
	if len(got) != 3 || got[0].Name != "first" || got[1].Name != "second" || got[2].Name != "tenth" ||
		string(got[2].BinaryValue) != "\x00\x01" || !got[2].hasBinary || got[2].hasString || got[1].StringValue != "2" {
		t.Fatalf("attributes %+v", got)
	}
}

func TestFormTags(t *testing.T) {
	t.Parallel()
	if formTags(form()) != nil {
		t.Error("absent Tags decoded as a list")
	}
	if got := formTags(form("Tags", "")); got == nil || len(got) != 0 {
		t.Errorf("empty Tags = %#v", got)
	}
	got := formTags(form("Tags.member.2.Key", "b", "Tags.member.2.Value", "2", "Tags.member.1.Key", "a"))
	if len(got) != 2 || got[0] != (tag{Key: "a"}) || got[1] != (tag{Key: "b", Value: "2"}) {
		t.Errorf("tags %+v", got)
	}
}

// render writes a result as the endpoint does.
func render(action string, result any) string {
	w := httptest.NewRecorder()
	awsproto.WriteQuery(w, XMLNS, action, "req-1", result)
	return w.Body.String()
}

func TestResultXML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		action string
		result any
		want   string
	}{
		{"CreateTopic", &createTopicResult{TopicArn: "arn:t"}, `<CreateTopicResult><TopicArn>arn:t</TopicArn></CreateTopicResult>`},
		{"ListTopics", &listTopicsResult{}, `<ListTopicsResult><Topics></Topics></ListTopicsResult>`},
		{"ListTopics", &listTopicsResult{Topics: memberList[topicMember]{Members: []topicMember{{"a"}, {"b"}}}, NextToken: "n"},
			`<ListTopicsResult><Topics><member><TopicArn>a</TopicArn></member><member><TopicArn>b</TopicArn></member></Topics><NextToken>n</NextToken></ListTopicsResult>`},
		{"GetTopicAttributes", &attributesResult{Attributes: attrMap{"b": "2", "a": "<1>"}},
			`<GetTopicAttributesResult><Attributes><entry><key>a</key><value>&lt;1&gt;</value></entry><entry><key>b</key><value>2</value></entry></Attributes></GetTopicAttributesResult>`},
		{"Publish", &publishResult{MessageId: "m"}, `<PublishResult><MessageId>m</MessageId></PublishResult>`},
		{"Publish", &publishResult{MessageId: "m", SequenceNumber: "1"}, `<PublishResult><MessageId>m</MessageId><SequenceNumber>1</SequenceNumber></PublishResult>`},
		{"PublishBatch", &publishBatchResult{
			Successful: memberList[batchResultEntry]{Members: []batchResultEntry{{Id: "a", MessageId: "m"}}},
			Failed:     memberList[batchErrorEntry]{Members: []batchErrorEntry{{Id: "b", Code: "c", Message: "x", SenderFault: true}}},
		}, `<PublishBatchResult><Successful><member><Id>a</Id><MessageId>m</MessageId></member></Successful><Failed><member><Id>b</Id><Code>c</Code><Message>x</Message><SenderFault>true</SenderFault></member></Failed></PublishBatchResult>`},
		{"ListSubscriptions", &listSubscriptionsResult{Subscriptions: subscriptionList{Members: []subscriptionMember{{SubscriptionArn: "s", Owner: "o", Protocol: "sqs", Endpoint: "e", TopicArn: "t"}}}},
			`<ListSubscriptionsResult><Subscriptions><member><SubscriptionArn>s</SubscriptionArn><Owner>o</Owner><Protocol>sqs</Protocol><Endpoint>e</Endpoint><TopicArn>t</TopicArn></member></Subscriptions></ListSubscriptionsResult>`},
		{"ListTagsForResource", &listTagsResult{Tags: memberList[tag]{Members: []tag{{"k", "v"}}}},
			`<ListTagsForResourceResult><Tags><member><Key>k</Key><Value>v</Value></member></Tags></ListTagsForResourceResult>`},
		{"TagResource", &emptyResult{}, `<TagResourceResult></TagResourceResult>`},
	}
	for _, tc := range tests {
		got := render(tc.action, tc.result)
		if !strings.Contains(got, `<`+tc.action+`Response xmlns="`+XMLNS+`">`+tc.want+`<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>`) {
			t.Errorf("%s:\n%s\nwant result %s", tc.action, got, tc.want)
		}
	}
}

// TestServeQueryNeverReturnsTypedNil guards the XML writer against a
// non-nil interface holding a nil pointer when an operation fails.
func TestServeQueryNeverReturnsTypedNil(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	for action := range h.svc.ops {
		out, e := h.do(action, "TopicArn", "bad", "SubscriptionArn", "bad", "ResourceArn", "bad")
		if e != nil && out != nil {
			t.Errorf("%s returned %#v with error %v", action, out, e)
		}
	}
}
