package messages_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/quarry-dev/quarry/messages"
)

func TestContentKey(t *testing.T) {
	job := func(typ, payload string) messages.Job {
		t.Helper()
		j, err := messages.NewJob(typ, json.RawMessage(payload))
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	notify := `{"recipients":["a@example.org"],"template":"t"}`
	for _, tc := range []struct {
		name, prefix, typ, payload, want string
	}{
		{"a string id", "", messages.TypeNotifyEmail, `{"recipients":["a@example.org"],"template":"t","id":"order-7"}`, "publish:notify.email:id:order-7"},
		{"a number id", "batch-9", messages.TypeNotifyEmail, `{"recipients":["a@example.org"],"template":"t","id":42}`, "batch-9:id:42"},
		{"no id", "", messages.TypeNotifyEmail, notify, "publish:notify.email:sha256:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := messages.ContentKey(tc.prefix, job(tc.typ, tc.payload))
			if !strings.HasPrefix(got, tc.want) || (strings.HasSuffix(tc.want, ":") && len(got) != len(tc.want)+32) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	// The same content written two ways is one key; another job is another.
	spaced := `{ "recipients": [ "a@example.org" ], "template": "t" }`
	if a, b := messages.ContentKey("", job(messages.TypeNotifyEmail, notify)), messages.ContentKey("", job(messages.TypeNotifyEmail, spaced)); a != b {
		t.Errorf("one payload, two keys: %q, %q", a, b)
	}
	other := `{"recipients":["b@example.org"],"template":"t"}`
	if messages.ContentKey("", job(messages.TypeNotifyEmail, notify)) == messages.ContentKey("", job(messages.TypeNotifyEmail, other)) {
		t.Error("two payloads, one key")
	}
}
