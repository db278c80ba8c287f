package sns

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// FuzzFilterPolicy parses arbitrary policies in both scopes and evaluates
// the valid ones against attributes and bodies: nothing may panic, and a
// policy must parse the same way twice.
func FuzzFilterPolicy(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"a":["x",1,true,null]}`, `{"a":[{"prefix":"p"},{"suffix":"s"},{"equals-ignore-case":"E"}]}`,
		`{"a":[{"anything-but":["x",1]}],"b":[{"anything-but":{"prefix":"t"}}]}`,
		`{"n":[{"numeric":[">",0,"<=",5]},{"numeric":["=",3]}]}`, `{"e":[{"exists":false}],"ip":[{"cidr":"10.0.0.0/8"}]}`,
		`{"$or":[{"a":["x"]},{"b":{"c":["y"]}}]}`, `{"a":{"b":{"c":[{"numeric":["<",1e9]}]}}}`,
		`{"a":[{"numeric":[">",5,"<",1]}]}`, `{"a":[]}`, `[`, `{"a":[[]]}`, `{"a":[{"cidr":"::/0"}]}`,
	} {
		f.Add(seed, `{"a":"x","b":{"c":"y"},"n":3,"ip":"10.1.2.3","arr":[1,"x",{"c":"y"}]}`)
	}
	f.Fuzz(func(t *testing.T, policy, body string) {
		msgAttrs := attrs("a", "String", "x", "n", "Number", "3", "arr", "String.Array", body, "ip", "String", "10.1.2.3", "bin", "Binary", "b")
		for _, scope := range []filterScope{scopeAttributes, scopeBody} {
			p, err := parseFilterPolicy(policy, scope)
			p2, err2 := parseFilterPolicy(policy, scope)
			if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
				t.Fatalf("parsing %q twice: %v then %v", policy, err, err2)
			}
			if err != nil {
				var pe *policyError
				if !errors.As(err, &pe) {
					t.Fatalf("error %T %v is not a policy error", err, err)
				}
				continue
			}
			first := newFilterMessage(body, msgAttrs).matches(p)
			if second := newFilterMessage(body, msgAttrs).matches(p2); first != second {
				t.Fatalf("policy %q on %q matched %v then %v", policy, body, first, second)
			}
		}
	})
}

// FuzzQueryRequest serves arbitrary form bodies to a service holding a
// standard and a FIFO topic with filtered, raw and enveloped subscriptions,
// and renders whatever comes back: nothing may panic.
func FuzzQueryRequest(f *testing.F) {
	std, fifo := topicARNOf("t"), topicARNOf("f.fifo")
	for _, seed := range []string{
		"Action=CreateTopic&Name=x&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=y&Tags.member.1.Key=k&Tags.member.1.Value=v",
		"Action=Publish&TopicArn=" + url.QueryEscape(std) + "&Message=m&Subject=s&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=x",
		"Action=Publish&TopicArn=" + url.QueryEscape(std) + "&MessageStructure=json&Message=%7B%22default%22%3A%22d%22%7D",
		"Action=Publish&TopicArn=" + url.QueryEscape(fifo) + "&Message=m&MessageGroupId=g&MessageDeduplicationId=d",
		"Action=PublishBatch&TopicArn=" + url.QueryEscape(std) + "&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=m",
		"Action=Subscribe&TopicArn=" + url.QueryEscape(std) + "&Protocol=sqs&Endpoint=arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3Aq&Attributes.entry.1.key=FilterPolicy&Attributes.entry.1.value=%7B%22a%22%3A%5B%22x%22%5D%7D",
		"Action=SetSubscriptionAttributes&SubscriptionArn=" + url.QueryEscape(std) + "%3Ax&AttributeName=FilterPolicy&AttributeValue=%7B%7D",
		"Action=ListTopics&NextToken=dA", "Action=ListSubscriptionsByTopic&TopicArn=" + url.QueryEscape(std),
		"Action=GetTopicAttributes&TopicArn=" + url.QueryEscape(fifo), "Action=TagResource&ResourceArn=" + url.QueryEscape(std) + "&Tags.member.1.Key=a",
		"Action=DeleteTopic&TopicArn=" + url.QueryEscape(std), "Action=Bogus",
	} {
		f.Add(seed)
	}
	shared := newSigner() // one RSA key for every iteration
	f.Fuzz(func(t *testing.T, body string) {
		vals, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		svc, err := New(Config{Queues: &recorder{}})
		if err != nil {
			t.Fatal(err)
		}
		svc.signer = shared
		setup := []url.Values{
			{"Action": {"CreateTopic"}, "Name": {"t"}},
			{"Action": {"CreateTopic"}, "Name": {"f.fifo"}, "Attributes.entry.1.key": {"FifoTopic"}, "Attributes.entry.1.value": {"true"}},
			{"Action": {"Subscribe"}, "TopicArn": {std}, "Protocol": {"sqs"}, "Endpoint": {queueARNOf("raw")},
				"Attributes.entry.1.key": {"RawMessageDelivery"}, "Attributes.entry.1.value": {"true"}},
			{"Action": {"Subscribe"}, "TopicArn": {std}, "Protocol": {"sqs"}, "Endpoint": {queueARNOf("body")},
				"Attributes.entry.1.key": {"FilterPolicyScope"}, "Attributes.entry.1.value": {"MessageBody"},
				"Attributes.entry.2.key": {"FilterPolicy"}, "Attributes.entry.2.value": {`{"a":[{"exists":true}]}`}},
			{"Action": {"Subscribe"}, "TopicArn": {fifo}, "Protocol": {"sqs"}, "Endpoint": {queueARNOf("q.fifo")}},
		}
		for _, v := range setup {
			if _, e := svc.ServeQuery(&awsproto.Call{Ctx: context.Background(), Action: v.Get("Action")}, awsproto.Form{Values: v}); e != nil {
				t.Fatalf("setup %v: %v", v, e)
			}
		}
		call := &awsproto.Call{Ctx: context.Background(), Action: vals.Get("Action"), RequestID: "r"}
		out, e := svc.ServeQuery(call, awsproto.Form{Values: vals})
		w := httptest.NewRecorder()
		if e != nil {
			if out != nil {
				t.Fatalf("%s returned a result with error %v", call.Action, e)
			}
			awsproto.WriteQueryError(w, XMLNS, "r", e)
			return
		}
		awsproto.WriteQuery(w, XMLNS, call.Action, "r", out)
		if w.Code != 200 {
			t.Fatalf("%s: rendering the result failed: %s", call.Action, w.Body.String())
		}
	})
}
