package messages_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/quarry-dev/quarry/messages"
)

// The fuzz targets check that the decoders of untrusted input never panic,
// that every error they return is a permanent outcome (a bad message goes to
// the DLQ, never round a retry loop), and that what they accept is
// consistent: valid, and stable under re-encoding. Seeds are the golden
// samples in testdata/queue.

func seedBodies(f *testing.F) []string {
	f.Helper()
	var out []string
	for _, pat := range []string{"testdata/queue/*.json", "testdata/queue/*.txt"} {
		paths, err := filepath.Glob(pat)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, string(b))
		}
	}
	return out
}

func FuzzDecodeQueueBody(f *testing.F) {
	for _, s := range seedBodies(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		b, err := messages.DecodeQueueBody(body)
		if err != nil {
			if !messages.IsPermanent(err) {
				t.Fatalf("decode error is not permanent: %v", err)
			}
			return
		}
		switch b.Kind {
		case messages.KindJob:
			if b.Job == nil || b.SES != nil {
				t.Fatalf("KindJob with job %v, ses %v", b.Job, b.SES)
			}
			if err := b.Job.Validate(); err != nil {
				t.Fatalf("decoded job is invalid: %v", err)
			}
			enc, err := b.Job.Encode()
			if err != nil {
				t.Fatalf("decoded job does not encode: %v", err)
			}
			again, err := messages.DecodeQueueBody(string(enc))
			if err != nil || again.Kind != messages.KindJob || !reflect.DeepEqual(*again.Job, *b.Job) {
				t.Fatalf("re-decoding changed the job:\n%+v\n%+v (%v)", b.Job, again.Job, err)
			}
		case messages.KindSESEvent:
			if b.SES == nil || b.Job != nil {
				t.Fatalf("KindSESEvent with job %v, ses %v", b.Job, b.SES)
			}
			checkSESEvent(t, *b.SES)
		case messages.KindSESSetup:
			if b.SES != nil || b.Job != nil {
				t.Fatal("KindSESSetup with content")
			}
		default:
			t.Fatalf("unknown kind %v", b.Kind)
		}
		if b.SNS != nil && (b.SNS.Type != "Notification" || b.SNS.MessageID == "" || b.SNS.TopicARN == "" || b.SNS.Message == "") {
			t.Fatalf("accepted an incomplete envelope %+v", b.SNS)
		}
		if _, err := json.Marshal(b); err != nil {
			t.Fatalf("decoded body does not marshal: %v", err)
		}
	})
}

func FuzzDecodeJob(f *testing.F) {
	for _, s := range seedBodies(f) {
		if strings.Contains(s, `"payload"`) && !strings.Contains(s, `"Type"`) {
			f.Add([]byte(s))
		}
	}
	f.Add([]byte(`{"id":"01JWN2Q8R5XG7YV3KZ4T6M9ABC","type":"extract.tables","created_at":"2025-06-01T12:00:00Z","payload":{"pdf_key":"a.pdf","pages":"1-3,5-"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := messages.DecodeJob(data)
		if err != nil {
			if !messages.IsPermanent(err) {
				t.Fatalf("decode error is not permanent: %v", err)
			}
			return
		}
		enc, err := j.Encode()
		if err != nil {
			t.Fatalf("decoded job does not encode: %v", err)
		}
		again, err := messages.DecodeJob(enc)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		if !reflect.DeepEqual(again, j) {
			t.Fatalf("round trip changed the job:\n%+v\n%+v", j, again)
		}
		if messages.PayloadHash(again) != messages.PayloadHash(j) {
			t.Fatal("round trip changed the payload hash")
		}
		if _, err := messages.ChildID(j.ID, j.Type); err != nil {
			t.Fatalf("ChildID of a valid job: %v", err)
		}
	})
}

func FuzzDecodeSESEvent(f *testing.F) {
	for _, s := range seedBodies(f) {
		b, err := messages.DecodeQueueBody(s)
		switch {
		case err == nil && b.Kind == messages.KindSESEvent && b.SNS != nil:
			f.Add([]byte(b.SNS.Message))
		case strings.Contains(s, "eventType") || strings.Contains(s, "notificationType"):
			f.Add([]byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := messages.DecodeSESEvent(data)
		if err != nil {
			if !messages.IsPermanent(err) {
				t.Fatalf("decode error is not permanent: %v", err)
			}
			return
		}
		checkSESEvent(t, e)
		if _, err := json.Marshal(e); err != nil {
			t.Fatalf("decoded event does not marshal: %v", err)
		}
	})
}

// checkSESEvent checks what DecodeSESEvent promises about an accepted event.
func checkSESEvent(t *testing.T, e messages.SESEvent) {
	t.Helper()
	if e.Mail.MessageID == "" {
		t.Fatal("accepted an event without mail.messageId")
	}
	if e.Format != messages.SESEventPublishing && e.Format != messages.SESIdentityNotification {
		t.Fatalf("format %q", e.Format)
	}
	details := map[messages.SESKind]bool{
		messages.SESBounce:           e.Bounce != nil,
		messages.SESComplaint:        e.Complaint != nil,
		messages.SESDelivery:         e.Delivery != nil,
		messages.SESDeliveryDelay:    e.DeliveryDelay != nil,
		messages.SESReject:           e.Reject != nil,
		messages.SESRenderingFailure: e.RenderingFailure != nil,
		messages.SESOpen:             e.Open != nil,
		messages.SESClick:            e.Click != nil,
		messages.SESSend:             false,
		messages.SESSubscription:     false,
	}
	if _, known := details[e.Kind]; known != e.Kind.Known() {
		t.Fatalf("kind %q: Known() = %v", e.Kind, e.Kind.Known())
	}
	if !e.Kind.Known() && (e.Format != messages.SESEventPublishing || e.Kind == "") {
		t.Fatalf("unknown kind %q accepted in format %s", e.Kind, e.Format)
	}
	for kind, set := range details {
		if set != (kind == e.Kind && kind != messages.SESSend && kind != messages.SESSubscription) {
			t.Fatalf("kind %s but the %s detail set=%v", e.Kind, kind, set)
		}
	}
	switch e.Kind {
	case messages.SESBounce, messages.SESComplaint, messages.SESDelivery:
		rs := e.Recipients()
		if len(rs) == 0 {
			t.Fatalf("%s without recipients", e.Kind)
		}
		for _, r := range rs {
			if r == "" {
				t.Fatalf("%s with an empty recipient", e.Kind)
			}
		}
	}
	if e.Bounce != nil && e.Bounce.Type == "" {
		t.Fatal("bounce without a type")
	}
}

func FuzzNormalizeAddress(f *testing.F) {
	for _, s := range []string{"Jane@Example.org", " bob@example.com ", "not an address", "a@b", "\"x y\"@example.org", "a@b.c."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := messages.NormalizeAddress(s)
		if err != nil {
			return
		}
		if n != strings.ToLower(n) || n != strings.TrimSpace(n) {
			t.Fatalf("messages.NormalizeAddress(%q) = %q: not normal", s, n)
		}
		again, err := messages.NormalizeAddress(n)
		if err != nil || again != n {
			t.Fatalf("NormalizeAddress is not idempotent: %q → %q → %q, %v", s, n, again, err)
		}
	})
}
