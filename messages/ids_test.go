package messages_test

import (
	"errors"
	"testing"

	"github.com/quarry-dev/quarry/messages"
)

func TestChildID(t *testing.T) {
	t.Parallel()
	const parent = "01JWN2Q8R5XG7YV3KZ4T6M9ABC"
	a, err := messages.ChildID(parent, messages.TypeExtractTables)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := messages.ChildID(parent, messages.TypeExtractTables)
	other, _ := messages.ChildID(parent, messages.TypeNotifyEmail)
	otherParent, _ := messages.ChildID("01JWN2Q8R5XG7YV3KZ4T6M9ABD", messages.TypeExtractTables)
	switch {
	case a != again:
		t.Errorf("ChildID is not deterministic: %s then %s", a, again)
	case a == other:
		t.Errorf("two stages got the same child id %s", a)
	case a == otherParent:
		t.Errorf("two parents got the same child id %s", a)
	case !messages.ValidID(a):
		t.Errorf("child id %s is not a valid ULID", a)
	case a[:10] != parent[:10]:
		t.Errorf("child id %s does not keep the parent's timestamp %s", a, parent[:10])
	}
	// The separator keeps ("…", "ab") and ("…a", "b")-style splits apart.
	x, _ := messages.ChildID(parent, "notify.email#1")
	y, _ := messages.ChildID(parent, "notify.email#10")
	if x == y {
		t.Errorf("stages %q and %q collide", "notify.email#1", "notify.email#10")
	}

	for _, tc := range []struct{ name, parent, stage, field string }{
		{"bad parent", "not-a-ulid", "x", "parent_id"},
		{"empty parent", "", "x", "parent_id"},
		{"empty stage", parent, "", "stage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := messages.ChildID(tc.parent, tc.stage)
			var ve *messages.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("got %v, want a ValidationError on %s", err, tc.field)
			}
		})
	}
}
