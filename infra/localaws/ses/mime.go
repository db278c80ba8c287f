package ses

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"path/filepath"
	"strings"
)

// header is one message header. raw, when set, is the header exactly as it
// appeared in a raw message (with its folding and line endings), so that
// rewriting a raw message leaves the headers it keeps byte for byte.
type header struct {
	Name  string
	Value string
	raw   string
}

// messageBody is what goes below the top-level headers of a message SES
// builds: a text part, an HTML part (an alternative when both are given) and
// attachments (a mixed multipart around them).
type messageBody struct {
	Text        *string
	HTML        *string
	Attachments []attachment
}

// attachment is SES v2's Attachment structure.
type attachment struct {
	FileName                string `json:"FileName"`
	ContentType             string `json:"ContentType"`
	RawContent              []byte `json:"RawContent"`
	ContentDisposition      string `json:"ContentDisposition"`
	ContentTransferEncoding string `json:"ContentTransferEncoding"`
	ContentID               string `json:"ContentId"`
	ContentDescription      string `json:"ContentDescription"`
}

// entity is a MIME entity: its Content-* headers and encoded body.
type entity struct {
	header []header
	body   []byte
}

// maxLineLen is where header lines are folded when they contain whitespace.
const maxLineLen = 78

// composeMIME writes a complete message: the top-level headers, then the
// body's entity headers, a blank line and the body. Lines end in CRLF.
func composeMIME(top []header, body messageBody) ([]byte, error) {
	e, err := bodyEntity(body)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	for _, h := range top {
		writeHeader(&buf, h.Name, h.Value)
	}
	for _, h := range e.header {
		writeHeader(&buf, h.Name, h.Value)
	}
	buf.WriteString("\r\n")
	buf.Write(e.body)
	return buf.Bytes(), nil
}

func bodyEntity(b messageBody) (entity, error) {
	var content entity
	switch {
	case b.Text != nil && b.HTML != nil:
		content = multipartEntity("alternative", []entity{textEntity("plain", *b.Text), textEntity("html", *b.HTML)})
	case b.HTML != nil:
		content = textEntity("html", *b.HTML)
	case b.Text != nil:
		content = textEntity("plain", *b.Text)
	default:
		content = textEntity("plain", "")
	}
	if len(b.Attachments) == 0 {
		return content, nil
	}
	parts := []entity{content}
	for i := range b.Attachments {
		a, err := attachmentEntity(&b.Attachments[i])
		if err != nil {
			return entity{}, err
		}
		parts = append(parts, a)
	}
	return multipartEntity("mixed", parts), nil
}

// textEntity is a UTF-8 text part in quoted-printable, which keeps the
// message 7-bit as SES recommends.
func textEntity(subtype, s string) entity {
	var buf bytes.Buffer
	w := quotedprintable.NewWriter(&buf)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return entity{
		header: []header{
			{Name: "Content-Type", Value: "text/" + subtype + "; charset=UTF-8"},
			{Name: "Content-Transfer-Encoding", Value: "quoted-printable"},
		},
		body: buf.Bytes(),
	}
}

func multipartEntity(subtype string, parts []entity) entity {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		for _, f := range p.header {
			h.Add(f.Name, f.Value)
		}
		// Writes to a bytes.Buffer cannot fail.
		w, _ := mw.CreatePart(h)
		_, _ = w.Write(p.body)
	}
	_ = mw.Close()
	return entity{
		header: []header{{Name: "Content-Type", Value: mime.FormatMediaType("multipart/"+subtype, map[string]string{"boundary": mw.Boundary()})}},
		body:   buf.Bytes(),
	}
}

// attachmentEntity encodes one attachment. Its content type defaults to the
// one of its file extension; non-ASCII file names are RFC 2231 encoded.
func attachmentEntity(a *attachment) (entity, error) {
	if err := checkAttachment(a); err != nil {
		return entity{}, err
	}
	ct := a.ContentType
	if ct == "" {
		ct = mime.TypeByExtension(strings.ToLower(filepath.Ext(a.FileName)))
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return entity{}, fmt.Errorf("attachment %q: invalid ContentType %q: %w", a.FileName, a.ContentType, err)
	}
	params["name"] = a.FileName
	ctValue := mime.FormatMediaType(mt, params)
	disp := "attachment"
	if strings.EqualFold(a.ContentDisposition, "INLINE") {
		disp = "inline"
	}
	dispValue := mime.FormatMediaType(disp, map[string]string{"filename": a.FileName})
	if ctValue == "" || dispValue == "" {
		return entity{}, fmt.Errorf("attachment %q: file name or content type cannot be put in a MIME header", a.FileName)
	}
	h := []header{{Name: "Content-Type", Value: ctValue}, {Name: "Content-Disposition", Value: dispValue}}
	if a.ContentID != "" {
		id := a.ContentID
		if !strings.HasPrefix(id, "<") {
			id = "<" + id + ">"
		}
		h = append(h, header{Name: "Content-ID", Value: id})
	}
	if a.ContentDescription != "" {
		h = append(h, header{Name: "Content-Description", Value: encodeHeaderText(a.ContentDescription)})
	}
	var body []byte
	switch strings.ToUpper(a.ContentTransferEncoding) {
	case "", "BASE64":
		h = append(h, header{Name: "Content-Transfer-Encoding", Value: "base64"})
		body = base64Lines(a.RawContent)
	case "QUOTED_PRINTABLE":
		h = append(h, header{Name: "Content-Transfer-Encoding", Value: "quoted-printable"})
		var buf bytes.Buffer
		w := quotedprintable.NewWriter(&buf)
		_, _ = w.Write(a.RawContent)
		_ = w.Close()
		body = buf.Bytes()
	case "SEVEN_BIT":
		h = append(h, header{Name: "Content-Transfer-Encoding", Value: "7bit"})
		body = a.RawContent
	}
	return entity{header: h, body: body}, nil
}

// checkAttachment validates what SES checks of an attachment before it
// builds the message.
func checkAttachment(a *attachment) error {
	if a.FileName == "" {
		return errors.New("attachment FileName is required")
	}
	if hasControl(a.FileName) || hasControl(a.ContentID) || hasControl(a.ContentDescription) || hasControl(a.ContentType) {
		return fmt.Errorf("attachment %q: FileName, ContentType, ContentId and ContentDescription must not contain control characters", a.FileName)
	}
	switch strings.ToUpper(a.ContentDisposition) {
	case "", "ATTACHMENT", "INLINE":
	default:
		return fmt.Errorf("attachment %q: ContentDisposition must be ATTACHMENT or INLINE, got %q", a.FileName, a.ContentDisposition)
	}
	switch strings.ToUpper(a.ContentTransferEncoding) {
	case "", "BASE64", "QUOTED_PRINTABLE":
	case "SEVEN_BIT":
		for _, c := range a.RawContent {
			if c >= 0x80 || c == 0 {
				return fmt.Errorf("attachment %q: SEVEN_BIT content must be 7-bit ASCII", a.FileName)
			}
		}
	default:
		return fmt.Errorf("attachment %q: ContentTransferEncoding must be BASE64, QUOTED_PRINTABLE or SEVEN_BIT, got %q", a.FileName, a.ContentTransferEncoding)
	}
	return nil
}

// blockedExtension reports whether SES refuses attachments with the file
// name's extension (executables and scripts).
func blockedExtension(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".ade", ".adp", ".app", ".asp", ".bas", ".bat", ".cer", ".chm", ".cmd", ".com", ".cpl", ".crt",
		".csh", ".der", ".exe", ".fxp", ".gadget", ".hlp", ".hta", ".inf", ".ins", ".isp", ".its", ".js",
		".jse", ".ksh", ".lib", ".lnk", ".mad", ".maf", ".mag", ".mam", ".maq", ".mar", ".mas", ".mat",
		".mau", ".mav", ".maw", ".mda", ".mdb", ".mde", ".mdt", ".mdw", ".mdz", ".msc", ".msh", ".msi",
		".msp", ".mst", ".ops", ".pcd", ".pif", ".plg", ".prf", ".prg", ".ps1", ".ps2", ".reg", ".scf",
		".scr", ".sct", ".shb", ".shs", ".sys", ".tmp", ".url", ".vb", ".vbe", ".vbs", ".vps", ".vsmacros",
		".vss", ".vst", ".vsw", ".vxd", ".ws", ".wsc", ".wsf", ".wsh", ".xnk":
		return true
	}
	return false
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// base64Lines encodes b in base64 lines of 76 characters, CRLF-terminated.
func base64Lines(b []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(b)
	var buf bytes.Buffer
	buf.Grow(len(enc) + len(enc)/76*2 + 2)
	for len(enc) > 76 {
		buf.WriteString(enc[:76])
		buf.WriteString("\r\n")
		enc = enc[76:]
	}
	buf.WriteString(enc)
	buf.WriteString("\r\n")
	return buf.Bytes()
}

// encodeHeaderText makes free text (a subject, a description) safe for a
// header: line breaks become spaces, and non-ASCII text is RFC 2047
// Q-encoded.
func encodeHeaderText(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
	return mime.QEncoding.Encode("UTF-8", s)
}

// writeHeader writes "Name: value" and CRLF, folding at spaces so that lines
// stay within maxLineLen where the value allows it.
func writeHeader(buf *bytes.Buffer, name, value string) {
	buf.WriteString(name)
	buf.WriteByte(':')
	col := len(name) + 1
	for _, w := range strings.Split(value, " ") {
		if col+1+len(w) > maxLineLen && col > len(name)+1 {
			buf.WriteString("\r\n")
			col = 0
		}
		buf.WriteByte(' ')
		buf.WriteString(w)
		col += 1 + len(w)
	}
	buf.WriteString("\r\n")
}

// rawMessage is a MIME message split into its top-level headers and body.
type rawMessage struct {
	headers []header
	body    []byte // everything after the blank line; nil when there is none
	eol     string // the line ending the headers use
}

// get returns the first value of a header, "" when absent.
func (m *rawMessage) get(name string) string {
	for _, h := range m.headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

func (m *rawMessage) has(name string) bool {
	for _, h := range m.headers {
		if strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}

// parseRawMessage splits a MIME message into headers and body. The header
// block ends at the first empty line (CRLF or LF endings); folded lines are
// unfolded. A line that is neither a header nor a continuation is an error,
// as is a message without headers.
func parseRawMessage(data []byte) (*rawMessage, error) {
	m := &rawMessage{eol: "\r\n"}
	pos := 0
	first := true
	for pos < len(data) {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		line := string(data[pos:next])
		content := strings.TrimRight(line, "\r\n")
		if first {
			first = false
			if !strings.HasSuffix(line, "\r\n") && strings.HasSuffix(line, "\n") {
				m.eol = "\n"
			}
		}
		pos = next
		if content == "" {
			m.body = data[pos:]
			break
		}
		if content[0] == ' ' || content[0] == '\t' {
			if len(m.headers) == 0 {
				return nil, errors.New("the message starts with a folded (indented) line instead of a header")
			}
			h := &m.headers[len(m.headers)-1]
			h.Value += content
			h.raw += line
			continue
		}
		colon := strings.IndexByte(content, ':')
		if colon <= 0 {
			return nil, fmt.Errorf("malformed header line %q: expected \"Name: value\"", truncate(content, 60))
		}
		name := content[:colon]
		for i := 0; i < len(name); i++ {
			if name[i] < 33 || name[i] > 126 {
				return nil, fmt.Errorf("malformed header name %q", truncate(name, 60))
			}
		}
		m.headers = append(m.headers, header{Name: name, Value: content[colon+1:], raw: line})
	}
	if len(m.headers) == 0 {
		return nil, errors.New("the message has no headers")
	}
	for i := range m.headers {
		m.headers[i].Value = strings.TrimSpace(m.headers[i].Value)
	}
	return m, nil
}

// bytes writes the message back: kept headers as they came, new headers
// with the message's own line ending, then the body.
func (m *rawMessage) bytes() []byte {
	var buf bytes.Buffer
	for _, h := range m.headers {
		if h.raw != "" {
			buf.WriteString(h.raw)
			if !strings.HasSuffix(h.raw, "\n") {
				buf.WriteString(m.eol)
			}
			continue
		}
		var hb bytes.Buffer
		writeHeader(&hb, h.Name, h.Value)
		buf.WriteString(strings.ReplaceAll(hb.String(), "\r\n", m.eol))
	}
	buf.WriteString(m.eol)
	buf.Write(m.body)
	return buf.Bytes()
}

// decodeHeaderText decodes RFC 2047 encoded words; undecodable text is
// returned as it is.
func decodeHeaderText(s string) string {
	dec := new(mime.WordDecoder)
	if out, err := dec.DecodeHeader(s); err == nil {
		return out
	}
	return s
}
