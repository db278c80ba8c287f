package messages

import (
	"bytes"
	"encoding/json"
	"testing"
)

// topLevelByMap is how topLevel used to read an object: decoded in full
// into a map. topLevel must agree with it on every input.
func topLevelByMap(field string, data []byte) (topKeys, error) {
	if err := mustBeObject(field, data); err != nil {
		return topKeys{}, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return topKeys{}, jsonError(field, err)
	}
	_, typ := m["Type"]
	_, arn := m["TopicArn"]
	_, event := m["eventType"]
	nt, notification := m["notificationType"]
	return topKeys{typ: typ, topicARN: arn, eventType: event, notificationType: notification, notificationTypeValue: nt}, nil
}

func checkTopLevel(t *testing.T, data []byte) {
	t.Helper()
	got, gotErr := topLevel("body", data)
	want, wantErr := topLevelByMap("body", data)
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Fatalf("topLevel(%q) error %v, want %v", data, gotErr, wantErr)
	}
	if got.typ != want.typ || got.topicARN != want.topicARN || got.eventType != want.eventType ||
		got.notificationType != want.notificationType || !bytes.Equal(got.notificationTypeValue, want.notificationTypeValue) {
		t.Fatalf("topLevel(%q) = %+v, want %+v", data, got, want)
	}
}

var topLevelCases = []string{
	`{}`,
	` { "Type" : "Notification" , "TopicArn":"arn" } `,
	`{"type":"job","topicarn":"x"}`,
	`{"T\u0079pe":1}`,
	`{"\"Type":1,"Type\\":2}`,
	`{"notificationType":"Bounce","notificationType":"AmazonSnsSubscriptionSucceeded"}`,
	`{"notificationType":"AmazonSnsSubscriptionSucceeded","notificationType":"Bounce"}`,
	`{"notificationType":"Amazon\u0053nsSubscriptionSucceeded"}`,
	`{"a":{"Type":1,"b":[1,{"eventType":2}]},"c":"}\"{","eventType":null}`,
	`{"a":[],"b":{},"c":-1.5e3,"d":true,"e":false,"TopicArn":""}`,
	`{"a":1,}`,
	`{"a" 1}`,
	`{"Type":"x"`,
	`{"Type":"x"} trailing`,
	`[1,2]`,
	`null`,
	"{\"\xff\":1,\"Type\":\"\xfe\"}",
	`{"a":"\ud800","Type":1}`,
}

func TestTopLevelAgreesWithAFullDecode(t *testing.T) {
	t.Parallel()
	for _, c := range topLevelCases {
		checkTopLevel(t, []byte(c))
	}
}

func FuzzTopLevel(f *testing.F) {
	for _, c := range topLevelCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkTopLevel(t, data) })
}

func checkIsCanonical(t *testing.T, raw []byte) {
	t.Helper()
	canon, err := canonicalJSON(raw)
	if err != nil {
		return // isCanonical only speaks of valid JSON
	}
	if got, want := isCanonical(raw), bytes.Equal(canon, raw); got != want {
		t.Fatalf("isCanonical(%q) = %v, but canonicalJSON gives %q", raw, got, canon)
	}
}

var canonicalCases = []string{
	`{"a":1}`,
	`{"a": 1}`,
	"{\"a\":1}\n",
	`{"a":"x y"}`,
	`{"a":"<b>"}`,
	`{"a":"\u003c"}`,
	`{"a":"\"} {"}`,
	`{"a":"\\","b" :1}`,
	"{\"a\":\"\u2028\"}",
	"{\"a\":\"\u2027\u202a\"}",
	`[1, 2]`,
	`"s"`,
	` 1`,
}

func TestIsCanonicalAgreesWithCanonicalJSON(t *testing.T) {
	t.Parallel()
	for _, c := range canonicalCases {
		checkIsCanonical(t, []byte(c))
	}
}

func FuzzIsCanonical(f *testing.F) {
	for _, c := range canonicalCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkIsCanonical(t, raw) })
}
