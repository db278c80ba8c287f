package ses_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/quarry-dev/quarry/infra/localaws"
)

func TestSendEmailValidation(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	e.verify(t, "example.com")
	e.verify(t, "solo@example.net")
	c := ctx(t)

	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("r%d@example.org", i)
	}
	withSimple := func(mod func(in *sesv2.SendEmailInput)) *sesv2.SendEmailInput {
		in := simple("reports@example.com", []string{"jane@example.org"}, "Subject", "Body")
		mod(in)
		return in
	}
	type check func(t *testing.T, err error)
	badRequest := func(msg string) check {
		return func(t *testing.T, err error) { wantErr[*types.BadRequestException](t, err, msg) }
	}
	tests := []struct {
		name string
		in   *sesv2.SendEmailInput
		want check
	}{
		{"missing from", withSimple(func(in *sesv2.SendEmailInput) { in.FromEmailAddress = nil }), badRequest("FromEmailAddress is required")},
		{"bad from", withSimple(func(in *sesv2.SendEmailInput) { in.FromEmailAddress = aws.String("not-an-address") }), badRequest("Invalid FromEmailAddress")},
		{"no recipients", withSimple(func(in *sesv2.SendEmailInput) { in.Destination = nil }), badRequest("no recipients")},
		{"51 recipients", withSimple(func(in *sesv2.SendEmailInput) { in.Destination.ToAddresses = many }), badRequest("Recipient count exceeds 50")},
		{"bad recipient", withSimple(func(in *sesv2.SendEmailInput) { in.Destination.CcAddresses = []string{"jane at example"} }), badRequest("Destination.CcAddresses")},
		{"non-ASCII recipient", withSimple(func(in *sesv2.SendEmailInput) { in.Destination.ToAddresses = []string{"jöhn@example.org"} }), badRequest("non-ASCII")},
		{"bad reply-to", withSimple(func(in *sesv2.SendEmailInput) { in.ReplyToAddresses = []string{"@"} }), badRequest("ReplyToAddresses")},
		{"two contents", withSimple(func(in *sesv2.SendEmailInput) {
			in.Content.Raw = &types.RawMessage{Data: []byte("From: a@example.com\r\n\r\nx")}
		}), badRequest("exactly one of Simple, Raw or Template")},
		{"bad tag", withSimple(func(in *sesv2.SendEmailInput) {
			in.EmailTags = []types.MessageTag{{Name: aws.String("job"), Value: aws.String("a@b")}}
		}), badRequest("EmailTags")},
		{"reserved header", withSimple(func(in *sesv2.SendEmailInput) {
			in.Content.Simple.Headers = []types.MessageHeader{{Name: aws.String("Subject"), Value: aws.String("x")}}
		}), badRequest("Header Subject cannot be set")},
		{"header injection", withSimple(func(in *sesv2.SendEmailInput) {
			in.Content.Simple.Headers = []types.MessageHeader{{Name: aws.String("X-Job"), Value: aws.String("1\r\nBcc: x@example.org")}}
		}), badRequest("printable ASCII")},
		{"executable attachment", withSimple(func(in *sesv2.SendEmailInput) {
			in.Content.Simple.Attachments = []types.Attachment{{FileName: aws.String("run.exe"), RawContent: []byte("MZ")}}
		}), func(t *testing.T, err error) { wantErr[*types.MessageRejected](t, err, "run.exe") }},
		{"unknown configuration set", withSimple(func(in *sesv2.SendEmailInput) { in.ConfigurationSetName = aws.String("nope") }),
			func(t *testing.T, err error) {
				wantErr[*types.NotFoundException](t, err, "Configuration set nope does not exist")
			}},
		{"unknown template", &sesv2.SendEmailInput{
			FromEmailAddress: aws.String("reports@example.com"), Destination: &types.Destination{ToAddresses: []string{"a@example.org"}},
			Content: &types.EmailContent{Template: &types.Template{TemplateName: aws.String("missing"), TemplateData: aws.String("{}")}},
		}, func(t *testing.T, err error) {
			wantErr[*types.NotFoundException](t, err, "Template missing does not exist")
		}},
		{"bad template data", &sesv2.SendEmailInput{
			FromEmailAddress: aws.String("reports@example.com"), Destination: &types.Destination{ToAddresses: []string{"a@example.org"}},
			Content: &types.EmailContent{Template: &types.Template{TemplateContent: &types.EmailTemplateContent{Subject: aws.String("x")}, TemplateData: aws.String("[1,2")}},
		}, badRequest("Invalid TemplateData")},
		{"unverified from", withSimple(func(in *sesv2.SendEmailInput) { in.FromEmailAddress = aws.String("Ops <ops@unverified.example>") }),
			func(t *testing.T, err error) {
				wantErr[*types.MessageRejected](t, err, "Email address is not verified. The following identities failed the check in region US-EAST-1: ops@unverified.example")
			}},
		{"verified address, other address at its domain", withSimple(func(in *sesv2.SendEmailInput) { in.FromEmailAddress = aws.String("other@example.net") }),
			func(t *testing.T, err error) { wantErr[*types.MessageRejected](t, err, "other@example.net") }},
		{"garbage raw", &sesv2.SendEmailInput{
			Destination: &types.Destination{ToAddresses: []string{"a@example.org"}},
			Content:     &types.EmailContent{Raw: &types.RawMessage{Data: []byte("this is not a MIME message")}},
		}, badRequest("not a valid MIME message")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.ses.SendEmail(c, tt.in)
			if err == nil {
				t.Fatal("SendEmail succeeded")
			}
			if httpStatus(err) >= 500 {
				t.Fatalf("server error: %v", err)
			}
			tt.want(t, err)
		})
	}

	// Sending from a verified address, from an address at a verified domain
	// (or a subdomain of one) and to simulator addresses works.
	e.send(t, simple("solo@example.net", []string{"jane@example.org"}, "s", "b"))
	e.send(t, simple("Reports <reports@mail.example.com>", []string{"bounce+job-1@simulator.amazonses.com"}, "s", "b"))
	if n := len(e.mailList(t, "")); n != 2 {
		t.Errorf("mailbox holds %d messages, want only the 2 accepted ones", n)
	}

	// Malformed JSON and the error headers, as the SDKs read them.
	status, errType, body := e.rawREST(t, http.MethodPost, "/v2/email/outbound-emails", `{"Content":`)
	if status != http.StatusBadRequest || errType != "BadRequestException" || !strings.Contains(body, `"message"`) {
		t.Errorf("malformed JSON: %d %q %s", status, errType, body)
	}
	status, errType, _ = e.rawREST(t, http.MethodPost, "/v2/email/outbound-emails", `{"Content":{"Simple":"nope"}}`)
	if status != http.StatusBadRequest || errType != "BadRequestException" {
		t.Errorf("wrong JSON type: %d %q", status, errType)
	}
	status, errType, _ = e.rawREST(t, http.MethodGet, "/v2/email/no-such-thing", "")
	if status != http.StatusNotFound || errType == "" {
		t.Errorf("unknown operation: %d %q", status, errType)
	}
}

func TestSendSimpleToMailbox(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	e.verify(t, "example.com")
	c := ctx(t)
	csv := []byte("a,b\n1,2\n")
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("Quarry Résultats <reports@example.com>"),
		Destination: &types.Destination{
			ToAddresses:  []string{"Jane Doe <jane@example.org>"},
			CcAddresses:  []string{"cc@example.org"},
			BccAddresses: []string{"audit@example.org"},
		},
		ReplyToAddresses: []string{"support@example.com"},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Vos résultats sont prêts"), Charset: aws.String("UTF-8")},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String("See the attachment.\nLine two, café.")},
				Html: &types.Content{Data: aws.String("<p>See the attachment.</p>")},
			},
			Headers: []types.MessageHeader{{Name: aws.String("X-Job-Id"), Value: aws.String("j-123")}, {Name: aws.String("Message-ID"), Value: aws.String("<mine@x>")}},
			Attachments: []types.Attachment{{
				FileName: aws.String("tables.csv"), ContentType: aws.String("text/csv"), RawContent: csv,
				ContentDisposition: types.AttachmentContentDispositionAttachment, ContentTransferEncoding: types.AttachmentContentTransferEncodingBase64,
			}},
		}},
		EmailTags: []types.MessageTag{{Name: aws.String("job"), Value: aws.String("j-123")}},
	}
	id := e.send(t, in)

	rec := e.mailRecord(t, id)
	if rec.MessageID != id || rec.Subject != "Vos résultats sont prêts" || rec.Content != "Simple" || rec.From != "Quarry Résultats <reports@example.com>" {
		t.Errorf("record = %+v", rec)
	}
	if strings.Join(rec.To, ",") != "jane@example.org" || strings.Join(rec.Cc, ",") != "cc@example.org" || strings.Join(rec.Bcc, ",") != "audit@example.org" {
		t.Errorf("recipients: to %v cc %v bcc %v", rec.To, rec.Cc, rec.Bcc)
	}
	if rec.Tags["job"] != "j-123" || rec.SourceArn != "arn:aws:ses:us-east-1:000000000000:identity/example.com" {
		t.Errorf("tags %v, sourceArn %s", rec.Tags, rec.SourceArn)
	}
	if rec.outcome("audit@example.org") != "delivered" || len(rec.Recipients) != 3 {
		t.Errorf("outcomes = %+v", rec.Recipients)
	}

	raw := e.mailEML(t, id)
	if !bytes.Contains(raw, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("the message does not use CRLF line endings throughout")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("reading the .eml: %v", err)
	}
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	from, _ := msg.Header.AddressList("From")
	checks := map[string]bool{
		"subject":             subject == "Vos résultats sont prêts",
		"from":                len(from) == 1 && from[0].Name == "Quarry Résultats" && from[0].Address == "reports@example.com",
		"to":                  strings.Contains(msg.Header.Get("To"), "jane@example.org"),
		"cc":                  msg.Header.Get("Cc") == "cc@example.org",
		"no bcc header":       msg.Header.Get("Bcc") == "",
		"reply-to":            msg.Header.Get("Reply-To") == "support@example.com",
		"message-id replaced": msg.Header.Get("Message-Id") == "<"+id+"@email.amazonses.com>",
		"date":                msg.Header.Get("Date") != "",
		"custom header":       msg.Header.Get("X-Job-Id") == "j-123",
		"mime version":        msg.Header.Get("Mime-Version") == "1.0",
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("%s: wrong in\n%s", name, raw)
		}
	}

	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type = %q (%v), want multipart/mixed", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	alt, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	amt, aparams, _ := mime.ParseMediaType(alt.Header.Get("Content-Type"))
	if amt != "multipart/alternative" {
		t.Fatalf("first part is %s, want multipart/alternative", amt)
	}
	ar := multipart.NewReader(alt, aparams["boundary"])
	var bodies []string
	for {
		p, err := ar.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // multipart.Reader decodes quoted-printable
		bodies = append(bodies, p.Header.Get("Content-Type")+"|"+string(b))
	}
	wantBodies := []string{"text/plain; charset=UTF-8|See the attachment.\r\nLine two, café.", "text/html; charset=UTF-8|<p>See the attachment.</p>"}
	if strings.Join(bodies, "\n") != strings.Join(wantBodies, "\n") {
		t.Errorf("alternative parts = %q, want %q", bodies, wantBodies)
	}
	att, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if att.FileName() != "tables.csv" || att.Header.Get("Content-Transfer-Encoding") != "base64" || !strings.HasPrefix(att.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("attachment headers = %v", att.Header)
	}
	enc, _ := io.ReadAll(att)
	got, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(enc), "\r\n", ""))
	if err != nil || !bytes.Equal(got, csv) {
		t.Errorf("attachment content = %q (%v), want %q", got, err, csv)
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("more parts than expected: %v", err)
	}

	// A text-only message is a single quoted-printable part.
	id2 := e.send(t, simple("reports@example.com", []string{"other@example.org"}, "Plain", strings.Repeat("long line ", 20)))
	msg2, err := mail.ReadMessage(bytes.NewReader(e.mailEML(t, id2)))
	if err != nil {
		t.Fatal(err)
	}
	if msg2.Header.Get("Content-Type") != "text/plain; charset=UTF-8" || msg2.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Errorf("text-only headers = %v", msg2.Header)
	}
	b, _ := io.ReadAll(quotedprintable.NewReader(msg2.Body))
	if string(b) != strings.Repeat("long line ", 20) {
		t.Errorf("text-only body = %q", b)
	}

	// Listing, filtering by recipient and clearing.
	list := e.mailList(t, "")
	if len(list) != 2 || list[0].MessageID != id || list[1].MessageID != id2 {
		t.Fatalf("mailbox list = %+v, want the two messages oldest first", list)
	}
	if l := e.mailList(t, "AUDIT@example.org"); len(l) != 1 || l[0].MessageID != id {
		t.Errorf("?to=audit (a Bcc recipient) = %+v", l)
	}
	if l := e.mailList(t, "nobody@example.org"); len(l) != 0 {
		t.Errorf("?to=nobody = %+v", l)
	}
	if status, _ := e.mailDo(t, http.MethodGet, "/nope"); status != http.StatusNotFound {
		t.Errorf("GET unknown message: %d", status)
	}
	if status, _ := e.mailDo(t, http.MethodGet, "/nope.eml"); status != http.StatusNotFound {
		t.Errorf("GET unknown .eml: %d", status)
	}
	if status, _ := e.mailDo(t, http.MethodDelete, "/"+id2); status != http.StatusNoContent {
		t.Errorf("DELETE one: %d", status)
	}
	if status, _ := e.mailDo(t, http.MethodDelete, ""); status != http.StatusNoContent {
		t.Errorf("DELETE all: %d", status)
	}
	if l := e.mailList(t, ""); len(l) != 0 {
		t.Errorf("mailbox after DELETE = %+v", l)
	}
	if _, err := e.ses.GetAccount(c, &sesv2.GetAccountInput{}); err != nil {
		t.Fatal(err)
	}
}

func TestSendRaw(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	e.verify(t, "example.com")
	c := ctx(t)
	if _, err := e.ses.CreateConfigurationSet(c, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String("workers")}); err != nil {
		t.Fatal(err)
	}
	raw := "From: =?UTF-8?Q?Quarry_R=C3=A9sultats?= <results@example.com>\n" +
		"To: Jane <jane@example.org>, bob@example.org\n" +
		"Bcc: hidden@example.org\n" +
		"Subject: =?UTF-8?Q?R=C3=A9sultats?= API\n" +
		"  4212345678\n" +
		"Message-ID: <client@example.com>\n" +
		"X-SES-CONFIGURATION-SET: workers\n" +
		"X-SES-MESSAGE-TAGS: job=j-9, stage=notify\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=UTF-8\n" +
		"\n" +
		"Hello.\n"
	id := e.send(t, &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: []byte(raw)}}})
	rec := e.mailRecord(t, id)
	if rec.Content != "Raw" || rec.From != "Quarry Résultats <results@example.com>" {
		t.Errorf("record from = %q", rec.From)
	}
	if rec.Subject != "Résultats API  4212345678" && rec.Subject != "Résultats API 4212345678" {
		t.Errorf("subject = %q", rec.Subject)
	}
	if strings.Join(rec.To, ",") != "jane@example.org,bob@example.org" || strings.Join(rec.Bcc, ",") != "hidden@example.org" {
		t.Errorf("to %v bcc %v", rec.To, rec.Bcc)
	}
	if rec.ConfigurationSet != "workers" || rec.Tags["job"] != "j-9" || rec.Tags["stage"] != "notify" {
		t.Errorf("configuration set %q tags %v, want them from the X-SES headers", rec.ConfigurationSet, rec.Tags)
	}
	eml := string(e.mailEML(t, id))
	for _, gone := range []string{"Bcc:", "X-SES-", "<client@example.com>"} {
		if strings.Contains(eml, gone) {
			t.Errorf("stored message still contains %q:\n%s", gone, eml)
		}
	}
	for _, kept := range []string{"Message-ID: <" + id + "@email.amazonses.com>", "Date: ", "Subject: =?UTF-8?Q?R=C3=A9sultats?= API\n  4212345678\n", "\n\nHello.\n"} {
		if !strings.Contains(eml, kept) {
			t.Errorf("stored message lacks %q:\n%s", kept, eml)
		}
	}

	// Request fields win over the message's headers.
	id = e.send(t, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("bounces@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{"override@example.org"}},
		Content:          &types.EmailContent{Raw: &types.RawMessage{Data: []byte("From: x@unverified.example\r\nTo: y@example.org\r\nSubject: hi\r\n\r\nbody")}},
	})
	rec = e.mailRecord(t, id)
	if rec.From != "bounces@example.com" || strings.Join(rec.To, ",") != "override@example.org" || rec.Subject != "hi" {
		t.Errorf("override record = %+v", rec)
	}

	// Without a From header or FromEmailAddress there is no sender.
	_, err := e.ses.SendEmail(c, &sesv2.SendEmailInput{
		Destination: &types.Destination{ToAddresses: []string{"a@example.org"}},
		Content:     &types.EmailContent{Raw: &types.RawMessage{Data: []byte("Subject: x\r\n\r\nbody")}},
	})
	wantErr[*types.BadRequestException](t, err, "FromEmailAddress is required")
	// Without recipients anywhere there is nobody to send to.
	_, err = e.ses.SendEmail(c, &sesv2.SendEmailInput{
		Content: &types.EmailContent{Raw: &types.RawMessage{Data: []byte("From: a@example.com\r\nSubject: x\r\n\r\nbody")}},
	})
	wantErr[*types.BadRequestException](t, err, "no recipients")
}
