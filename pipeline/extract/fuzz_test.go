package extract

import (
	"context"
	"strings"
	"testing"
	"time"
)

// FuzzPage runs the whole page pipeline on arbitrary bytes, once as a PDF
// file and once as the content stream of a page. Neither may panic (a
// recovered panic shows as an "internal error" page error), hang past the
// page timeout, or grow without bound.
func FuzzPage(f *testing.F) {
	f.Add([]byte(gridContent(wells)))
	f.Add(buildPDF(gridContent(wells)))
	f.Add([]byte("BT /F1 12 Tf 72 712 Td [(A) -300 (B)] TJ ET q 0 0 100 1 re f Q BI /W 1 ID x EI"))
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>"))
	opts := Options{Limits: Limits{PageTimeout: 2 * time.Second, MaxStreamBytes: 1 << 20, MaxItems: 100000, MaxObjects: 10000}}
	check := func(t *testing.T, res Result) {
		for _, pe := range res.PageErrors {
			if strings.Contains(pe.Err.Error(), "internal error") {
				t.Fatal(pe.Err)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		if res, err := Document(ctx, data, opts); err == nil {
			check(t, res)
		}
		res, err := Document(ctx, buildPDF(string(data)), opts)
		if err != nil {
			t.Fatalf("content stream as a page: %v", err)
		}
		check(t, res)
	})
}
