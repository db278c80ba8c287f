package recipe

import (
	"testing"
)

// FuzzParseRecipe checks that Parse never panics, and that a recipe it
// accepts validates again unchanged, whatever bytes it is given.
func FuzzParseRecipe(f *testing.F) {
	f.Add(readSample(f))
	f.Add([]byte(minimal))
	f.Add([]byte(minimal + "\n  - pick: {table: t, rule: {column: A, equals: '${key}'}}\n"))
	f.Add([]byte(minimal + "\n  - wait: {min: 1s, max: 2s}\n  - download: {url: '${key}.pdf', max_bytes: 1MiB}\n  - validate: {}\n"))
	f.Add([]byte("a: &a [*a, *a]\nb: *a\n"))
	f.Add([]byte("steps: [{follow: }]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			if r != nil {
				t.Fatal("Parse returned a recipe and an error")
			}
			return
		}
		if len(r.Steps) == 0 {
			t.Fatal("accepted a recipe without steps")
		}
		for i := range r.Steps {
			if r.Steps[i].Kind() == "" || r.Steps[i].Index() != i+1 {
				t.Fatalf("step %d has kind %q index %d", i+1, r.Steps[i].Kind(), r.Steps[i].Index())
			}
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("accepted recipe fails Validate again: %v", err)
		}
	})
}
