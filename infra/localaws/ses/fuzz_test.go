package ses

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// discard is a TopicPublisher that accepts everything and keeps nothing.
type discard struct{}

func (discard) PublishToTopic(context.Context, string, string, string) error { return nil }
func (discard) TopicExists(string) bool                                      { return true }

// fuzzService is a service with an identity, a template and a
// configuration set with an SNS destination, and no rate limit.
func fuzzService(f *testing.F) *Service {
	f.Helper()
	s, err := New(Config{Topics: discard{}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	for _, body := range []struct{ route, json string }{
		{"CreateEmailIdentity", `{"EmailIdentity":"example.com"}`},
		{"CreateEmailTemplate", `{"TemplateName":"t","TemplateContent":{"Subject":"Hi {{name}}","Text":"{{a.b}}","Html":"<p>{{{x}}}</p>"}}`},
		{"CreateConfigurationSet", `{"ConfigurationSetName":"w"}`},
	} {
		rq := &request{call: &awsproto.Call{Ctx: context.Background()}, body: []byte(body.json)}
		var e *awsproto.Error
		switch body.route {
		case "CreateEmailIdentity":
			_, e = s.createEmailIdentity(rq)
		case "CreateEmailTemplate":
			_, e = s.createEmailTemplate(rq)
		default:
			_, e = s.createConfigurationSet(rq)
		}
		if e != nil {
			f.Fatalf("%s: %v", body.route, e)
		}
	}
	rq := &request{call: &awsproto.Call{Ctx: context.Background()}, labels: []string{"w"},
		body: []byte(`{"EventDestinationName":"d","EventDestination":{"Enabled":true,"MatchingEventTypes":["SEND","DELIVERY","BOUNCE","COMPLAINT","RENDERING_FAILURE"],"SnsDestination":{"TopicArn":"arn:aws:sns:us-east-1:000000000000:t"}}}`)}
	if _, e := s.createEventDestination(rq); e != nil {
		f.Fatal(e)
	}
	return s
}

// FuzzSendEmailRequest feeds arbitrary SendEmail bodies to the handler: it
// must answer every one with a MessageId or a 4xx error, and never panic.
func FuzzSendEmailRequest(f *testing.F) {
	raw := base64.StdEncoding.EncodeToString([]byte("From: a@example.com\r\nTo: b@example.org, success@simulator.amazonses.com\r\nSubject: =?UTF-8?Q?h=C3=A9?=\r\n\r\nbody"))
	for _, seed := range []string{
		`{"FromEmailAddress":"a@example.com","Destination":{"ToAddresses":["b@example.org"]},"Content":{"Simple":{"Subject":{"Data":"s"},"Body":{"Text":{"Data":"t"}}}}}`,
		`{"FromEmailAddress":"\"A\" <a@example.com>","Destination":{"ToAddresses":["bounce@simulator.amazonses.com","complaint+x@simulator.amazonses.com"],"BccAddresses":["ooto@simulator.amazonses.com"]},"ConfigurationSetName":"w","EmailTags":[{"Name":"job","Value":"j-1"}],"Content":{"Simple":{"Subject":{"Data":"s"},"Body":{"Html":{"Data":"<p>h</p>"}},"Headers":[{"Name":"X-A","Value":"1"}],"Attachments":[{"FileName":"a.csv","RawContent":"YSxiCg==","ContentDisposition":"INLINE","ContentTransferEncoding":"QUOTED_PRINTABLE"}]}}}`,
		`{"Content":{"Raw":{"Data":"` + raw + `"}},"ConfigurationSetName":"w"}`,
		`{"FromEmailAddress":"a@example.com","Destination":{"ToAddresses":["b@example.org"]},"Content":{"Template":{"TemplateName":"t","TemplateData":"{\"name\":\"n\",\"a\":{\"b\":1},\"x\":\"<i>\"}"}}}`,
		`{"FromEmailAddress":"a@example.com","Destination":{"ToAddresses":["b@example.org"]},"Content":{"Template":{"TemplateContent":{"Subject":"{{#if}}"},"TemplateData":"{}"}}}`,
		`{"Content":{}}`, `{}`, `null`, `[]`, `{"Content":{"Simple":null,"Raw":{"Data":""}}}`,
	} {
		f.Add([]byte(seed))
	}
	s := fuzzService(f)
	n := 0
	f.Fuzz(func(t *testing.T, body []byte) {
		rq := &request{
			call: &awsproto.Call{Ctx: context.Background(), Region: "us-east-1"},
			http: httptest.NewRequest("POST", "/v2/email/outbound-emails", nil),
			body: body,
		}
		out, e := s.sendEmail(rq)
		if e != nil {
			if e.Status < 400 || e.Status >= 500 {
				t.Fatalf("status %d (%s: %s) for %q", e.Status, e.Code, e.Message, body)
			}
			return
		}
		if m, ok := out.(map[string]string); !ok || !idRe.MatchString(m["MessageId"]) {
			t.Fatalf("answer %#v for %q", out, body)
		}
		// Keep memory flat over a long run.
		if n++; n%500 == 0 {
			_, _ = s.mail.remove("")
		}
	})
}

// FuzzParseRawMessage checks that any bytes either fail to parse or parse
// into headers that survive being written back and read again, and that
// reading a raw message for sending never panics.
func FuzzParseRawMessage(f *testing.F) {
	for _, seed := range []string{
		"From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nbody",
		"Subject: a\n b\n\nx",
		"From: =?UTF-8?B?w6k=?= <a@example.com>\nTo: undisclosed-recipients:;\n\n",
		"X: y",
		"\r\n\r\n",
		" fold first\r\n\r\n",
		"Bcc: \"q\\\"uoted\" <x@example.org>, (comment) y@example.org\r\nX-SES-MESSAGE-TAGS: a=b, c\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseRawMessage(data)
		if err == nil {
			again, err := parseRawMessage(m.bytes())
			if err != nil {
				t.Fatalf("rewritten message does not parse: %v\n%q", err, m.bytes())
			}
			if len(again.headers) != len(m.headers) {
				t.Fatalf("%d headers became %d", len(m.headers), len(again.headers))
			}
			for i := range m.headers {
				if again.headers[i].Name != m.headers[i].Name || again.headers[i].Value != m.headers[i].Value {
					t.Fatalf("header %d changed: %q → %q", i, m.headers[i], again.headers[i])
				}
			}
			if !bytes.HasSuffix(m.bytes(), m.body) {
				t.Fatal("body changed")
			}
			_ = commonHeadersOf(m.headers, "id")
		}
		d := &draft{}
		if e := d.readRaw(&rawContent{Data: data}); e == nil && d.raw != nil {
			_, _, _ = compose(d, &sendContext{}, "id", time.Now())
		}
	})
}
