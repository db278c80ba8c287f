package messages_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/quarry-dev/quarry/messages"
)

func TestPayloadHash(t *testing.T) {
	t.Parallel()
	a := messages.Job{Type: messages.TypeNotifyEmail, Payload: json.RawMessage(`{"recipients":["a@example.org"],"template":"t"}`)}
	spaced := a
	spaced.Payload = json.RawMessage("{ \"recipients\" : [ \"a@example.org\" ],\n \"template\" : \"t\" }")
	otherID := a
	otherID.ID, otherID.IdempotencyKey = "01JWN2Q8R5XG7YV3KZ4T6M9ABC", "k"
	otherPayload := a
	otherPayload.Payload = json.RawMessage(`{"recipients":["b@example.org"],"template":"t"}`)
	otherType := a
	otherType.Type = messages.TypeExtractTables

	h := messages.PayloadHash(a)
	if !strings.HasPrefix(h, "sha256:") || len(h) != len("sha256:")+64 {
		t.Fatalf("hash %q is not sha256:<64 hex>", h)
	}
	if messages.PayloadHash(spaced) != h {
		t.Error("whitespace changed the hash")
	}
	if messages.PayloadHash(otherID) != h {
		t.Error("envelope fields changed the hash")
	}
	if messages.PayloadHash(otherPayload) == h {
		t.Error("a different payload has the same hash")
	}
	if messages.PayloadHash(otherType) == h {
		t.Error("a different type has the same hash")
	}
	bad := a
	bad.Payload = json.RawMessage(`{not json`)
	if messages.PayloadHash(bad) == messages.PayloadHash(messages.Job{Type: a.Type}) {
		t.Error("invalid payloads hash alike")
	}
}
