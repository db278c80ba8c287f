package fetch

import (
	"bytes"
	"slices"
	"strconv"
	"strings"

	"github.com/quarry-dev/quarry/pipeline/fetch/recipe"
)

// Where validate looks for the PDF markers.
const (
	pdfHeaderWithin  = 1024
	pdfTrailerWithin = 2048
)

// validateDocument runs a validate step's checks on the downloaded body.
func (fl *flow) validateDocument(v *recipe.Validate) *Failure {
	step := fl.label()
	p := fl.dl
	if p == nil {
		return failf(ClassRecipeBroken, step, "nothing was downloaded")
	}
	body := p.body
	if !slices.ContainsFunc(v.ContentTypes, func(ct string) bool { return strings.EqualFold(ct, p.mediaType) }) {
		return failf(ClassNotPDF, step, "content type %q, want %s%s", p.mediaType, strings.Join(v.ContentTypes, " or "), bodyHint(p)).withPage(p)
	}
	if v.CheckPDFHeader() && !bytes.Contains(body[:min(len(body), pdfHeaderWithin)], []byte("%PDF-")) {
		return failf(ClassNotPDF, step, "no %%PDF- header in the first %d bytes%s", pdfHeaderWithin, bodyHint(p)).withPage(p)
	}
	if v.CheckLength() {
		if cl := p.header.Get("Content-Length"); cl != "" {
			if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n != int64(len(body)) {
				return failf(ClassTruncated, step, "got %d bytes, Content-Length says %d", len(body), n).withPage(p)
			}
		}
	}
	if v.CheckEOFTrailer() && !bytes.Contains(body[max(0, len(body)-pdfTrailerWithin):], []byte("%%EOF")) {
		return failf(ClassTruncated, step, "no %%%%EOF in the last %d bytes: the PDF is cut short", pdfTrailerWithin).withPage(p)
	}
	if int64(len(body)) < int64(v.MinBytes) {
		return failf(ClassValidation, step, "document is %d bytes, less than min_bytes %d", len(body), v.MinBytes).withPage(p)
	}
	return nil
}

// bodyHint describes what a body that is not a PDF looks like.
func bodyHint(p *page) string {
	if looksLikeHTML(p.body) {
		if t := p.title(); t != "" {
			return ": the body is an HTML page titled " + strconv.Quote(t)
		}
		return ": the body is an HTML page"
	}
	return ": the body starts with " + strconv.Quote(snippet(p.body, 24))
}
