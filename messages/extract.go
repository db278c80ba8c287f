package messages

import (
	"fmt"
	"strconv"
	"strings"
)

// Output formats of extract.tables.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
	FormatXLSX = "xlsx"
)

// maxPageRanges bounds a pages selection so a hostile one cannot make
// validation slow.
const maxPageRanges = 100

// ExtractTables is the payload of a [TypeExtractTables] job: read the PDF at
// PDFKey in the blob store, extract the tables on Pages, write them in
// Formats, and, when Notify is set, publish a [NotifyEmail] child with the
// outputs attached.
type ExtractTables struct {
	// PDFKey is the PDF's blob-store key: relative, up to 1024 bytes.
	// Required.
	PDFKey string `json:"pdf_key"`
	// Pages selects pages as in [ParsePages] ("1-3,5,8-"); empty means all.
	Pages string `json:"pages,omitempty"`
	// Formats lists the outputs: "csv", "json", "xlsx", each at most once.
	// Empty means csv and json.
	Formats []string `json:"formats,omitempty"`
	// Notify, when set, mails the outputs.
	Notify *NotifyOptions `json:"notify,omitempty"`
}

// Validate checks the payload and returns a [*ValidationError] naming the
// first bad field ("payload.pdf_key").
func (p ExtractTables) Validate() error {
	if err := checkBlobKey("payload.pdf_key", p.PDFKey); err != nil {
		return err
	}
	if _, err := ParsePages(p.Pages); err != nil {
		return within("payload.pages", err)
	}
	if err := checkFormats("payload.formats", p.Formats); err != nil {
		return err
	}
	if p.Notify != nil {
		return p.Notify.validate("payload.notify")
	}
	return nil
}

func checkFormats(field string, formats []string) error {
	seen := map[string]bool{}
	for i, f := range formats {
		switch f {
		case FormatCSV, FormatJSON, FormatXLSX:
		default:
			return &ValidationError{Field: fmt.Sprintf("%s[%d]", field, i), Reason: fmt.Sprintf("unknown format %q (known: csv, json, xlsx)", clip(f))}
		}
		if seen[f] {
			return &ValidationError{Field: fmt.Sprintf("%s[%d]", field, i), Reason: fmt.Sprintf("%q listed twice", f)}
		}
		seen[f] = true
	}
	return nil
}

// PageRange is a run of 1-based PDF pages, First to Last inclusive; Last 0
// means "to the last page".
type PageRange struct {
	First, Last int
}

// ParsePages parses a page selection: comma-separated pages and ranges,
// 1-based, such as "1-3,5,8-" (pages 1 to 3, 5, and 8 to the end). Spaces
// around items are ignored. The empty string selects every page and returns
// nil. Errors are [*ValidationError]s whose Field the caller fills in.
func ParsePages(s string) ([]PageRange, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	items := strings.Split(s, ",")
	if len(items) > maxPageRanges {
		return nil, &ValidationError{Reason: fmt.Sprintf("%d ranges, over the limit of %d", len(items), maxPageRanges)}
	}
	out := make([]PageRange, 0, len(items))
	for _, item := range items {
		item = strings.TrimSpace(item)
		first, last, isRange := strings.Cut(item, "-")
		r := PageRange{}
		var err error
		if r.First, err = pageNumber(first); err != nil {
			return nil, &ValidationError{Reason: fmt.Sprintf("%q: %v", clip(item), err)}
		}
		switch {
		case !isRange:
			r.Last = r.First
		case strings.TrimSpace(last) == "":
			r.Last = 0
		default:
			if r.Last, err = pageNumber(last); err != nil {
				return nil, &ValidationError{Reason: fmt.Sprintf("%q: %v", clip(item), err)}
			}
			if r.Last < r.First {
				return nil, &ValidationError{Reason: fmt.Sprintf("%q: range ends before it starts", clip(item))}
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func pageNumber(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("missing page number")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1_000_000 {
		return 0, fmt.Errorf("page %q is not a number from 1 to 1000000", clip(s))
	}
	return n, nil
}
