package sqs_test

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/quarry-dev/quarry/infra/localaws"
)

// postForm sends a query-protocol request as the AWS CLI v2.9 does and
// returns the status and body.
func postForm(t *testing.T, endpoint string, form url.Values) (int, string) {
	t.Helper()
	if form.Get("Version") == "" {
		form.Set("Version", "2012-11-05")
	}
	resp, err := http.Post(endpoint, "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "text/xml" {
		t.Fatalf("Content-Type = %q", ct)
	}
	return resp.StatusCode, string(b)
}

type xmlAttr struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

type xmlMessage struct {
	MessageId              string
	ReceiptHandle          string
	MD5OfBody              string
	Body                   string
	Attributes             []xmlAttr `xml:"Attribute"`
	MD5OfMessageAttributes string
	MessageAttributes      []struct {
		Name  string
		Value struct {
			StringValue string
			BinaryValue string
			DataType    string
		}
	} `xml:"MessageAttribute"`
}

type xmlError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestId string
}

func parseXML(t *testing.T, body string, v any) {
	t.Helper()
	if err := xml.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("parsing %s: %v", body, err)
	}
}

func TestQueryProtocol(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	ep := e.ep.URL

	status, body := postForm(t, ep, url.Values{"Action": {"CreateQueue"}, "QueueName": {"cli-jobs"}, "Attribute.1.Name": {"VisibilityTimeout"}, "Attribute.1.Value": {"45"}, "Tag.1.Key": {"team"}, "Tag.1.Value": {"ops"}})
	var created struct {
		XMLName  xml.Name `xml:"CreateQueueResponse"`
		QueueUrl string   `xml:"CreateQueueResult>QueueUrl"`
		ReqID    string   `xml:"ResponseMetadata>RequestId"`
	}
	parseXML(t, body, &created)
	if status != 200 || created.QueueUrl != ep+"/000000000000/cli-jobs" || created.ReqID == "" || !strings.Contains(body, `xmlns="http://queue.amazonaws.com/doc/2012-11-05/"`) {
		t.Fatalf("CreateQueue: %d %s", status, body)
	}
	qurl := created.QueueUrl

	_, body = postForm(t, ep, url.Values{"Action": {"SendMessage"}, "QueueUrl": {qurl}, "MessageBody": {`{"jobId":"j-123"}`},
		"MessageAttribute.1.Name": {"jobType"}, "MessageAttribute.1.Value.DataType": {"String"}, "MessageAttribute.1.Value.StringValue": {"pdf-extract"},
		"MessageAttribute.2.Name": {"blob"}, "MessageAttribute.2.Value.DataType": {"Binary"}, "MessageAttribute.2.Value.BinaryValue": {"SGVsbG8gYmluYXJ5IHdvcmxkIQ=="},
	})
	var sent struct {
		MessageId              string `xml:"SendMessageResult>MessageId"`
		MD5OfMessageBody       string `xml:"SendMessageResult>MD5OfMessageBody"`
		MD5OfMessageAttributes string `xml:"SendMessageResult>MD5OfMessageAttributes"`
	}
	parseXML(t, body, &sent)
	if sent.MessageId == "" || sent.MD5OfMessageBody != md5hex(`{"jobId":"j-123"}`) || len(sent.MD5OfMessageAttributes) != 32 {
		t.Fatalf("SendMessage: %s", body)
	}

	_, body = postForm(t, ep, url.Values{"Action": {"ReceiveMessage"}, "QueueUrl": {qurl}, "MaxNumberOfMessages": {"10"}, "AttributeName.1": {"All"}, "MessageAttributeName.1": {"All"}})
	var recv struct {
		Messages []xmlMessage `xml:"ReceiveMessageResult>Message"`
	}
	parseXML(t, body, &recv)
	if len(recv.Messages) != 1 {
		t.Fatalf("ReceiveMessage: %s", body)
	}
	m := recv.Messages[0]
	attrs := map[string]string{}
	for _, a := range m.Attributes {
		attrs[a.Name] = a.Value
	}
	if m.Body != `{"jobId":"j-123"}` || m.MessageId != sent.MessageId || m.MD5OfMessageAttributes != sent.MD5OfMessageAttributes ||
		attrs["ApproximateReceiveCount"] != "1" || attrs["SentTimestamp"] == "" || len(m.MessageAttributes) != 2 {
		t.Fatalf("received message: %+v\n%s", m, body)
	}
	for _, a := range m.MessageAttributes {
		if a.Name == "blob" && (a.Value.BinaryValue != "SGVsbG8gYmluYXJ5IHdvcmxkIQ==" || a.Value.DataType != "Binary") {
			t.Fatalf("binary attribute in XML: %+v", a)
		}
	}

	// An empty receive still has its (empty) result element.
	_, body = postForm(t, ep, url.Values{"Action": {"ReceiveMessage"}, "QueueUrl": {qurl}})
	if !strings.Contains(body, "<ReceiveMessageResult></ReceiveMessageResult>") {
		t.Fatalf("empty ReceiveMessage: %s", body)
	}

	_, body = postForm(t, ep, url.Values{"Action": {"GetQueueAttributes"}, "QueueUrl": {qurl}, "AttributeName.1": {"VisibilityTimeout"}, "AttributeName.2": {"ApproximateNumberOfMessagesNotVisible"}})
	var ga struct {
		Attrs []xmlAttr `xml:"GetQueueAttributesResult>Attribute"`
	}
	parseXML(t, body, &ga)
	if len(ga.Attrs) != 2 || ga.Attrs[0] != (xmlAttr{"ApproximateNumberOfMessagesNotVisible", "1"}) || ga.Attrs[1] != (xmlAttr{"VisibilityTimeout", "45"}) {
		t.Fatalf("GetQueueAttributes: %s", body)
	}

	_, body = postForm(t, ep, url.Values{"Action": {"ListQueueTags"}, "QueueUrl": {qurl}})
	if !strings.Contains(body, "<Tag><Key>team</Key><Value>ops</Value></Tag>") {
		t.Fatalf("ListQueueTags: %s", body)
	}

	// Batches: flattened result entries, partial failure.
	_, body = postForm(t, ep, url.Values{"Action": {"DeleteMessageBatch"}, "QueueUrl": {qurl},
		"DeleteMessageBatchRequestEntry.1.Id": {"ok"}, "DeleteMessageBatchRequestEntry.1.ReceiptHandle": {m.ReceiptHandle},
		"DeleteMessageBatchRequestEntry.2.Id": {"bad"}, "DeleteMessageBatchRequestEntry.2.ReceiptHandle": {"garbage"},
	})
	var del struct {
		OK     []string `xml:"DeleteMessageBatchResult>DeleteMessageBatchResultEntry>Id"`
		Failed []struct {
			Id          string
			SenderFault bool
			Code        string
		} `xml:"DeleteMessageBatchResult>BatchResultErrorEntry"`
	}
	parseXML(t, body, &del)
	if len(del.OK) != 1 || del.OK[0] != "ok" || len(del.Failed) != 1 || del.Failed[0].Code != "ReceiptHandleIsInvalid" || !del.Failed[0].SenderFault {
		t.Fatalf("DeleteMessageBatch: %s", body)
	}

	_, body = postForm(t, ep, url.Values{"Action": {"SendMessageBatch"}, "QueueUrl": {qurl},
		"SendMessageBatchRequestEntry.1.Id": {"a"}, "SendMessageBatchRequestEntry.1.MessageBody": {"one"},
		"SendMessageBatchRequestEntry.1.MessageAttribute.1.Name": {"jobType"}, "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType": {"String"},
		"SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue": {"pdf-extract"},
		"SendMessageBatchRequestEntry.2.Id":                                   {"b"}, "SendMessageBatchRequestEntry.2.MessageBody": {"two"}, "SendMessageBatchRequestEntry.2.DelaySeconds": {"1"},
	})
	var batch struct {
		Entries []struct {
			Id                     string
			MD5OfMessageAttributes string
		} `xml:"SendMessageBatchResult>SendMessageBatchResultEntry"`
	}
	parseXML(t, body, &batch)
	if len(batch.Entries) != 2 || batch.Entries[0].MD5OfMessageAttributes != "5415ebf34d04831dd7019c8319fe2622" {
		t.Fatalf("SendMessageBatch: %s", body)
	}

	// Operations without output have no result element.
	status, body = postForm(t, ep, url.Values{"Action": {"PurgeQueue"}, "QueueUrl": {qurl}})
	if status != 200 || strings.Contains(body, "PurgeQueueResult") || !strings.Contains(body, "<PurgeQueueResponse") {
		t.Fatalf("PurgeQueue: %d %s", status, body)
	}

	// A request sent to the queue URL path names the queue by the path.
	status, body = postForm(t, qurl, url.Values{"Action": {"GetQueueAttributes"}, "AttributeName.1": {"QueueArn"}})
	if status != 200 || !strings.Contains(body, "arn:aws:sqs:us-east-1:000000000000:cli-jobs") {
		t.Fatalf("request to the queue URL: %d %s", status, body)
	}

	_, body = postForm(t, ep, url.Values{"Action": {"ListQueues"}})
	if !strings.Contains(body, "<ListQueuesResult><QueueUrl>"+qurl+"</QueueUrl></ListQueuesResult>") {
		t.Fatalf("ListQueues: %s", body)
	}
}

func TestQueryErrors(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	ep := e.ep.URL
	for _, tc := range []struct {
		name    string
		form    url.Values
		status  int
		code    string
		message string
	}{
		{"missing queue", url.Values{"Action": {"GetQueueUrl"}, "QueueName": {"nope"}}, 400, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist for this wsdl version."},
		{"unknown action", url.Values{"Action": {"FooBar"}}, 400, "InvalidAction", "The action FooBar is not valid for this endpoint."},
		{"missing parameter", url.Values{"Action": {"CreateQueue"}}, 400, "MissingParameter", "The request must contain the parameter QueueName."},
		{"bad integer", url.Values{"Action": {"ReceiveMessage"}, "QueueUrl": {"q"}, "MaxNumberOfMessages": {"ten"}}, 400, "InvalidParameterValue", ""},
		{"bad handle", url.Values{"Action": {"DeleteMessage"}, "QueueUrl": {"q"}, "ReceiptHandle": {"garbage"}}, 404, "ReceiptHandleIsInvalid", `The input receipt handle "garbage" is not a valid receipt handle.`},
		{"too many entries", tooManyEntriesForm(), 400, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent 11."},
		{"bad base64", url.Values{"Action": {"SendMessage"}, "QueueUrl": {"q"}, "MessageBody": {"x"}, "MessageAttribute.1.Name": {"b"}, "MessageAttribute.1.Value.DataType": {"Binary"}, "MessageAttribute.1.Value.BinaryValue": {"%%%"}}, 400, "InvalidParameterValue", ""},
	} {
		if tc.name != "missing queue" && tc.name != "unknown action" && tc.name != "missing parameter" {
			e.createQueue("q", nil)
		}
		status, body := postForm(t, ep, tc.form)
		var xe xmlError
		parseXML(t, body, &xe)
		if status != tc.status || xe.Error.Code != tc.code || xe.Error.Type != "Sender" || xe.RequestId == "" || (tc.message != "" && xe.Error.Message != tc.message) {
			t.Errorf("%s: %d %s", tc.name, status, body)
		}
	}
}

func tooManyEntriesForm() url.Values {
	f := url.Values{"Action": {"SendMessageBatch"}, "QueueUrl": {"q"}}
	for i := 1; i <= 11; i++ {
		n := "SendMessageBatchRequestEntry." + itoa(i)
		f.Set(n+".Id", "e"+itoa(i))
		f.Set(n+".MessageBody", "b")
	}
	return f
}

// postJSON sends an AWS JSON 1.0 request as the SDKs do.
func postJSON(t *testing.T, endpoint, action, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
	req.Header.Set("X-Amzn-Query-Mode", "true")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s answered %q: %v", action, raw, err)
	}
	return resp, out
}

func TestJSONWire(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	ep := e.ep.URL
	for _, tc := range []struct {
		name, action, body string
		status             int
		typ, queryCode     string
	}{
		{"missing queue", "GetQueueUrl", `{"QueueName":"nope"}`, 400, "com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue;Sender"},
		{"malformed", "CreateQueue", `{"QueueName":`, 400, "com.amazonaws.sqs#SerializationException", "SerializationException;Sender"},
		{"wrong type", "CreateQueue", `{"QueueName":5}`, 400, "com.amazonaws.sqs#SerializationException", "SerializationException;Sender"},
		{"unknown operation", "FooBar", `{}`, 400, "com.amazonaws.sqs#UnknownOperationException", "InvalidAction;Sender"},
		{"invalid parameter", "ReceiveMessage", `{"QueueUrl":"nope","MaxNumberOfMessages":11}`, 400, "com.amazonaws.sqs#InvalidParameterValueException", "InvalidParameterValue;Sender"},
		{"missing parameter", "SendMessage", `{}`, 400, "com.amazonaws.sqs#MissingRequiredParameterException", "MissingParameter;Sender"},
	} {
		resp, out := postJSON(t, ep, tc.action, tc.body)
		if resp.StatusCode != tc.status || out["__type"] != tc.typ || resp.Header.Get("x-amzn-query-error") != tc.queryCode || out["message"] == "" || resp.Header.Get("x-amzn-RequestId") == "" {
			t.Errorf("%s: %d %v %q", tc.name, resp.StatusCode, out, resp.Header.Get("x-amzn-query-error"))
		}
	}
	if out := e.createQueue("wire", nil); out == "" {
		t.Fatal("no queue")
	}
	resp, out := postJSON(t, ep, "ReceiveMessage", `{"QueueUrl":"wire"}`)
	if resp.StatusCode != 200 || len(out) != 0 {
		t.Fatalf("empty receive = %d %v, want {}", resp.StatusCode, out)
	}
	_, out = postJSON(t, ep, "SendMessage", `{"QueueUrl":"wire","MessageBody":"msg"}`)
	if out["MD5OfMessageBody"] != "6e2baaf3b97dbeef01c0043275f9a0e7" || len(out) != 2 {
		t.Fatalf("SendMessage = %v, want just MessageId and MD5OfMessageBody", out)
	}
	_, out = postJSON(t, ep, "ListDeadLetterSourceQueues", `{"QueueUrl":"wire"}`)
	if urls, ok := out["queueUrls"].([]any); !ok || len(urls) != 0 {
		t.Fatalf("ListDeadLetterSourceQueues = %v, want queueUrls: []", out)
	}
	_, out = postJSON(t, ep, "DeleteQueue", `{"QueueUrl":"wire"}`)
	if len(out) != 0 {
		t.Fatalf("DeleteQueue = %v, want {}", out)
	}
}
