package notify

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "update golden files")

// fixedBoundaries returns boundaries that are the same on every run.
func fixedBoundaries() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("=_qm_golden_%d", n)
	}
}

// goldenMessage is the message the golden file holds: the embedded
// tables-ready template with a non-ASCII subject, a CSV with a non-ASCII
// name and an XLSX, to one recipient with both unsubscribe links.
func goldenMessage(t *testing.T) (raw []byte, r rendered, atts []attachment) {
	t.Helper()
	ts, err := loadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	r, err = ts.render("tables-ready", map[string]any{
		"pdf_key":      "jobs/01JTEST/puits-4212345678.pdf",
		"tables":       float64(2),
		"pages":        float64(1),
		"failed_pages": []any{},
		"outputs":      []any{"jobs/01JTEST/puits-4212345678.tables/données-été.csv", "jobs/01JTEST/puits-4212345678.tables/tables.xlsx"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.subject = "Résultats – puits 4212345678: 2 tableaux extraits"
	xlsx := make([]byte, 200)
	for i := range xlsx {
		xlsx[i] = byte(i * 7)
	}
	atts = []attachment{
		{key: "jobs/01JTEST/puits-4212345678.tables/données-été.csv", name: "données-été.csv", contentType: contentTypeOf("x.csv"), data: []byte("puits,profondeur\r\n4212345678,1200\r\n")},
		{key: "jobs/01JTEST/puits-4212345678.tables/tables.xlsx", name: "tables.xlsx", contentType: contentTypeOf("x.xlsx"), data: append([]byte("PK\x03\x04"), xlsx...)},
	}
	msg, err := composeMessage(`"Quarry" <results@example.com>`, r.subject, time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), r, atts, fixedBoundaries())
	if err != nil {
		t.Fatal(err)
	}
	u := unsubscriber{mailto: "unsubscribe@example.com", url: "https://u.example.com/unsubscribe", key: []byte("0123456789abcdef")}
	raw = msg.bytesFor("jane@example.org", u.header("jane@example.org"))
	if size := msg.sizeFor("jane@example.org", u.header("jane@example.org")); size != int64(len(raw)) {
		t.Errorf("sizeFor = %d, the message is %d bytes", size, len(raw))
	}
	return raw, r, atts
}

func TestMessageGolden(t *testing.T) {
	t.Parallel()
	got, _, _ := goldenMessage(t)
	golden := filepath.Join("testdata", "tables-ready.eml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("message differs from %s (run with -update and review the diff):\n%s", golden, got)
	}
}

func TestMessageWireForm(t *testing.T) {
	t.Parallel()
	raw, _, _ := goldenMessage(t)
	for i, line := range bytes.SplitAfter(raw, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if !bytes.HasSuffix(line, []byte("\r\n")) {
			t.Errorf("line %d does not end in CRLF: %q", i+1, line)
		}
		if len(line) > 998+2 {
			t.Errorf("line %d is %d bytes", i+1, len(line))
		}
		for _, c := range line {
			if c >= 0x80 {
				t.Fatalf("line %d is not 7-bit: %q", i+1, line)
			}
		}
	}
}

// TestMessageReadsBack parses the message with the standard library, as a
// mail client would, and finds what went in.
func TestMessageReadsBack(t *testing.T) {
	t.Parallel()
	raw, r, atts := goldenMessage(t)
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var dec mime.WordDecoder
	if subject, err := dec.DecodeHeader(m.Header.Get("Subject")); err != nil || subject != r.subject {
		t.Errorf("Subject decodes to %q, %v; want %q", subject, err, r.subject)
	}
	if to := m.Header.Get("To"); to != "jane@example.org" {
		t.Errorf("To: %q", to)
	}
	if m.Header.Get("Message-Id") != "" {
		t.Error("the message sets a Message-ID; SES sets its own")
	}
	wantUnsub := "<https://u.example.com/unsubscribe?address=jane%40example.org&sig=" + UnsubscribeSignature([]byte("0123456789abcdef"), "jane@example.org") + ">, <mailto:unsubscribe@example.com?subject=unsubscribe>"
	if got := m.Header.Get("List-Unsubscribe"); got != wantUnsub {
		t.Errorf("List-Unsubscribe: %q, want %q", got, wantUnsub)
	}
	if got := m.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post: %q", got)
	}

	parts := readParts(t, m.Header.Get("Content-Type"), m.Body)
	if len(parts) != 4 {
		t.Fatalf("%d leaf parts, want text, html and 2 attachments", len(parts))
	}
	if parts[0].contentType != "text/plain; charset=UTF-8" || parts[0].body != strings.ReplaceAll(r.text, "\n", "\r\n") {
		t.Errorf("text part %q:\n%q\nwant\n%q", parts[0].contentType, parts[0].body, r.text)
	}
	if parts[1].contentType != "text/html; charset=UTF-8" || parts[1].body != strings.ReplaceAll(r.html, "\n", "\r\n") {
		t.Errorf("html part %q:\n%q", parts[1].contentType, parts[1].body)
	}
	for i, a := range atts {
		p := parts[2+i]
		if p.fileName != a.name || p.body != string(a.data) || !strings.HasPrefix(p.contentType, a.contentType) {
			t.Errorf("attachment %d: %q %q (%d bytes), want %q %q (%d bytes)", i, p.fileName, p.contentType, len(p.body), a.name, a.contentType, len(a.data))
		}
	}
}

type leafPart struct {
	contentType, fileName, body string
}

// readParts returns the leaf parts of a multipart body, depth first,
// decoded (the multipart reader undoes quoted-printable itself).
func readParts(t *testing.T, contentType string, body io.Reader) []leafPart {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("Content-Type %q: %v", contentType, err)
	}
	var out []leafPart
	mr := multipart.NewReader(body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		ct := p.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "multipart/") {
			out = append(out, readParts(t, ct, p)...)
			continue
		}
		var r io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			r = base64.NewDecoder(base64.StdEncoding, p)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, leafPart{contentType: ct, fileName: p.FileName(), body: string(b)})
	}
}

func TestFileNameParams(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 40) + ".csv"
	for _, name := range []string{"t1.csv", "données-été.csv", `quote"and\back.csv`, long, strings.Repeat("a", 90) + ".json"} {
		v := paramHeader("Content-Disposition", "attachment", fileNameParams("filename", name))
		for _, line := range strings.Split(v, "\r\n") {
			if len(line) > maxLineLen {
				t.Errorf("%q: line of %d bytes: %q", name, len(line), line)
			}
		}
		_, params, err := mime.ParseMediaType(strings.ReplaceAll(v, "\r\n", ""))
		if err != nil {
			t.Fatalf("%q: %v (%q)", name, err, v)
		}
		if params["filename"] != name {
			t.Errorf("%q reads back as %q from %q", name, params["filename"], v)
		}
	}
}

func TestHeaderFolding(t *testing.T) {
	t.Parallel()
	subject := encodeHeaderText(strings.Repeat("Résultats de l'extraction ", 12))
	var b bytes.Buffer
	writeHeader(&b, "Subject", subject)
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n") {
		if len(line) > maxLineLen {
			t.Errorf("line of %d bytes: %q", len(line), line)
		}
	}
	m, err := mail.ReadMessage(strings.NewReader(b.String() + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	var dec mime.WordDecoder
	if got, err := dec.DecodeHeader(m.Header.Get("Subject")); err != nil || got != strings.Repeat("Résultats de l'extraction ", 12) {
		t.Errorf("folded subject reads back as %q, %v", got, err)
	}
}

func TestEncodedSize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 2, 3, 56, 57, 58, 114, 1000, 99_999} {
		var b bytes.Buffer
		enc := base64.NewEncoder(base64.StdEncoding, &lineBreaker{w: &b})
		enc.Write(bytes.Repeat([]byte{1}, n))
		enc.Close()
		if got := encodedSize(n); got != int64(b.Len()) {
			t.Errorf("encodedSize(%d) = %d, written %d", n, got, b.Len())
		}
		for i, line := range strings.Split(b.String(), "\r\n") {
			if len(line) > 76 {
				t.Errorf("n=%d: line %d has %d characters", n, i, len(line))
			}
		}
	}
}

func TestContentTypeAndRefusedExtensions(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"t1.csv":      "text/csv; charset=UTF-8",
		"tables.JSON": "application/json",
		"tables.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"doc.pdf":     "application/pdf",
		"blob":        "application/octet-stream",
	} {
		if got := contentTypeOf(name); got != want {
			t.Errorf("contentTypeOf(%q) = %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"a.exe", "b.BAT", "c.cmd", "d.com", "e.js", "f.vbs", "g.ps1", "h.msi", "i.scr", "j.lnk", "k.reg"} {
		if !refusedBySES(name) {
			t.Errorf("%s is not refused", name)
		}
	}
	for _, name := range []string{"a.pdf", "b.csv", "c.xlsx", "d.json", "e.txt"} {
		if refusedBySES(name) {
			t.Errorf("%s is refused", name)
		}
	}
}

// FuzzSubjectHeader checks that any subject goes on the wire as 7-bit
// lines of at most 78 characters and reads back as it was (up to the
// whitespace that header folding may change).
func FuzzSubjectHeader(f *testing.F) {
	for _, s := range []string{"2 tables extracted from doc.pdf", "Résultats – puits 4212345678", "=?UTF-8?q?not_encoded?=", strings.Repeat("x", 200), "tab\there", "日本語のテーブル", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n") {
			return
		}
		var b bytes.Buffer
		writeHeader(&b, "Subject", encodeHeaderText(s))
		for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n") {
			if len(line) > maxLineLen {
				t.Fatalf("%q: line of %d bytes: %q", s, len(line), line)
			}
			for i := 0; i < len(line); i++ {
				if line[i] >= 0x80 || (line[i] < 0x20 && line[i] != '\t') {
					t.Fatalf("%q: byte %#x on the wire", s, line[i])
				}
			}
		}
		m, err := mail.ReadMessage(strings.NewReader(b.String() + "\r\n"))
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		var dec mime.WordDecoder
		got, err := dec.DecodeHeader(m.Header.Get("Subject"))
		if err != nil || strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(s), " ") {
			t.Fatalf("%q reads back as %q, %v (wire %q)", s, got, err, b.String())
		}
	})
}

// FuzzFileName checks that any file name reads back from the attachment
// headers as it was, with lines of at most 78 characters.
func FuzzFileName(f *testing.F) {
	for _, s := range []string{"t1.csv", "données-été.csv", `a"b\c.csv`, strings.Repeat("é", 80) + ".xlsx", "日本.json"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if name == "" || !utf8.ValidString(name) {
			return
		}
		v := paramHeader("Content-Disposition", "attachment", fileNameParams("filename", name))
		for _, line := range strings.Split(v, "\r\n") {
			if len(line) > maxLineLen {
				t.Fatalf("%q: line of %d bytes: %q", name, len(line), line)
			}
		}
		_, params, err := mime.ParseMediaType(strings.ReplaceAll(v, "\r\n", ""))
		if err != nil || params["filename"] != name {
			t.Fatalf("%q reads back as %q, %v from %q", name, params["filename"], err, v)
		}
	})
}
