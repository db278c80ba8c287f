package extract

import (
	"context"
	"fmt"
	"slices"

	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/pipeline/extract/internal/pdf"
)

// maxListedPages bounds a selection of closed ranges that SelectPages
// expands without opening the document. Larger selections ("1-1000000")
// are clipped to the page count instead, so a hostile selection cannot
// make a list of a million pages, each reported as out of range.
const maxListedPages = 10_000

// PageCount opens the PDF file data as [Document] does, with opts'
// password and limits, and returns its number of pages.
func PageCount(ctx context.Context, data []byte, opts Options) (int, error) {
	lim := opts.Limits.withDefaults()
	doc, err := pdf.Open(ctx, data, opts.Password, pdf.Limits{
		MaxStreamBytes: lim.MaxStreamBytes,
		MaxObjects:     lim.MaxObjects,
		MaxDepth:       lim.MaxDepth,
	})
	if err != nil {
		return 0, fmt.Errorf("extract: open: %w", err)
	}
	return doc.NumPages(), nil
}

// SelectPages returns the [Options.Pages] for a page selection parsed by
// [messages.ParsePages] ("1-3,5,8-"): the selected pages of the PDF file
// data, ascending and without repeats, so that tables continued over
// consecutive pages still stitch. No ranges means every page and returns
// nil.
//
// Pages past the end of the document are kept only where a range starts
// past it (so [Document] reports "page 8 out of range" rather than
// extracting nothing without a word); ranges that run past the end stop at
// the last page. The document is opened to count its pages only when a
// range is open-ended or the selection is large; errors are those of
// [PageCount].
func SelectPages(ctx context.Context, data []byte, ranges []messages.PageRange, opts Options) ([]int, error) {
	if len(ranges) == 0 {
		return nil, nil
	}
	count := -1 // unknown: every range is closed and the selection small
	listed := 0
	for _, r := range ranges {
		if r.Last == 0 {
			listed = maxListedPages + 1
			break
		}
		listed += r.Last - r.First + 1
	}
	if listed > maxListedPages {
		n, err := PageCount(ctx, data, opts)
		if err != nil {
			return nil, err
		}
		count = n
	}
	return expandPages(ranges, count), nil
}

// expandPages lists the pages of ranges, sorted and deduplicated. With
// count >= 0 each range is clipped to count pages but keeps its first page,
// so the selection never becomes empty (which would mean "every page").
func expandPages(ranges []messages.PageRange, count int) []int {
	var pages []int
	for _, r := range ranges {
		last := r.Last
		if count >= 0 && (last == 0 || last > count) {
			last = max(count, r.First)
		}
		for p := r.First; p <= last; p++ {
			pages = append(pages, p)
		}
	}
	slices.Sort(pages)
	return slices.Compact(pages)
}
