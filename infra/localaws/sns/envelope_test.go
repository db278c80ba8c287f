package sns

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

func testNotification() *notification {
	return &notification{
		MessageID: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		TopicARN:  "arn:aws:sns:us-east-1:123456789012:jobs",
		Subject:   "new job",
		Message:   `{"jobId":"j-123","pdfUrl":"https://example.com/a.pdf"}`,
		Timestamp: time.Date(2025, 6, 1, 12, 0, 0, 456_789_000, time.UTC),
		Attrs: []messageAttribute{
			{Name: "jobType", DataType: "String", StringValue: "pdf-extract"},
			{Name: "attempt", DataType: "Number", StringValue: "1"},
			{Name: "blob", DataType: "Binary", BinaryValue: []byte{0, 1, 2}},
			{Name: "tags", DataType: "String.Array", StringValue: `["a","<b>"]`},
		},
	}
}

func TestRenderEnvelopeStandard(t *testing.T) {
	t.Parallel()
	n := testNotification()
	sig := &envelopeSignature{Version: "1", Value: "c2ln", CertURL: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem"}
	got := renderEnvelope(n, sig, "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:jobs:2bcf")
	want := `{
  "Type" : "Notification",
  "MessageId" : "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
  "TopicArn" : "arn:aws:sns:us-east-1:123456789012:jobs",
  "Subject" : "new job",
  "Message" : "{\"jobId\":\"j-123\",\"pdfUrl\":\"https://example.com/a.pdf\"}",
  "Timestamp" : "2025-06-01T12:00:00.456Z",
  "SignatureVersion" : "1",
  "Signature" : "c2ln",
  "SigningCertURL" : "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
  "UnsubscribeURL" : "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:jobs:2bcf",
  "MessageAttributes" : {
    "jobType" : {"Type":"String","Value":"pdf-extract"},
    "attempt" : {"Type":"Number","Value":"1"},
    "blob" : {"Type":"Binary","Value":"AAEC"},
    "tags" : {"Type":"String.Array","Value":"[\"a\",\"<b>\"]"}
  }
}`
	if got != want {
		t.Fatalf("envelope:\n%s\nwant:\n%s", got, want)
	}
	var parsed map[string]any
	if err := json.Unmarshal([]byte(got), &parsed); err != nil {
		t.Fatalf("envelope is not JSON: %v", err)
	}
}

func TestRenderEnvelopeMinimalAndFIFO(t *testing.T) {
	t.Parallel()
	n := testNotification()
	n.Subject, n.Attrs = "", nil
	got := renderEnvelope(n, &envelopeSignature{Version: "2", Value: "s", CertURL: "c"}, "u")
	if strings.Contains(got, "Subject") || strings.Contains(got, "MessageAttributes") {
		t.Fatalf("empty fields rendered:\n%s", got)
	}
	if keys := envelopeKeys(t, got); strings.Join(keys, ",") != "Type,MessageId,TopicArn,Message,Timestamp,SignatureVersion,Signature,SigningCertURL,UnsubscribeURL" {
		t.Fatalf("keys = %v", keys)
	}

	f := testNotification()
	f.fifo, f.SequenceNumber = true, "10000000000000000003"
	got = renderEnvelope(f, nil, "u")
	if keys := envelopeKeys(t, got); strings.Join(keys, ",") != "Type,MessageId,SequenceNumber,TopicArn,Subject,Message,Timestamp,UnsubscribeURL,MessageAttributes" {
		t.Fatalf("FIFO keys = %v", keys)
	}
}

// envelopeKeys returns the top-level keys of a JSON object in order.
func envelopeKeys(t *testing.T, doc string) []string {
	t.Helper()
	v, err := parseOrderedJSON(doc)
	if err != nil || v.kind != jObject {
		t.Fatalf("not a JSON object (%v):\n%s", err, doc)
	}
	var keys []string
	for _, m := range v.obj {
		keys = append(keys, m.key)
	}
	return keys
}

func TestStringToSign(t *testing.T) {
	t.Parallel()
	n := testNotification()
	want := "Message\n" + n.Message + "\nMessageId\n" + n.MessageID + "\nSubject\nnew job\nTimestamp\n2025-06-01T12:00:00.456Z\nTopicArn\n" + n.TopicARN + "\nType\nNotification\n"
	if got := n.stringToSign(); got != want {
		t.Fatalf("stringToSign = %q\nwant %q", got, want)
	}
	n.Subject = ""
	if strings.Contains(n.stringToSign(), "Subject") {
		t.Fatal("Subject signed without a subject")
	}
}

func TestSignatureVerifies(t *testing.T) {
	t.Parallel()
	h := setup(t, "")
	n := testNotification()
	certPEM, err := h.svc.SigningCertificatePEM()
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub := cert.PublicKey.(*rsa.PublicKey)
	for _, version := range []string{"1", "2"} {
		n.sigVersion = version
		sig := h.svc.signature(n)
		if sig.Version != version || !strings.HasPrefix(sig.CertURL, "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-") || !strings.HasSuffix(sig.CertURL, ".pem") {
			t.Fatalf("signature fields %+v", sig)
		}
		raw, err := base64.StdEncoding.DecodeString(sig.Value)
		if err != nil {
			t.Fatal(err)
		}
		var digest []byte
		hash := crypto.SHA1
		if version == "2" {
			s := sha256.Sum256([]byte(n.stringToSign()))
			digest, hash = s[:], crypto.SHA256
		} else {
			s := sha1.Sum([]byte(n.stringToSign()))
			digest = s[:]
		}
		if err := rsa.VerifyPKCS1v15(pub, hash, digest, raw); err != nil {
			t.Fatalf("SignatureVersion %s does not verify: %v", version, err)
		}
	}
}
