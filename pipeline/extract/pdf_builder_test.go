package extract

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
)

// testPDF builds small PDF files for tests: pages with given content
// streams, Helvetica as /F1, optionally Flate-compressed contents.
type testPDF struct {
	objs []string
}

func (b *testPDF) add(obj string) int {
	b.objs = append(b.objs, obj)
	return len(b.objs)
}

func streamObj(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

func flate(data []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(data)
	w.Close()
	return buf.Bytes()
}

// buildPDF returns a PDF with one page per content stream.
func buildPDF(contents ...string) []byte {
	return buildPDFWith(false, contents...)
}

func buildPDFWith(compress bool, contents ...string) []byte {
	var b testPDF
	catalog := b.add("") // placeholders filled below
	pages := b.add("")
	font := b.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	var kids []string
	for _, c := range contents {
		var content int
		if compress {
			content = b.add(streamObj("/Filter /FlateDecode", flate([]byte(c))))
		} else {
			content = b.add(streamObj("", []byte(c)))
		}
		page := b.add(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /Contents %d 0 R >>", pages, content))
		kids = append(kids, fmt.Sprintf("%d 0 R", page))
	}
	b.objs[catalog-1] = fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pages)
	b.objs[pages-1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> >>",
		strings.Join(kids, " "), len(kids), font)
	return b.bytes(catalog)
}

func (b *testPDF) bytes(root int) []byte {
	var buf bytes.Buffer
	buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(b.objs))
	for i, o := range b.objs {
		offsets[i] = buf.Len()
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(b.objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root %d 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] >>\nstartxref\n%d\n%%%%EOF\n", len(b.objs)+1, root, xref)
	return buf.Bytes()
}

// gridContent draws a ruled table of rows at the top-left of a Letter
// page: 100-point columns, 20-point rows, text in 10-point Helvetica.
func gridContent(rows [][]string) string {
	var sb strings.Builder
	cols := len(rows[0])
	top := 700.0
	w := float64(cols) * 100
	h := float64(len(rows)) * 20
	sb.WriteString("0.75 w\n")
	for i := 0; i <= len(rows); i++ {
		y := top - float64(i)*20
		fmt.Fprintf(&sb, "50 %.0f m %.0f %.0f l S\n", y, 50+w, y)
	}
	for j := 0; j <= cols; j++ {
		x := 50 + float64(j)*100
		fmt.Fprintf(&sb, "%.0f %.0f m %.0f %.0f l S\n", x, top, x, top-h)
	}
	for i, r := range rows {
		for j, c := range r {
			fmt.Fprintf(&sb, "BT /F1 10 Tf %.0f %.0f Td (%s) Tj ET\n", 55+float64(j)*100, top-float64(i)*20-14, c)
		}
	}
	return sb.String()
}
