package ses_test

import (
	"bytes"
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

// emlParts returns the decoded text parts of a message, by content type.
func emlParts(t *testing.T, raw []byte) (subject string, parts map[string]string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("reading message: %v", err)
	}
	subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	parts = map[string]string{}
	var walk func(ct string, body io.Reader, cte string)
	walk = func(ct string, body io.Reader, cte string) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("content type %q: %v", ct, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header.Get("Content-Type"), p, "")
			}
		}
		b, _ := io.ReadAll(body)
		if cte == "quoted-printable" {
			b, _ = io.ReadAll(newQP(b))
		}
		parts[mt] = string(b)
	}
	walk(msg.Header.Get("Content-Type"), msg.Body, msg.Header.Get("Content-Transfer-Encoding"))
	return subject, parts
}

func newQP(b []byte) io.Reader { return quotedprintable.NewReader(bytes.NewReader(b)) }

func TestTemplates(t *testing.T) {
	t.Parallel()
	e := start(t, localaws.Config{})
	e.verify(t, "example.com")
	c := ctx(t)

	content := &types.EmailTemplateContent{
		Subject: aws.String("Tables for {{job.id}} are ready"),
		Text:    aws.String("Hello {{name}}, {{count}} tables. {{! a comment }}"),
		Html:    aws.String("<p>Hello {{name}} &amp; {{{raw}}}</p>"),
	}
	if _, err := e.ses.CreateEmailTemplate(c, &sesv2.CreateEmailTemplateInput{TemplateName: aws.String("ready"), TemplateContent: content}); err != nil {
		t.Fatalf("CreateEmailTemplate: %v", err)
	}
	_, err := e.ses.CreateEmailTemplate(c, &sesv2.CreateEmailTemplateInput{TemplateName: aws.String("ready"), TemplateContent: content})
	wantErr[*types.AlreadyExistsException](t, err, "ready")
	_, err = e.ses.CreateEmailTemplate(c, &sesv2.CreateEmailTemplateInput{TemplateName: aws.String("bad name!"), TemplateContent: content})
	wantErr[*types.BadRequestException](t, err, "TemplateName")

	got, err := e.ses.GetEmailTemplate(c, &sesv2.GetEmailTemplateInput{TemplateName: aws.String("ready")})
	if err != nil {
		t.Fatalf("GetEmailTemplate: %v", err)
	}
	if aws.ToString(got.TemplateContent.Subject) != *content.Subject || aws.ToString(got.TemplateContent.Html) != *content.Html {
		t.Errorf("GetEmailTemplate = %+v", got.TemplateContent)
	}
	_, err = e.ses.GetEmailTemplate(c, &sesv2.GetEmailTemplateInput{TemplateName: aws.String("nope")})
	wantErr[*types.NotFoundException](t, err, "Template nope does not exist")
	list, err := e.ses.ListEmailTemplates(c, &sesv2.ListEmailTemplatesInput{})
	if err != nil || len(list.TemplatesMetadata) != 1 || aws.ToString(list.TemplatesMetadata[0].TemplateName) != "ready" || list.TemplatesMetadata[0].CreatedTimestamp == nil {
		t.Errorf("ListEmailTemplates = %+v, %v", list, err)
	}

	data := `{"name":"Jane <J>","count":3,"job":{"id":"j-7"},"raw":"<b>bold</b>"}`
	id := e.send(t, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("reports@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{"jane@example.org"}},
		Content:          &types.EmailContent{Template: &types.Template{TemplateName: aws.String("ready"), TemplateData: aws.String(data)}},
	})
	rec := e.mailRecord(t, id)
	if rec.Content != "Template" || rec.Template != "ready" || rec.Subject != "Tables for j-7 are ready" {
		t.Errorf("record = %+v", rec)
	}
	subject, parts := emlParts(t, e.mailEML(t, id))
	if subject != "Tables for j-7 are ready" {
		t.Errorf("subject = %q", subject)
	}
	if parts["text/plain"] != "Hello Jane <J>, 3 tables. " {
		t.Errorf("text = %q", parts["text/plain"])
	}
	if parts["text/html"] != "<p>Hello Jane &lt;J&gt; &amp; <b>bold</b></p>" {
		t.Errorf("html = %q", parts["text/html"])
	}

	// Inline TemplateContent, and a template named by ARN.
	id = e.send(t, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("reports@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{"jane@example.org"}},
		Content: &types.EmailContent{Template: &types.Template{
			TemplateContent: &types.EmailTemplateContent{Subject: aws.String("Hi {{n}}"), Text: aws.String("n={{n}}")},
			TemplateData:    aws.String(`{"n":1.5}`),
			Attachments:     []types.Attachment{{FileName: aws.String("a.csv"), RawContent: []byte("x,y\n")}},
		}},
	})
	subject, parts = emlParts(t, e.mailEML(t, id))
	if subject != "Hi 1.5" || parts["text/plain"] != "n=1.5" || parts["text/csv"] == "" {
		t.Errorf("inline template: subject %q parts %q", subject, parts)
	}
	e.send(t, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("reports@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{"jane@example.org"}},
		Content: &types.EmailContent{Template: &types.Template{
			TemplateArn: aws.String("arn:aws:ses:us-east-1:000000000000:template/ready"), TemplateData: aws.String(data),
		}},
	})

	// A variable missing from TemplateData does not fail the call: as on SES
	// the message is accepted and not sent (a Rendering Failure event).
	id = e.send(t, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("reports@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{"jane@example.org"}},
		Content:          &types.EmailContent{Template: &types.Template{TemplateName: aws.String("ready"), TemplateData: aws.String(`{"name":"x"}`)}},
	})
	rec = e.mailRecord(t, id)
	if !strings.Contains(rec.RenderingFailure, "Attribute 'job.id' is not present") || rec.outcome("jane@example.org") != "rendering-failure" {
		t.Errorf("rendering failure record = %+v", rec)
	}
	if status, _ := e.mailDo(t, http.MethodGet, "/"+id+".eml"); status != http.StatusNotFound {
		t.Errorf("GET .eml of an unrendered message: %d, want 404", status)
	}

	rendered, err := e.ses.TestRenderEmailTemplate(c, &sesv2.TestRenderEmailTemplateInput{TemplateName: aws.String("ready"), TemplateData: aws.String(data)})
	if err != nil {
		t.Fatalf("TestRenderEmailTemplate: %v", err)
	}
	if subject, parts := emlParts(t, []byte(aws.ToString(rendered.RenderedTemplate))); subject != "Tables for j-7 are ready" || parts["text/plain"] == "" {
		t.Errorf("rendered template: %q %q", subject, parts)
	}
	_, err = e.ses.TestRenderEmailTemplate(c, &sesv2.TestRenderEmailTemplateInput{TemplateName: aws.String("ready"), TemplateData: aws.String(`{}`)})
	wantErr[*types.BadRequestException](t, err, "not present in the rendering data")

	if _, err := e.ses.UpdateEmailTemplate(c, &sesv2.UpdateEmailTemplateInput{
		TemplateName: aws.String("ready"), TemplateContent: &types.EmailTemplateContent{Subject: aws.String("v2")},
	}); err != nil {
		t.Fatalf("UpdateEmailTemplate: %v", err)
	}
	got, _ = e.ses.GetEmailTemplate(c, &sesv2.GetEmailTemplateInput{TemplateName: aws.String("ready")})
	if aws.ToString(got.TemplateContent.Subject) != "v2" || got.TemplateContent.Html != nil {
		t.Errorf("after update: %+v", got.TemplateContent)
	}
	if _, err := e.ses.DeleteEmailTemplate(c, &sesv2.DeleteEmailTemplateInput{TemplateName: aws.String("ready")}); err != nil {
		t.Fatalf("DeleteEmailTemplate: %v", err)
	}
	_, err = e.ses.DeleteEmailTemplate(c, &sesv2.DeleteEmailTemplateInput{TemplateName: aws.String("ready")})
	wantErr[*types.NotFoundException](t, err, "")
}
