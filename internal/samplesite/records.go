package samplesite

import (
	"fmt"
	"io/fs"
	"strings"
)

// Record is one document row of the portal: a well identified by its API
// number, and one filed document about it.
type Record struct {
	// ID is the document's internal id, unique across records.
	ID string
	// APINumber is the search key, e.g. "42-501-20130".
	APINumber string
	// Operator, Lease, Document and Filed are the other grid columns.
	Operator string
	Lease    string
	Document string
	Filed    string
	// File names the PDF in [Config.Documents] served for this record.
	File string
}

// DefaultRecords returns the portal's records. Every API number has exactly
// one document except 42-227-00007, which has two (a search for it yields two
// matching rows), and no record has the API number [MissingAPINumber].
func DefaultRecords() []Record {
	return []Record{
		{ID: "D1001", APINumber: "42-501-20130", Operator: "Permian Basin Oil Co", Lease: "Yates Ranch 1", Document: "Completion Report", Filed: "03/14/2019", File: "bordered_grid.pdf"},
		{ID: "D1002", APINumber: "42-501-20131", Operator: "Permian Basin Oil Co", Lease: "Yates Ranch 2", Document: "Well Log", Filed: "05/02/2019", File: "borderless.pdf"},
		{ID: "D1003", APINumber: "42-003-31415", Operator: "Andrews Energy LLC", Lease: "University 7-14", Document: "Production Report", Filed: "11/30/2020", File: "multipage.pdf"},
		{ID: "D1004", APINumber: "30-015-42424", Operator: "Eddy County Resources", Lease: "Federal 24", Document: "Plugging Record", Filed: "01/08/2021", File: "price_list.pdf"},
		{ID: "D1005", APINumber: "42-227-00007", Operator: "Howard Petroleum", Lease: "Snyder A", Document: "Completion Report", Filed: "07/21/2018", File: "two_tables.pdf"},
		{ID: "D1006", APINumber: "42-227-00007", Operator: "Howard Petroleum", Lease: "Snyder A", Document: "Well Log", Filed: "08/02/2018", File: "shaded_rows.pdf"},
	}
}

// MissingAPINumber is a well-formed API number that matches no record.
const MissingAPINumber = "42-000-00000"

// loadDocuments reads each record's PDF from fsys, or generates a small PDF
// per record when fsys is nil. Records that name the same file share its
// bytes: a catalog of thousands of records over a dozen PDFs holds a dozen
// PDFs.
func loadDocuments(fsys fs.FS, records []Record) (map[string][]byte, error) {
	docs := make(map[string][]byte, len(records))
	files := map[string][]byte{}
	for _, r := range records {
		if fsys == nil {
			docs[r.ID] = minimalPDF("Sample records portal", r.Document, "API "+r.APINumber, r.Operator+" / "+r.Lease, "Filed "+r.Filed)
			continue
		}
		b, ok := files[r.File]
		if !ok {
			var err error
			if b, err = fs.ReadFile(fsys, r.File); err != nil {
				return nil, fmt.Errorf("samplesite: read document %s for %s: %w", r.File, r.APINumber, err)
			}
			if !strings.HasPrefix(string(b[:min(len(b), 5)]), "%PDF-") {
				return nil, fmt.Errorf("samplesite: document %s for %s is not a PDF", r.File, r.APINumber)
			}
			files[r.File] = b
		}
		docs[r.ID] = b
	}
	return docs, nil
}

// digits keeps only the ASCII digits of s, so "42-501-20130" and
// "4250120130" compare equal, as the portal's search does.
func digits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}
