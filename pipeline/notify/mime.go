package notify

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"path"
	"strings"
	"time"
)

// maxLineLen is the line length headers are folded to where they can be
// (RFC 5322 recommends 78; 998 is the hard limit).
const maxLineLen = 78

// message is the part of an email that is the same for every recipient
// of a job: all headers but To and List-Unsubscribe, and the MIME body.
type message struct {
	from        string // From header value, display name RFC 2047-encoded
	subject     string // as rendered, not yet encoded
	date        time.Time
	contentType string // of body: multipart/mixed with its boundary
	body        []byte
}

// attachment is one file to attach.
type attachment struct {
	key         string // blob key it was read from
	name        string // file name in the message: the key's base name
	contentType string
	data        []byte
}

// newBoundary returns a random MIME boundary. "=_" cannot occur in
// quoted-printable or base64 text, so no part can contain the boundary.
func newBoundary() string { return "=_qm_" + rand.Text() }

// composeMessage builds the MIME body: multipart/mixed holding the text
// (multipart/alternative of text/plain and text/html when there is HTML,
// quoted-printable UTF-8) and then each attachment (base64 in 76-character
// lines). boundary gives each multipart its boundary; tests pass a fixed
// sequence. Lines end in CRLF.
func composeMessage(from, subject string, date time.Time, r rendered, atts []attachment, boundary func() string) (*message, error) {
	var body bytes.Buffer
	body.Grow(len(r.text) + len(r.html) + 1024 + int(attachmentsEncodedSize(atts)))
	mixed := multipart.NewWriter(&body)
	if err := mixed.SetBoundary(boundary()); err != nil {
		return nil, fmt.Errorf("notify: multipart boundary: %w", err)
	}
	if r.html == "" {
		if err := writeTextPart(mixed, "text/plain; charset=UTF-8", r.text); err != nil {
			return nil, err
		}
	} else {
		altBoundary := boundary()
		w, err := mixed.CreatePart(textproto.MIMEHeader{"Content-Type": {`multipart/alternative; boundary="` + altBoundary + `"`}})
		if err != nil {
			return nil, err
		}
		alt := multipart.NewWriter(w)
		if err := alt.SetBoundary(altBoundary); err != nil {
			return nil, fmt.Errorf("notify: multipart boundary: %w", err)
		}
		if err := writeTextPart(alt, "text/plain; charset=UTF-8", r.text); err != nil {
			return nil, err
		}
		if err := writeTextPart(alt, "text/html; charset=UTF-8", r.html); err != nil {
			return nil, err
		}
		if err := alt.Close(); err != nil {
			return nil, err
		}
	}
	for _, a := range atts {
		if err := writeAttachment(mixed, a); err != nil {
			return nil, err
		}
	}
	if err := mixed.Close(); err != nil {
		return nil, err
	}
	return &message{
		from:        from,
		subject:     subject,
		date:        date,
		contentType: `multipart/mixed; boundary="` + mixed.Boundary() + `"`,
		body:        body.Bytes(),
	}, nil
}

func writeTextPart(mw *multipart.Writer, contentType, text string) error {
	w, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {contentType},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return err
	}
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, text); err != nil {
		return err
	}
	return qp.Close()
}

func writeAttachment(mw *multipart.Writer, a attachment) error {
	w, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {paramHeader("Content-Type", a.contentType, fileNameParams("name", a.name))},
		"Content-Disposition":       {paramHeader("Content-Disposition", "attachment", fileNameParams("filename", a.name))},
		"Content-Transfer-Encoding": {"base64"},
	})
	if err != nil {
		return err
	}
	enc := base64.NewEncoder(base64.StdEncoding, &lineBreaker{w: w})
	if _, err := enc.Write(a.data); err != nil {
		return err
	}
	return enc.Close()
}

// encodedSize is the size of n bytes in base64 lines of 76 characters
// separated by CRLF, as writeAttachment writes them.
func encodedSize(n int) int64 {
	enc := 4 * ((int64(n) + 2) / 3)
	lines := (enc + 75) / 76
	return enc + 2*max(lines-1, 0)
}

func attachmentsEncodedSize(atts []attachment) int64 {
	var n int64
	for _, a := range atts {
		n += encodedSize(len(a.data))
	}
	return n
}

// lineBreaker breaks what is written to it into lines of 76 bytes joined
// by CRLF, without a line break after the last.
type lineBreaker struct {
	w   io.Writer
	col int
}

func (l *lineBreaker) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if l.col == 76 {
			if _, err := io.WriteString(l.w, "\r\n"); err != nil {
				return n, err
			}
			l.col = 0
		}
		k := min(76-l.col, len(p))
		if _, err := l.w.Write(p[:k]); err != nil {
			return n, err
		}
		l.col += k
		n += k
		p = p[k:]
	}
	return n, nil
}

// listUnsubscribe is the List-Unsubscribe header of one recipient.
type listUnsubscribe struct {
	uris     []string // without the angle brackets, https first
	oneClick bool     // adds List-Unsubscribe-Post: List-Unsubscribe=One-Click
}

// bytesFor returns the whole message addressed to one recipient.
func (m *message) bytesFor(to string, unsub listUnsubscribe) []byte {
	var b bytes.Buffer
	b.Grow(len(m.body) + 1024)
	m.writeHeaders(&b, to, unsub)
	b.Write(m.body)
	return b.Bytes()
}

// sizeFor is len(m.bytesFor(to, unsub)) without building the message.
func (m *message) sizeFor(to string, unsub listUnsubscribe) int64 {
	var b bytes.Buffer
	m.writeHeaders(&b, to, unsub)
	return int64(b.Len() + len(m.body))
}

// writeHeaders writes the top-level headers and the blank line that ends
// them. There is no Message-ID: SES sets its own.
func (m *message) writeHeaders(b *bytes.Buffer, to string, unsub listUnsubscribe) {
	writeHeader(b, "From", m.from)
	writeHeader(b, "To", to)
	writeHeader(b, "Subject", encodeHeaderText(m.subject))
	writeHeader(b, "Date", m.date.Format(time.RFC1123Z))
	writeHeader(b, "MIME-Version", "1.0")
	if len(unsub.uris) > 0 {
		writeHeader(b, "List-Unsubscribe", "<"+strings.Join(unsub.uris, ">, <")+">")
		if unsub.oneClick {
			writeHeader(b, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
		}
	}
	writeHeader(b, "Content-Type", m.contentType)
	b.WriteString("\r\n")
}

// maxEncodedWord bounds an RFC 2047 encoded word, so that "Subject: "
// and one word fit a 78-character line (RFC 2047 allows 75).
const maxEncodedWord = 66

// encodeHeaderText returns header text as it goes on the wire: as it is
// when it is plain ASCII that can be folded, otherwise as RFC 2047
// encoded words ("Q" encoding, UTF-8) of at most maxEncodedWord
// characters, separated by spaces so they can be folded. Readers join
// adjacent encoded words without the space.
func encodeHeaderText(s string) string {
	if !needsEncoding(s) {
		return s
	}
	const open, end = "=?UTF-8?q?", "?="
	var words []string
	var cur strings.Builder
	for _, r := range s {
		enc := qEncode(r)
		if cur.Len() > 0 && len(open)+cur.Len()+len(enc)+len(end) > maxEncodedWord {
			words = append(words, open+cur.String()+end)
			cur.Reset()
		}
		cur.WriteString(enc)
	}
	words = append(words, open+cur.String()+end)
	return strings.Join(words, " ")
}

// needsEncoding reports whether header text must be encoded: it is not
// printable ASCII, could be mistaken for an encoded word, or has a word
// too long to fold.
func needsEncoding(s string) bool {
	if strings.Contains(s, "=?") {
		return true
	}
	for _, w := range strings.Split(s, " ") {
		if len(w) > maxEncodedWord {
			return true
		}
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return true
		}
	}
	return false
}

// qEncode is one rune in RFC 2047's "Q" encoding: printable ASCII but
// '=', '?' and '_' as it is, space as '_', everything else as =XX per
// UTF-8 byte. Invalid UTF-8 becomes U+FFFD.
func qEncode(r rune) string {
	const hex = "0123456789ABCDEF"
	switch {
	case r == ' ':
		return "_"
	case r > ' ' && r <= '~' && r != '=' && r != '?' && r != '_':
		return string(r)
	}
	var b strings.Builder
	for _, c := range []byte(string(r)) {
		b.WriteByte('=')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// writeHeader writes "name: value" and CRLF, folding at spaces so lines
// stay within 78 characters where the value allows.
func writeHeader(b *bytes.Buffer, name, value string) {
	b.WriteString(name)
	b.WriteString(":")
	col := len(name) + 1
	for i, word := range strings.Split(value, " ") {
		if i > 0 && col+1+len(word) > maxLineLen {
			b.WriteString("\r\n")
			col = 0
		}
		b.WriteByte(' ')
		col++
		b.WriteString(word)
		col += len(word)
	}
	b.WriteString("\r\n")
}

// paramHeader joins a media type and its parameters, one per folded line
// when they do not fit on the header's first line.
func paramHeader(name, value string, params []string) string {
	all := append([]string{value}, params...)
	if len(name)+2+len(strings.Join(all, "; ")) <= maxLineLen {
		return strings.Join(all, "; ")
	}
	return strings.Join(all, ";\r\n ")
}

// maxParamLen bounds a file name sent as it is, and the ASCII fallback;
// maxEncodedParam bounds each RFC 2231 piece of an encoded one. With the
// parameter's name, each fits a 78-character line.
const (
	maxParamLen     = 60
	maxEncodedParam = 50
)

// fileNameParams returns the parameters that carry a file name: attr="name"
// for a short plain ASCII name; otherwise an ASCII fallback attr="..." for
// old readers plus the exact name in RFC 2231 form, UTF-8 and
// percent-encoded, which readers prefer (attr*, or attr*0*, attr*1*, ...
// when long):
//
//	filename="donn_es.csv"; filename*=UTF-8''donn%C3%A9es.csv
func fileNameParams(attr, name string) []string {
	if isPlainParam(name) && len(name) <= maxParamLen {
		return []string{attr + `="` + name + `"`}
	}
	out := []string{attr + `="` + asciiFallback(name) + `"`}
	chunks := splitEncoded(percentEncode(name), maxEncodedParam)
	if len(chunks) == 1 {
		return append(out, attr+"*=UTF-8''"+chunks[0])
	}
	for i, c := range chunks {
		if i == 0 {
			c = "UTF-8''" + c
		}
		out = append(out, fmt.Sprintf("%s*%d*=%s", attr, i, c))
	}
	return out
}

// isPlainParam reports whether s can go in a quoted parameter as it is.
func isPlainParam(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// asciiFallback replaces what cannot stand in a quoted ASCII parameter
// with '_' and shortens the name to maxParamLen, keeping its extension.
func asciiFallback(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' {
			b.WriteByte('_')
			continue
		}
		b.WriteRune(r)
	}
	s := b.String()
	if len(s) > maxParamLen {
		ext := path.Ext(s)
		if len(ext) > maxParamLen/2 {
			ext = ""
		}
		s = s[:maxParamLen-len(ext)] + ext
	}
	return s
}

// percentEncode encodes s as an RFC 5987 value: attr-chars as they are,
// every other byte as %XX.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAttrChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func isAttrChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}

// splitEncoded cuts a percent-encoded string into pieces of at most n
// bytes, never inside a %XX triplet.
func splitEncoded(s string, n int) []string {
	var out []string
	for len(s) > n {
		cut := n
		if i := strings.LastIndexByte(s[:cut], '%'); i >= 0 && i+3 > cut {
			cut = i
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	return append(out, s)
}
