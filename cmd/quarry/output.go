package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// How quarry prints what it reports: tables for people, JSON for
// scripts. Every subcommand prints through these, so all tables share one
// layout and all JSON one encoding.

// table is a table for people: columns padded with spaces, two between
// columns. Rows are buffered until flush.
type table struct {
	tw *tabwriter.Writer
	// right is set for tables whose cells are aligned right (numbers);
	// tabwriter aligns only cells that end in a tab, so each row gets a
	// trailing one.
	right bool
	err   error // the first write that failed, returned by flush
}

// newTable starts a table whose cells are aligned left, with header as
// its first row (none when header is empty).
func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	if len(header) > 0 {
		t.row(anys(header)...)
	}
	return t
}

// newNumberTable starts a table whose cells are aligned right, as
// columns of numbers read best.
func newNumberTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight), right: true}
	if len(header) > 0 {
		t.row(anys(header)...)
	}
	return t
}

// row adds one row; each cell is printed as by %v.
func (t *table) row(cells ...any) {
	var b strings.Builder
	for i, c := range cells {
		if i > 0 {
			b.WriteByte('\t')
		}
		fmt.Fprint(&b, c)
	}
	if t.right {
		b.WriteByte('\t')
	}
	b.WriteByte('\n')
	if _, err := io.WriteString(t.tw, b.String()); err != nil && t.err == nil {
		t.err = err
	}
}

// flush lays the rows out and writes them; it returns the first error of
// any write.
func (t *table) flush() error {
	if err := t.tw.Flush(); err != nil && t.err == nil {
		t.err = err
	}
	return t.err
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// writeJSON writes v as one indented JSON document: a report read whole.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// writeJSONLines writes each item as one line of JSON, so a script reads
// a list a line at a time.
func writeJSONLines[T any](w io.Writer, items []T) error {
	enc := json.NewEncoder(w)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	return nil
}
