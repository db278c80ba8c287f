package fetch

import (
	"bytes"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
)

// page is one response as the flow sees it.
type page struct {
	// url is the final URL, after HTTP redirects.
	url    *url.URL
	status int
	header http.Header
	body   []byte
	// mediaType is the lower-case media type of Content-Type, without
	// parameters.
	mediaType string

	doc *goquery.Document
}

func newPage(u *url.URL, status int, header http.Header, body []byte) *page {
	mt, _, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.Split(header.Get("Content-Type"), ";")[0]))
	}
	return &page{url: u, status: status, header: header, body: body, mediaType: mt}
}

// isHTML reports whether the page is HTML by its media type or, when the
// site labels it wrongly, by its first bytes.
func (p *page) isHTML() bool {
	switch p.mediaType {
	case "text/html", "application/xhtml+xml":
		return true
	}
	return looksLikeHTML(p.body)
}

// isPDF reports whether the body starts like a PDF.
func (p *page) isPDF() bool {
	return bytes.HasPrefix(bytes.TrimLeft(p.body[:min(len(p.body), 1024)], "\x00\t\r\n "), []byte("%PDF-"))
}

// html parses the page as HTML once.
func (p *page) html() (*goquery.Document, error) {
	if p.doc != nil {
		return p.doc, nil
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(p.body))
	if err != nil {
		return nil, err
	}
	doc.Url = p.url
	p.doc = doc
	return doc, nil
}

// title returns the page's <title>, for error messages.
func (p *page) title() string {
	if !p.isHTML() {
		return ""
	}
	doc, err := p.html()
	if err != nil {
		return ""
	}
	return collapse(doc.Find("title").First().Text())
}

// looksLikeHTML reports whether b starts like an HTML document.
func looksLikeHTML(b []byte) bool {
	head := strings.ToLower(string(bytes.TrimLeft(b[:min(len(b), 512)], "\xef\xbb\xbf\t\r\n ")))
	for _, p := range []string{"<!doctype html", "<html", "<head", "<body", "<?xml", "<!--"} {
		if strings.HasPrefix(head, p) {
			return true
		}
	}
	return false
}

// snippet returns up to n bytes of b as printable text.
func snippet(b []byte, n int) string {
	b = b[:min(len(b), n)]
	var s strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		switch {
		case r == utf8.RuneError && size <= 1:
			s.WriteByte('.')
		case r == '\n' || r == '\r' || r == '\t':
			s.WriteByte(' ')
		case r < 0x20:
			s.WriteByte('.')
		default:
			s.WriteRune(r)
		}
	}
	return s.String()
}

// collapse trims s and collapses runs of white space (including &nbsp;)
// into one space, as a browser renders table cells.
func collapse(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\u00a0'
	}), " ")
}
