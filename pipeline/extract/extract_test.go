package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/xuri/excelize/v2"
)

var wells = [][]string{
	{"API", "Well", "Depth"},
	{"42-329-1", "Nolan 7", "10,250"},
	{"42-227-3", "Hutto 45", "9,875"},
}

func TestDocumentRuledTable(t *testing.T) {
	data := buildPDF(gridContent(wells))
	res, err := Document(context.Background(), data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.PageCount != 1 || len(res.PageErrors) != 0 || len(res.Tables) != 1 {
		t.Fatalf("result %+v", res)
	}
	tb := res.Tables[0]
	if !reflect.DeepEqual(tb.Rows, wells) || !tb.Ruled || !reflect.DeepEqual(tb.Pages, []int{1}) {
		t.Errorf("table %+v", tb)
	}
	// The grid spans x 50-350 and y 640-700 in PDF coordinates.
	if tb.BBox != [4]float64{50, 640, 350, 700} {
		t.Errorf("bbox %v", tb.BBox)
	}
}

// TestWriteTypedJSON checks the typed view of printed numbers, dates and
// text beside the cells as printed.
func TestWriteTypedJSON(t *testing.T) {
	res := Result{PageCount: 1, Tables: []Table{{Pages: []int{1}, Rows: [][]string{
		{"Lease", "Oil (bbl)", "Net", "Change", "Revenue", "Spud"},
		{"Nolan Unit", "1,234.50", "(1,234)", "12.5%", "$1,234", "03/15/2024"},
		{"Total", "", "-98,765.43", "-0.9%", "-$1.05", "15-Mar-2024"},
	}}}}
	var buf bytes.Buffer
	if err := WriteTypedJSON(&buf, res); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tables []struct {
			Rows   [][]string `json:"rows"`
			Values [][]any    `json:"values"`
			Types  [][]string `json:"types"`
		} `json:"tables"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	tb := doc.Tables[0]
	if !reflect.DeepEqual(tb.Rows, res.Tables[0].Rows) {
		t.Errorf("rows %q, want them as printed", tb.Rows)
	}
	wantValues := [][]any{
		{"Lease", "Oil (bbl)", "Net", "Change", "Revenue", "Spud"},
		{"Nolan Unit", 1234.5, -1234.0, 0.125, 1234.0, "2024-03-15"},
		{"Total", nil, -98765.43, -0.009, -1.05, "2024-03-15"},
	}
	wantTypes := [][]string{
		{"text", "text", "text", "text", "text", "text"},
		{"text", "number", "number", "percent", "currency", "date"},
		{"text", "empty", "number", "percent", "currency", "date"},
	}
	if !reflect.DeepEqual(tb.Values, wantValues) {
		t.Errorf("values %v\nwant %v", tb.Values, wantValues)
	}
	if !reflect.DeepEqual(tb.Types, wantTypes) {
		t.Errorf("types %v\nwant %v", tb.Types, wantTypes)
	}
	buf.Reset()
	if err := WriteJSON(&buf, res); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte(`"values"`)) || bytes.Contains(buf.Bytes(), []byte(`"types"`)) {
		t.Errorf("untyped JSON carries the typed grids: %s", buf.Bytes())
	}
}

func TestWriters(t *testing.T) {
	res := Result{PageCount: 2, Tables: []Table{{
		Pages: []int{1, 2}, BBox: [4]float64{1, 2, 3, 4},
		Rows:  [][]string{{"Location", "", "Status"}, {"Ector", "35-C7, \"x\"", "Permitted"}},
		Spans: []Span{{Row: 0, Col: 0, RowSpan: 1, ColSpan: 2}},
	}}, PageErrors: []PageError{{Page: 3, Err: errors.New("broken")}}}
	var csvBuf bytes.Buffer
	if err := WriteCSV(&csvBuf, res.Tables[0]); err != nil {
		t.Fatal(err)
	}
	if want := "Location,,Status\nEctor,\"35-C7, \"\"x\"\"\",Permitted\n"; csvBuf.String() != want {
		t.Errorf("csv %q", csvBuf.String())
	}
	var jsonBuf bytes.Buffer
	if err := WriteJSON(&jsonBuf, res); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(jsonBuf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := `{"tables":[{"pages":[1,2],"bbox":[1,2,3,4],"rows":[["Location","","Status"],["Ector","35-C7, \"x\"","Permitted"]],"spans":[[0,0,1,2]],"ruled":false}],"page_count":2,"errors":[{"page":3,"error":"broken"}]}` + "\n"
	if jsonBuf.String() != want {
		t.Errorf("json\n%s\nwant\n%s", jsonBuf.String(), want)
	}
	var typedBuf bytes.Buffer
	if err := WriteTypedJSON(&typedBuf, res); err != nil {
		t.Fatal(err)
	}
	want = `{"tables":[{"pages":[1,2],"bbox":[1,2,3,4],"rows":[["Location","","Status"],["Ector","35-C7, \"x\"","Permitted"]],"spans":[[0,0,1,2]],"ruled":false,` +
		`"values":[["Location",null,"Status"],["Ector","35-C7, \"x\"","Permitted"]],"types":[["text","empty","text"],["text","text","text"]]}],"page_count":2,"errors":[{"page":3,"error":"broken"}]}` + "\n"
	if typedBuf.String() != want {
		t.Errorf("typed json\n%s\nwant\n%s", typedBuf.String(), want)
	}
	var xlsxBuf bytes.Buffer
	if err := WriteXLSX(&xlsxBuf, res); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&xlsxBuf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("Table 1", "B2"); v != "35-C7, \"x\"" {
		t.Errorf("B2 = %q", v)
	}
	merged, _ := f.GetMergeCells("Table 1")
	if len(merged) != 1 || merged[0].GetStartAxis() != "A1" || merged[0].GetEndAxis() != "B1" {
		t.Errorf("merged %v", merged)
	}
}

func TestBrokenPageIsReported(t *testing.T) {
	data := buildPDF(gridContent(wells), strings.Repeat("q ", 500), gridContent(wells))
	res, err := Document(context.Background(), data, Options{Limits: Limits{MaxDepth: 50}, NoStitch: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tables) != 2 || res.Tables[1].Pages[0] != 3 {
		t.Errorf("tables %+v", res.Tables)
	}
	if len(res.PageErrors) != 1 || res.PageErrors[0].Page != 2 {
		t.Fatalf("page errors %+v", res.PageErrors)
	}
	var le *LimitError
	if !errors.As(res.PageErrors[0], &le) || le.Name != "MaxDepth" {
		t.Errorf("page 2 error %v", res.PageErrors[0])
	}
	if !strings.Contains(res.PageErrors[0].Error(), "MaxDepth") {
		t.Errorf("message does not name the limit: %v", res.PageErrors[0])
	}
}

func TestLimits(t *testing.T) {
	ctx := context.Background()
	big := buildPDFWith(true, strings.Repeat("0 0 m 1 1 l S\n", 100000))
	res, err := Document(ctx, big, Options{Limits: Limits{MaxStreamBytes: 64 << 10}})
	var le *LimitError
	switch {
	case err != nil && errors.As(err, &le) && le.Name == "MaxStreamBytes":
	case err == nil && len(res.PageErrors) == 1 && errors.As(res.PageErrors[0], &le) && le.Name == "MaxStreamBytes":
	default:
		t.Errorf("stream limit: err %v, result %+v", err, res)
	}
	_, err = Document(ctx, buildPDF("", "", ""), Options{Limits: Limits{MaxObjects: 4}})
	if !errors.As(err, &le) || le.Name != "MaxObjects" {
		t.Errorf("object limit: %v", err)
	}
	slow := buildPDF(strings.Repeat("1 0 0 1 0 0 cm ", 200000))
	res, err = Document(ctx, slow, Options{Limits: Limits{PageTimeout: time.Millisecond}})
	if err != nil || len(res.PageErrors) != 1 || !errors.As(res.PageErrors[0], &le) || le.Name != "PageTimeout" {
		t.Errorf("page timeout: err %v, result %+v", err, res)
	}
	res, _ = Document(ctx, buildPDF(gridContent(wells)), Options{Pages: []int{2}})
	if len(res.PageErrors) != 1 || res.PageErrors[0].Page != 2 {
		t.Errorf("page out of range: %+v", res)
	}
}

func TestNotAPDF(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("hello"), []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << /Root 1 0 R >>")} {
		if _, err := Document(context.Background(), data, Options{}); err == nil {
			t.Errorf("no error for %q", data)
		}
	}
}

func encrypt(t *testing.T, data []byte, user, owner string) []byte {
	t.Helper()
	api.DisableConfigDir()
	conf := model.NewAESConfiguration(user, owner, 256)
	var out bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(data), &out, conf); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestEncrypted(t *testing.T) {
	plain := buildPDF(gridContent(wells))
	ctx := context.Background()
	res, err := Document(ctx, encrypt(t, plain, "", "owner"), Options{})
	if err != nil || len(res.Tables) != 1 || !reflect.DeepEqual(res.Tables[0].Rows, wells) {
		t.Errorf("empty user password: err %v, result %+v", err, res)
	}
	locked := encrypt(t, plain, "secret", "owner")
	if _, err := Document(ctx, locked, Options{}); !errors.Is(err, ErrEncrypted) {
		t.Errorf("user password: %v", err)
	}
	if res, err := Document(ctx, locked, Options{Password: "secret"}); err != nil || len(res.Tables) != 1 {
		t.Errorf("with password: err %v, result %+v", err, res)
	}
}

func TestStitchRepeatedHeader(t *testing.T) {
	p1 := gridContent(wells)
	p2 := gridContent([][]string{wells[0], {"42-001-9", "Bell 13", "8,100"}})
	res, err := Document(context.Background(), buildPDF(p1, p2), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tables) != 1 {
		t.Fatalf("got %d tables", len(res.Tables))
	}
	want := append(append([][]string{}, wells...), []string{"42-001-9", "Bell 13", "8,100"})
	if !reflect.DeepEqual(res.Tables[0].Rows, want) || !reflect.DeepEqual(res.Tables[0].Pages, []int{1, 2}) {
		t.Errorf("stitched %+v", res.Tables[0])
	}
}

func TestNextTableWithTheSameColumnsIsNotStitched(t *testing.T) {
	// Page 2 starts with a table ruled in the same columns as page 1's,
	// under a header of its own: the report's next table. A third page
	// continues it without its header, a fourth with its header repeated
	// (dropped), a fifth with it repeated but for the stub's heading
	// (kept: it may name a section).
	other := [][]string{{"Permit", "Lease", "Acres"}, {"P-1", "Bell", "640"}}
	p1 := gridContent(wells)
	p2 := gridContent(other)
	p3 := gridContent([][]string{{"P-2", "Dale", "320"}})
	p4 := gridContent([][]string{other[0], {"P-3", "Hale", "160"}})
	p5 := gridContent([][]string{{"Permit (state)", "Lease", "Acres"}, {"S-1", "Cole", "80"}})
	res, err := Document(context.Background(), buildPDF(p1, p2, p3, p4, p5), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tables) != 2 {
		t.Fatalf("got %d tables: %+v", len(res.Tables), res.Tables)
	}
	if !reflect.DeepEqual(res.Tables[0].Rows, wells) || !reflect.DeepEqual(res.Tables[0].Pages, []int{1}) {
		t.Errorf("first table %+v", res.Tables[0])
	}
	want := append(append([][]string{}, other...), []string{"P-2", "Dale", "320"}, []string{"P-3", "Hale", "160"},
		[]string{"Permit (state)", "Lease", "Acres"}, []string{"S-1", "Cole", "80"})
	if !reflect.DeepEqual(res.Tables[1].Rows, want) || !reflect.DeepEqual(res.Tables[1].Pages, []int{2, 3, 4, 5}) {
		t.Errorf("second table %+v, want rows %q on pages 2-5", res.Tables[1], want)
	}
}
