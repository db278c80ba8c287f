package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// libreOfficeDir holds the engine's spreadsheet corpus, with expectations.
var libreOfficeDir = filepath.Join("..", "..", "pipeline", "extract", "testdata", "libreoffice")

func corpusPDF(name string) string { return filepath.Join(libreOfficeDir, name+".pdf") }

func corpusTables(t testing.TB, name string) [][][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(libreOfficeDir, name+".expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Tables [][][]string `json:"tables"`
	}
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatal(err)
	}
	return exp.Tables
}

// runExtractCmd runs `quarry extract args...` as the root command will
// once it registers the subcommand, and returns stdout, stderr and the
// error.
func runExtractCmd(t testing.TB, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := &app{stdout: &stdout, stderr: &stderr}
	cmd := newExtractCommand(a)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.ExecuteContext(context.Background())
	return stdout.String(), stderr.String(), err
}

func parseCSV(t testing.TB, s string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("csv %q: %v", s, err)
	}
	return rows
}

func TestExtractJSONToStdout(t *testing.T) {
	t.Parallel()
	out, errOut, err := runExtractCmd(t, corpusPDF("merged_header"), "--format", "json")
	if err != nil || errOut != "" {
		t.Fatalf("err = %v, stderr = %q", err, errOut)
	}
	var doc struct {
		Tables []struct {
			Pages []int      `json:"pages"`
			BBox  []float64  `json:"bbox"`
			Rows  [][]string `json:"rows"`
			Spans [][]int    `json:"spans"`
		} `json:"tables"`
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("want one line of JSON, got %q", out)
	}
	exp := corpusTables(t, "merged_header")
	if len(doc.Tables) != 1 {
		t.Fatalf("%d tables, want 1", len(doc.Tables))
	}
	tb := doc.Tables[0]
	if !reflect.DeepEqual(tb.Pages, []int{1}) || len(tb.BBox) != 4 || tb.BBox[0] >= tb.BBox[2] || tb.BBox[1] >= tb.BBox[3] {
		t.Errorf("pages %v bbox %v", tb.Pages, tb.BBox)
	}
	if !reflect.DeepEqual(tb.Rows, exp[0]) {
		t.Errorf("rows = %v, want %v", tb.Rows, exp[0])
	}
	if len(tb.Spans) == 0 || len(tb.Spans[0]) != 4 {
		t.Errorf("spans = %v, want the merged header cells as [row,col,rowspan,colspan]", tb.Spans)
	}
}

func TestExtractCSVToStdoutSeparatesTables(t *testing.T) {
	t.Parallel()
	out, _, err := runExtractCmd(t, corpusPDF("two_tables"), corpusPDF("price_list"), "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(out, "\n\n")
	want := append(corpusTables(t, "two_tables"), corpusTables(t, "price_list")...)
	if len(blocks) != len(want) {
		t.Fatalf("%d CSV blocks, want %d:\n%s", len(blocks), len(want), out)
	}
	for i, b := range blocks {
		if got := parseCSV(t, b); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("table %d = %v, want %v", i+1, got, want[i])
		}
	}
}

func TestExtractPages(t *testing.T) {
	t.Parallel()
	exp := corpusTables(t, "multipage")[0]
	for _, tc := range []struct {
		pages string
		want  []int
	}{{"2-", []int{2, 3}}, {"1-2", []int{1, 2}}, {"3", []int{3}}} {
		out, _, err := runExtractCmd(t, corpusPDF("multipage"), "--format", "json", "--pages", tc.pages)
		if err != nil {
			t.Fatalf("--pages %s: %v", tc.pages, err)
		}
		var doc struct {
			Tables []struct {
				Pages []int      `json:"pages"`
				Rows  [][]string `json:"rows"`
			} `json:"tables"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Tables) != 1 || !reflect.DeepEqual(doc.Tables[0].Pages, tc.want) || !reflect.DeepEqual(doc.Tables[0].Rows[0], exp[0]) {
			t.Errorf("--pages %s: %+v, want one table on pages %v with the header once", tc.pages, doc.Tables, tc.want)
		}
	}
}

func TestExtractOutDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out")
	files := []string{corpusPDF("two_tables"), corpusPDF("borderless")}
	for _, format := range []string{"csv", "json", "xlsx"} {
		out, _, err := runExtractCmd(t, append(files, "--format", format, "--out", dir)...)
		if err != nil {
			t.Fatalf("--format %s: %v", format, err)
		}
		var want []string
		switch format {
		case "csv":
			want = []string{"two_tables-t1.csv", "two_tables-t2.csv", "borderless-t1.csv"}
		default:
			want = []string{"two_tables." + format, "borderless." + format}
		}
		for i := range want {
			want[i] = filepath.Join(dir, want[i])
		}
		if got := strings.Fields(out); !reflect.DeepEqual(got, want) {
			t.Errorf("--format %s listed %v, want %v", format, got, want)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	wantNames := []string{"borderless-t1.csv", "borderless.json", "borderless.xlsx", "two_tables-t1.csv", "two_tables-t2.csv", "two_tables.json", "two_tables.xlsx"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("directory holds %v, want %v (no temporary files left)", names, wantNames)
	}
	data, err := os.ReadFile(filepath.Join(dir, "two_tables-t2.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := parseCSV(t, string(data)), corpusTables(t, "two_tables")[1]; !reflect.DeepEqual(got, want) {
		t.Errorf("two_tables-t2.csv = %v, want %v", got, want)
	}
	f, err := excelize.OpenFile(filepath.Join(dir, "borderless.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Table 1")
	if err != nil || len(rows) != len(corpusTables(t, "borderless")[0]) {
		t.Errorf("borderless.xlsx: %d rows, %v", len(rows), err)
	}
}

func TestExtractBadFileDoesNotStopTheOthers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.pdf")
	if err := os.WriteFile(broken, []byte("<html>session expired</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pdf")
	out, errOut, err := runExtractCmd(t, missing, broken, corpusPDF("price_list"), "--format", "csv", "--progress")
	if err == nil || !strings.Contains(err.Error(), "2 of 3 files") {
		t.Fatalf("err = %v, want one counting 2 of 3 files", err)
	}
	for _, want := range []string{
		"quarry extract: " + missing + ": cannot read the file: no such file or directory\n",
		"quarry extract: " + broken + ": not a PDF, or broken: ",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if got, want := parseCSV(t, out), corpusTables(t, "price_list")[0]; !reflect.DeepEqual(got, want) {
		t.Errorf("the good file's table = %v, want %v", got, want)
	}
	if !strings.Contains(errOut, "(2/3)") {
		t.Errorf("--progress drew no bar on stderr:\n%q", errOut)
	}
}

func TestExtractPageErrorsAreReported(t *testing.T) {
	t.Parallel()
	out, errOut, err := runExtractCmd(t, corpusPDF("price_list"), "--pages", "1,5", "--format", "csv")
	if err == nil || !strings.Contains(err.Error(), "--pages 1,5 goes past the end of the file") {
		t.Fatalf("err = %v, want one naming the range", err)
	}
	if !strings.Contains(errOut, "price_list.pdf: --pages 1,5 asks for page 5, past the end of the document (it has 1 page)") {
		t.Errorf("stderr does not report page 5:\n%s", errOut)
	}
	if got, want := parseCSV(t, out), corpusTables(t, "price_list")[0]; !reflect.DeepEqual(got, want) {
		t.Errorf("page 1's table = %v, want %v", got, want)
	}
}

func TestExtractRejectsBadFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{corpusPDF("price_list"), "--format", "html"}, "--format"},
		{[]string{corpusPDF("price_list"), "--pages", "3-1"}, "--pages"},
		{[]string{corpusPDF("price_list"), corpusPDF("borderless"), "--format", "xlsx"}, "--out"},
		{[]string{"a/x.pdf", "b/x.pdf", "--out", dir}, "a/x.pdf and b/x.pdf"},
		{[]string{corpusPDF("price_list"), "--types"}, "--types"},
		{nil, "requires at least 1 arg"},
	} {
		_, _, err := runExtractCmd(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want one mentioning %q", tc.args, err, tc.want)
		}
	}
}

// TestExtractTypesJSON checks --types on the ledger of the spreadsheet
// corpus: the printed cells stay as they are and each gets its value.
func TestExtractTypesJSON(t *testing.T) {
	t.Parallel()
	out, _, err := runExtractCmd(t, corpusPDF("numbers_dates"), "--format", "json", "--types")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tables []struct {
			Rows   [][]string `json:"rows"`
			Values [][]any    `json:"values"`
			Types  [][]string `json:"types"`
		} `json:"tables"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(doc.Tables) != 1 {
		t.Fatalf("%d tables", len(doc.Tables))
	}
	tb := doc.Tables[0]
	if want := corpusTables(t, "numbers_dates")[0]; !reflect.DeepEqual(tb.Rows, want) {
		t.Fatalf("rows %q, want %q", tb.Rows, want)
	}
	// Lease bonus | 1,234,567.89 | (1,875.25) | 12.5% | $4,250.00 | 01/15/2024 | 14-Feb-2024 | February 9, 2024
	wantValues := []any{"Lease bonus", 1234567.89, -1875.25, 0.125, 4250.0, "2024-01-15", "2024-02-14", "2024-02-09"}
	wantTypes := []string{"text", "number", "number", "percent", "currency", "date", "date", "date"}
	if !reflect.DeepEqual(tb.Values[1], wantValues) || !reflect.DeepEqual(tb.Types[1], wantTypes) {
		t.Errorf("row 1 %q: values %v types %v, want %v %v", tb.Rows[1], tb.Values[1], tb.Types[1], wantValues, wantTypes)
	}
	last := len(tb.Rows) - 1
	if tb.Types[last][2] != "empty" || tb.Values[last][2] != nil {
		t.Errorf("total row %q: empty cell typed %q %v", tb.Rows[last], tb.Types[last][2], tb.Values[last][2])
	}
}

func TestExtractXLSXToStdout(t *testing.T) {
	t.Parallel()
	out, _, err := runExtractCmd(t, corpusPDF("two_tables"), "--format", "xlsx")
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(strings.NewReader(out))
	if err != nil {
		t.Fatalf("stdout is not a workbook: %v", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"Table 1", "Table 2"}) {
		t.Errorf("sheets = %v", got)
	}
}

func TestBenchExtractJSON(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	cmd := newBenchExtractCommand(&app{stdout: &stdout, stderr: io.Discard})
	cmd.SetArgs([]string{corpusPDF("multipage"), corpusPDF("two_tables"), "--json", "--min-time", "1ms"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	var res map[string]float64
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("%q: %v", stdout.String(), err)
	}
	if res["files"] != 2 || res["pages"] != 4 || res["pages_per_s"] <= 0 || res["ms_per_page"] <= 0 || res["tables"] != 3 {
		t.Errorf("result = %v", res)
	}
	if _, ok := res["reference_ms_per_page"]; ok {
		t.Errorf("reference figures without --reference: %v", res)
	}
}
