package extract

import (
	"encoding/json"
	"fmt"
	"io"
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
	out := jsonResult{Tables: make([]jsonTable, 0, len(r.Tables)), Pages: r.PageCount}
	for _, t := range r.Tables {
		jt := jsonTable{Pages: t.Pages, BBox: t.BBox, Rows: t.Rows, Spans: make([][4]int, 0, len(t.Spans)), Ruled: t.Ruled}
		if jt.Rows == nil {
			jt.Rows = [][]string{}
		}
		for _, s := range t.Spans {
			jt.Spans = append(jt.Spans, [4]int{s.Row, s.Col, s.RowSpan, s.ColSpan})
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
