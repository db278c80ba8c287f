package extract

import "strconv"

// Result is what Document found.
type Result struct {
	// Tables in document order.
	Tables []Table
	// PageCount is the number of pages of the document.
	PageCount int
	// PageErrors lists the pages that failed; the other pages' tables are
	// in Tables.
	PageErrors []PageError
}

// Table is one table, possibly continued over several pages.
type Table struct {
	// Pages are the 1-based pages the table is on.
	Pages []int
	// BBox is the table's extent on its first page: [x0, y0, x1, y1] in
	// points, origin at the bottom-left of the displayed page.
	BBox [4]float64
	// Rows are the cell texts; all rows have the same length. A cell
	// covered by a span is "" and its text is in the span's first cell.
	// The lines of a wrapped cell are joined by a space.
	Rows [][]string
	// Spans are the cells covering more than one row or column.
	Spans []Span
	// Ruled reports a table found from its ruling lines.
	Ruled bool
}

// Span is a merged cell: it starts at (Row, Col), 0-based within the table,
// and covers RowSpan rows and ColSpan columns.
type Span struct {
	Row, Col, RowSpan, ColSpan int
}

// PageError is the failure of one page.
type PageError struct {
	// Page is the 1-based page number.
	Page int
	// Err says what failed.
	Err error
}

// Error returns "page N: reason".
func (e PageError) Error() string { return "page " + strconv.Itoa(e.Page) + ": " + e.Err.Error() }

// Unwrap returns the page's error.
func (e PageError) Unwrap() error { return e.Err }
