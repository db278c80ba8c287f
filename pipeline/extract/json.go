package extract

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/quarry-dev/quarry/pipeline/extract/internal/numcell"
)

type jsonResult struct {
	Tables []jsonTable `json:"tables"`
	Pages  int         `json:"page_count"`
	Errors []jsonError `json:"errors,omitempty"`
}

type jsonTable struct {
	Pages []int      `json:"pages"`
	BBox  [4]float64 `json:"bbox"`
	Rows  [][]string `json:"rows"`
	// Spans are [row, col, rowspan, colspan], 0-based.
	Spans [][4]int `json:"spans"`
	Ruled bool     `json:"ruled"`
	// Values and Types are the typed view of Rows (WriteTypedJSON).
	Values [][]any    `json:"values,omitempty"`
	Types  [][]string `json:"types,omitempty"`
}

type jsonError struct {
	Page  int    `json:"page"`
	Error string `json:"error"`
}

// WriteJSON writes a result as
//
//	{"tables":[{"pages":[1],"bbox":[x0,y0,x1,y1],"rows":[["..."]],
//	            "spans":[[row,col,rowspan,colspan]],"ruled":true}],
//	 "page_count":3,"errors":[{"page":2,"error":"..."}]}
//
// followed by a newline.
func WriteJSON(w io.Writer, r Result) error {
	return writeJSON(w, r, false)
}

// WriteTypedJSON writes a result as [WriteJSON] does, with two more grids
// per table beside "rows", cell for cell: "types" says what each cell
// holds ("number", "percent", "currency", "date", "text" or "empty") and
// "values" holds its value: a JSON number for numbers (1,234.50 is 1234.5,
// (1,234) is -1234, 1.393,4 with a decimal comma is 1393.4), percentages (as fractions: 12.5% is 0.125) and
// currency amounts ($1,234 is 1234), "YYYY-MM-DD" for dates, the text for
// text and null for empty cells. "rows" keeps the cells as printed.
func WriteTypedJSON(w io.Writer, r Result) error {
	return writeJSON(w, r, true)
}

func writeJSON(w io.Writer, r Result, typed bool) error {
	out := jsonResult{Tables: make([]jsonTable, 0, len(r.Tables)), Pages: r.PageCount}
	for _, t := range r.Tables {
		jt := jsonTable{Pages: t.Pages, BBox: t.BBox, Rows: t.Rows, Spans: make([][4]int, 0, len(t.Spans)), Ruled: t.Ruled}
		if jt.Rows == nil {
			jt.Rows = [][]string{}
		}
		for _, s := range t.Spans {
			jt.Spans = append(jt.Spans, [4]int{s.Row, s.Col, s.RowSpan, s.ColSpan})
		}
		if typed {
			jt.Values, jt.Types = typedCells(jt.Rows)
		}
		out.Tables = append(out.Tables, jt)
	}
	for _, e := range r.PageErrors {
		out.Errors = append(out.Errors, jsonError{Page: e.Page, Error: e.Err.Error()})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("extract: write json: %w", err)
	}
	return nil
}

// typedCells returns the values and types grids of rows.
func typedCells(rows [][]string) ([][]any, [][]string) {
	values := make([][]any, len(rows))
	types := make([][]string, len(rows))
	for i, row := range rows {
		values[i] = make([]any, len(row))
		types[i] = make([]string, len(row))
		for j, cell := range row {
			v, ok := numcell.Parse(cell)
			switch {
			case strings.TrimSpace(cell) == "":
				types[i][j] = "empty"
			case !ok:
				values[i][j], types[i][j] = cell, numcell.Text.String()
			case v.Kind == numcell.Date:
				values[i][j], types[i][j] = v.Date.Format("2006-01-02"), v.Kind.String()
			default:
				values[i][j], types[i][j] = v.Number, v.Kind.String()
			}
		}
	}
	return values, types
}
