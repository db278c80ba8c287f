package main

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestTableLayout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		print func(*bytes.Buffer) error
		want  string
	}{
		{
			name: "left aligned with a header",
			print: func(b *bytes.Buffer) error {
				tab := newTable(b, "ROLE", "MESSAGES", "AGE")
				tab.row("fetch", 3, time.Second)
				tab.row("notify", 120, "-")
				return tab.flush()
			},
			want: "ROLE    MESSAGES  AGE\n" +
				"fetch   3         1s\n" +
				"notify  120       -\n",
		},
		{
			name: "without a header",
			print: func(b *bytes.Buffer) error {
				tab := newTable(b)
				tab.row("  jobs done", 7)
				tab.row("  outputs", "s3://bucket/jobs/")
				return tab.flush()
			},
			want: "  jobs done  7\n" +
				"  outputs    s3://bucket/jobs/\n",
		},
		{
			name: "numbers aligned right",
			print: func(b *bytes.Buffer) error {
				tab := newNumberTable(b, "stage", "done")
				tab.row("fetch", 5)
				tab.row("extract", 1200)
				return tab.flush()
			},
			// Padding goes before each cell.
			want: "    stage  done\n" +
				"    fetch     5\n" +
				"  extract  1200\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := tt.print(&b); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestTableReportsWriteError(t *testing.T) {
	t.Parallel()
	tab := newTable(failingWriter{}, "A", "B")
	tab.row(1, 2)
	if err := tab.flush(); err == nil {
		t.Fatal("flush to a failing writer returned no error")
	}
}

func TestJSONWriters(t *testing.T) {
	t.Parallel()
	type rec struct {
		ID string `json:"id"`
	}
	var b bytes.Buffer
	if err := writeJSONLines(&b, []rec{{"a"}, {"b"}}); err != nil {
		t.Fatal(err)
	}
	if err := writeJSONLine(&b, rec{"c"}); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(&b, rec{"d"}); err != nil {
		t.Fatal(err)
	}
	want := `{"id":"a"}
{"id":"b"}
{"id":"c"}
{
  "id": "d"
}
`
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
