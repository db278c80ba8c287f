package messages_test

import (
	"reflect"
	"testing"

	"github.com/quarry-dev/quarry/messages"
)

// FuzzDecodeJobFast checks the fast path against the general one: whatever
// it accepts, the general path accepts too, with the same job, and the
// body would be taken for a job by DecodeQueueBody's shape test.
func FuzzDecodeJobFast(f *testing.F) {
	for _, s := range seedBodies(f) {
		f.Add([]byte(s))
	}
	for _, s := range fastPathCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFastPath(t, data)
	})
}

func checkFastPath(t *testing.T, data []byte) {
	t.Helper()
	fast, ok := messages.DecodeJobFast(data)
	if !ok {
		return
	}
	general, err := messages.DecodeJobGeneral(data)
	if err != nil {
		t.Fatalf("fast path accepted what the general path refuses (%v): %s", err, data)
	}
	if !reflect.DeepEqual(fast, general) {
		t.Fatalf("fast and general paths differ:\n%+v\n%+v", fast, general)
	}
	if !messages.ShapeIsJob(data) {
		t.Fatalf("fast path accepted a body that is not a job by its shape: %s", data)
	}
}

// fastPathCases are bodies where a careless fast path would differ from
// the general one.
var fastPathCases = []string{
	`{"id":"01JWN2Q8R5XG7YV3KZ4T6M9ABC","type":"notify.email","created_at":"2025-06-01T12:00:00Z","payload":{"recipients":["a@example.org"],"template":"t"}}`,
	// Escaped member names are unescaped before they are compared.
	`{"id":"01JWN2Q8R5XG7YV3KZ4T6M9ABC","typ\u0065":"notify.email","created_at":"2025-06-01T12:00:00Z","p\u0061yload":{"recipients":["a@example.org"],"template":"t"}}`,
	// The payload twice: encoding/json would merge the two into one struct.
	`{"id":"01JWN2Q8R5XG7YV3KZ4T6M9ABC","type":"notify.email","created_at":"2025-06-01T12:00:00Z","payload":{"recipients":["a@example.org"],"template":"t"},"payload":{"template":"t"}}`,
	// A member matched without regard to case.
	`{"id":"01JWN2Q8R5XG7YV3KZ4T6M9ABC","type":"notify.email","created_at":"2025-06-01T12:00:00Z","payload":{"template":"t"},"PAYLOAD":{"recipients":["a@example.org"],"template":"t"}}`,
	`{"id":"01JWN2Q8R5XG7YV3KZ4T6M9ABC","TYPE":"extract.tables","type":"notify.email","created_at":"2025-06-01T12:00:00Z","payload":{"recipients":["a@example.org"],"template":"t"}}`,
	`{"id":"01JWN2Q8R5XG7YV3KZ4T6M9ABC","type":"notify\u002eemail","created_at":"2025-06-01T12:00:00Z","payload":{"recipients":["a@example.org"],"template":"t"}}`,
	// A payload not in canonical form, and one with escapes.
	`{"id":"01JWN2Q8R5XG7YV3KZ4T6M9ABC","type":"notify.email","created_at":"2025-06-01T12:00:00Z","payload":{ "recipients":["a@example.org"],"template":"t"}}`,
	`{"id":"01JWN2Q8R5XG7YV3KZ4T6M9ABC","type":"notify.email","created_at":"2025-06-01T12:00:00Z","payload":{"recipients":["a@example.org"],"template":"t","subject":"a<b"}}`,
	// Invalid JSON after a well-formed start, and a null payload.
	`{"id":"01JWN2Q8R5XG7YV3KZ4T6M9ABC","type":"notify.email","created_at":"2025-06-01T12:00:00Z","payload":{"recipients":["a@example.org"],"template":"t"}}}`,
	`{"id":"01JWN2Q8R5XG7YV3KZ4T6M9ABC","type":"notify.email","created_at":"2025-06-01T12:00:00Z","payload":null}`,
	// A job-looking body with an envelope's or SES's keys.
	`{"Type":"Notification","id":"01JWN2Q8R5XG7YV3KZ4T6M9ABC","type":"notify.email","created_at":"2025-06-01T12:00:00Z","payload":{"recipients":["a@example.org"],"template":"t"}}`,
	`{"eventType":"Bounce","id":"01JWN2Q8R5XG7YV3KZ4T6M9ABC","type":"notify.email","created_at":"2025-06-01T12:00:00Z","payload":{"recipients":["a@example.org"],"template":"t"}}`,
}

// TestFastPathCases runs the cases above, and checks that the first two
// take the fast path (so the benchmark below measures it) and the others
// the general one.
func TestFastPathCases(t *testing.T) {
	t.Parallel()
	for _, s := range fastPathCases {
		checkFastPath(t, []byte(s))
	}
	for _, s := range fastPathCases[:2] {
		if _, ok := messages.DecodeJobFast([]byte(s)); !ok {
			t.Errorf("fast path did not take %s", s)
		}
	}
	for _, s := range fastPathCases[2:] {
		if _, ok := messages.DecodeJobFast([]byte(s)); ok {
			t.Errorf("fast path took %s", s)
		}
	}
}

// BenchmarkDecodeQueueBody measures decoding the body of a raw-delivered
// notify.email job, as the worker runtime does for every message, against
// the general path alone.
//
//	go test -run '^$' -bench DecodeQueueBody ./messages/
func BenchmarkDecodeQueueBody(b *testing.B) {
	j, err := messages.NewJob(messages.TypeNotifyEmail, messages.NotifyEmail{Recipients: []string{"bench@example.org"}, Template: "noop", TemplateData: map[string]any{"phase": "runtime", "i": 12345}})
	if err != nil {
		b.Fatal(err)
	}
	enc, err := j.Encode()
	if err != nil {
		b.Fatal(err)
	}
	body := string(enc)
	b.Run("DecodeQueueBody", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := messages.DecodeQueueBody(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("general", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			data := []byte(body)
			if !messages.ShapeIsJob(data) {
				b.Fatal("not a job")
			}
			if _, err := messages.DecodeJobGeneral(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
