package ses_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/quarry-dev/quarry/infra/localaws"
	"github.com/quarry-dev/quarry/infra/localaws/localawstest"
)

// messageIDRe is the shape of SES message ids.
var messageIDRe = regexp.MustCompile(`^0100[0-9a-f]{12}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-000000$`)

// env is a started endpoint with an SES client that does not retry, so
// that throttling and other errors reach the test as they come.
type env struct {
	ep  *localawstest.Endpoint
	ses *sesv2.Client
}

func start(t *testing.T, cfg localaws.Config) *env {
	t.Helper()
	ep := localawstest.Start(t, cfg)
	c := sesv2.NewFromConfig(ep.Config, func(o *sesv2.Options) { o.Retryer = aws.NopRetryer{} })
	return &env{ep: ep, ses: c}
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// verify creates (and so verifies) a sending identity.
func (e *env) verify(t *testing.T, identity string) {
	t.Helper()
	if _, err := e.ses.CreateEmailIdentity(ctx(t), &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(identity)}); err != nil {
		t.Fatalf("CreateEmailIdentity(%s): %v", identity, err)
	}
}

// simple builds a Simple SendEmail input.
func simple(from string, to []string, subject, text string) *sesv2.SendEmailInput {
	return &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(from),
		Destination:      &types.Destination{ToAddresses: to},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(subject)},
			Body:    &types.Body{Text: &types.Content{Data: aws.String(text)}},
		}},
	}
}

func (e *env) send(t *testing.T, in *sesv2.SendEmailInput) string {
	t.Helper()
	out, err := e.ses.SendEmail(ctx(t), in)
	if err != nil {
		t.Fatalf("SendEmail: %v", err)
	}
	id := aws.ToString(out.MessageId)
	if !messageIDRe.MatchString(id) {
		t.Fatalf("MessageId %q is not shaped like an SES message id", id)
	}
	return id
}

// wantErr checks that err is the SES error type T and that its message
// contains msg.
func wantErr[T error](t *testing.T, err error, msg string) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want %T", err, err, target)
	}
	if msg != "" && !strings.Contains(err.Error(), msg) {
		t.Fatalf("error = %q, want it to contain %q", err.Error(), msg)
	}
	return target
}

// httpStatus returns the HTTP status of an SDK error.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// mailRecord is the mailbox's JSON record of one message.
type mailRecord struct {
	MessageID        string            `json:"messageId"`
	Timestamp        time.Time         `json:"timestamp"`
	From             string            `json:"from"`
	SourceArn        string            `json:"sourceArn"`
	To               []string          `json:"to"`
	Cc               []string          `json:"cc"`
	Bcc              []string          `json:"bcc"`
	ReplyTo          []string          `json:"replyTo"`
	Subject          string            `json:"subject"`
	Content          string            `json:"content"`
	Template         string            `json:"template"`
	ConfigurationSet string            `json:"configurationSet"`
	Tags             map[string]string `json:"tags"`
	RenderingFailure string            `json:"renderingFailure"`
	Size             int               `json:"size"`
	Recipients       []struct {
		Address   string `json:"address"`
		Outcome   string `json:"outcome"`
		Simulator bool   `json:"simulator"`
	} `json:"recipients"`
}

func (r mailRecord) outcome(addr string) string {
	for _, rr := range r.Recipients {
		if strings.EqualFold(rr.Address, addr) {
			return rr.Outcome
		}
	}
	return ""
}

// mailGet makes a request to the mailbox and returns status and body.
func (e *env) mailDo(t *testing.T, method, path string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), method, e.ep.URL+"/_localaws/mail"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func (e *env) mailList(t *testing.T, to string) []mailRecord {
	t.Helper()
	path := "/"
	if to != "" {
		path += "?to=" + url.QueryEscape(to)
	}
	status, body := e.mailDo(t, http.MethodGet, path)
	if status != http.StatusOK {
		t.Fatalf("GET mail%s: %d %s", path, status, body)
	}
	var list []mailRecord
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatalf("decoding mail list: %v\n%s", err, body)
	}
	return list
}

func (e *env) mailRecord(t *testing.T, id string) mailRecord {
	t.Helper()
	status, body := e.mailDo(t, http.MethodGet, "/"+id)
	if status != http.StatusOK {
		t.Fatalf("GET mail/%s: %d %s", id, status, body)
	}
	var rec mailRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		t.Fatalf("decoding mail record: %v\n%s", err, body)
	}
	return rec
}

func (e *env) mailEML(t *testing.T, id string) []byte {
	t.Helper()
	status, body := e.mailDo(t, http.MethodGet, "/"+id+".eml")
	if status != http.StatusOK {
		t.Fatalf("GET mail/%s.eml: %d %s", id, status, body)
	}
	return body
}

// rawREST sends an unsigned SES v2 request and returns status, error type
// header and body.
func (e *env) rawREST(t *testing.T, method, path, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), method, e.ep.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), string(b)
}
