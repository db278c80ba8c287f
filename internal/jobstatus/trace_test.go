package jobstatus

import (
	"testing"

	"github.com/quarry-dev/quarry/messages"
)

func TestResultTypeTellsAStageByItsResult(t *testing.T) {
	for _, tc := range []struct {
		name, result, want string
	}{
		{"fetch", `{"pdf_key":"jobs/x/doc.pdf","sha256":"ab","final_url":"https://x","size":3}`, messages.TypeFetchDocument},
		{"extract", `{"tables":2,"pages":3,"keys":["a"]}`, messages.TypeExtractTables},
		{"notify", `{"template":"t","recipients":[]}`, messages.TypeNotifyEmail},
		{"another shape", `{"ok":true}`, ""},
		{"not JSON", `done`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := resultType([]byte(tc.result)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFetchParentFromKeysNeedsTheChildID(t *testing.T) {
	parent, err := messages.NewJob(messages.TypeFetchDocument, messages.FetchDocument{Recipe: "r", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	child, err := messages.ChildID(parent.ID, messages.TypeExtractTables)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"elsewhere/x.csv", "jobs/" + parent.ID + "/doc.tables/1.csv"}
	if got := fetchParentFromKeys(child, keys); got != parent.ID {
		t.Errorf("got %q, want %s", got, parent.ID)
	}
	// A key under another job's folder names no parent of this one.
	if got := fetchParentFromKeys(parent.ID, keys); got != "" {
		t.Errorf("unrelated extract job: got parent %q", got)
	}
}
