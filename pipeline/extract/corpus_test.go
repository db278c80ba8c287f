package extract

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Floors of the shared benchmark score (../shared/corpus/tables, scored as
// score_tables.py does). Raise them when detection improves; a change that
// lowers the score below them is a regression.
const (
	floorAdjF1  = 0.96
	floorCellF1 = 0.97
	floorExact  = 45
)

type corpusCase struct {
	name     string
	pages    []int
	complete bool
	tables   [][][]string
	spans    [][][4]int
	data     []byte
}

// sharedCorpus returns the shared benchmark directory, <repo>/../shared/
// corpus/tables, or "" when this checkout has no shared folder beside it.
func sharedCorpus(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	c := filepath.Join(filepath.Dir(dir), "shared", "corpus", "tables")
	if _, err := os.Stat(c); err != nil {
		return ""
	}
	return c
}

func loadCorpus(t testing.TB, dir string) []corpusCase {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusCase
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".expected.json")
		if !ok {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var exp struct {
			Page     json.RawMessage `json:"page"`
			Pages    []int           `json:"pages"`
			Complete *bool           `json:"complete"`
			Tables   [][][]string    `json:"tables"`
			Spans    [][][4]int      `json:"spans"`
		}
		if err := json.Unmarshal(raw, &exp); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c := corpusCase{name: name, pages: exp.Pages, complete: exp.Complete == nil || *exp.Complete, tables: exp.Tables, spans: exp.Spans}
		if len(c.pages) == 0 {
			var p int
			if err := json.Unmarshal(exp.Page, &p); err != nil {
				t.Fatalf("%s: page: %v", name, err)
			}
			c.pages = []int{p}
		}
		if c.data, err = os.ReadFile(filepath.Join(dir, name+".pdf")); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

var wsRun = regexp.MustCompile(`\s+`)

// normTable normalises a table as the scorer does: NFKC, white space
// folded, rows and columns that are entirely empty dropped.
func normTable(t [][]string) [][]string {
	var rows [][]string
	width := 0
	for _, r := range t {
		nr := make([]string, len(r))
		keep := false
		for i, c := range r {
			c = norm.NFKC.String(c)
			c = strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(c)
			nr[i] = strings.TrimSpace(wsRun.ReplaceAllString(c, " "))
			keep = keep || nr[i] != ""
		}
		if keep {
			rows = append(rows, nr)
			width = max(width, len(nr))
		}
	}
	for i := range rows {
		for len(rows[i]) < width {
			rows[i] = append(rows[i], "")
		}
	}
	var cols []int
	for j := 0; j < width; j++ {
		for _, r := range rows {
			if r[j] != "" {
				cols = append(cols, j)
				break
			}
		}
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		for _, j := range cols {
			out[i] = append(out[i], r[j])
		}
	}
	return out
}

type multiset map[string]int

func (m multiset) total() int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func overlap(a, b multiset) int {
	n := 0
	for k, v := range a {
		n += min(v, b[k])
	}
	return n
}

func cellSet(t [][]string, m multiset) {
	for _, r := range t {
		for _, c := range r {
			if c != "" {
				m[c]++
			}
		}
	}
}

// adjacency adds the ICDAR-2013 relations: each non-empty cell with its
// nearest non-empty neighbour to the right and below.
func adjacency(t [][]string, m multiset) {
	for i, r := range t {
		for j, a := range r {
			if a == "" {
				continue
			}
			for k := j + 1; k < len(r); k++ {
				if r[k] != "" {
					m[a+"\x00"+r[k]+"\x00H"]++
					break
				}
			}
			for k := i + 1; k < len(t); k++ {
				if t[k][j] != "" {
					m[a+"\x00"+t[k][j]+"\x00V"]++
					break
				}
			}
		}
	}
}

func f1(tp, npred, nexp int) float64 {
	p := 1.0
	if npred > 0 {
		p = float64(tp) / float64(npred)
	} else if nexp > 0 {
		p = 0
	}
	r := 1.0
	if nexp > 0 {
		r = float64(tp) / float64(nexp)
	}
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// scoreCase returns the cell F1, adjacency F1 and exact tables of a case.
func scoreCase(c corpusCase, pred [][][]string) (float64, float64, int) {
	var etabs, ptabs [][][]string
	for _, t := range c.tables {
		if n := normTable(t); len(n) > 0 {
			etabs = append(etabs, n)
		}
	}
	for _, t := range pred {
		if n := normTable(t); len(n) > 0 {
			ptabs = append(ptabs, n)
		}
	}
	if !c.complete {
		var chosen [][][]string
		used := map[int]bool{}
		for _, et := range etabs {
			ec := multiset{}
			cellSet(et, ec)
			best, bi := 0, -1
			for i, pt := range ptabs {
				if used[i] {
					continue
				}
				pc := multiset{}
				cellSet(pt, pc)
				if o := overlap(ec, pc); o > best {
					best, bi = o, i
				}
			}
			if bi >= 0 {
				used[bi] = true
				chosen = append(chosen, ptabs[bi])
			}
		}
		ptabs = chosen
	}
	ec, pc, ea, pa := multiset{}, multiset{}, multiset{}, multiset{}
	for _, t := range etabs {
		cellSet(t, ec)
		adjacency(t, ea)
	}
	for _, t := range ptabs {
		cellSet(t, pc)
		adjacency(t, pa)
	}
	exact := 0
	for _, et := range etabs {
		for _, pt := range ptabs {
			if reflect.DeepEqual(et, pt) {
				exact++
				break
			}
		}
	}
	return f1(overlap(ec, pc), pc.total(), ec.total()), f1(overlap(ea, pa), pa.total(), ea.total()), exact
}

// TestSharedCorpus scores the engine on the shared benchmark and fails if
// the score falls below the floors.
//
// It also writes what the corpus scorer reads, OUT/NAME.json per case,
// when QUARRY_CORPUS_OUT=OUT is set, and logs the tables of one case with
// QUARRY_CORPUS_CASE=NAME (run with -v to see them):
//
//	QUARRY_CORPUS_OUT=/tmp/quarry-out go test ./pipeline/extract -run 'TestSharedCorpus$' -count=1
//	python3 ../shared/corpus/score_tables.py ../shared/corpus/tables /tmp/quarry-out --name quarry
//
// QUARRY_CORPUS_DIR names another corpus (NAME.pdf + NAME.expected.json per
// case), and QUARRY_CORPUS_WARM=N runs each case N times untimed before the
// timed run whose seconds the files carry.
func TestSharedCorpus(t *testing.T) {
	dir := os.Getenv("QUARRY_CORPUS_DIR")
	if dir == "" {
		dir = sharedCorpus(t)
	}
	if dir == "" {
		t.Skip("shared/corpus/tables not found beside the repository; the benchmark score is not checked")
	}
	out := os.Getenv("QUARRY_CORPUS_OUT")
	if out != "" {
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	one := os.Getenv("QUARRY_CORPUS_CASE")
	warm := 0
	if w := os.Getenv("QUARRY_CORPUS_WARM"); w != "" {
		var err error
		if warm, err = strconv.Atoi(w); err != nil || warm < 0 {
			t.Fatalf("QUARRY_CORPUS_WARM=%q: want a count", w)
		}
	}
	cases := loadCorpus(t, dir)
	var cellSum, adjSum float64
	exact, tables := 0, 0
	start := time.Now()
	for _, c := range cases {
		if one != "" && c.name != one {
			continue
		}
		for range warm {
			_, _ = Document(context.Background(), c.data, Options{Pages: c.pages})
		}
		began := time.Now()
		res, err := Document(context.Background(), c.data, Options{Pages: c.pages})
		elapsed := time.Since(began)
		if out != "" {
			writePrediction(t, filepath.Join(out, c.name+".json"), len(c.pages), elapsed, res, err)
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		for _, pe := range res.PageErrors {
			t.Errorf("%s: %v", c.name, pe)
		}
		var pred [][][]string
		for i, tb := range res.Tables {
			pred = append(pred, tb.Rows)
			if one != "" {
				t.Logf("table %d pages %v bbox %v", i, tb.Pages, tb.BBox)
				for _, r := range tb.Rows {
					t.Logf("%q", r)
				}
			}
		}
		cf, af, ex := scoreCase(c, pred)
		cellSum += cf
		adjSum += af
		exact += ex
		tables += len(c.tables)
	}
	if one != "" {
		if tables == 0 {
			t.Errorf("QUARRY_CORPUS_CASE=%q: no such case in %s", one, dir)
		}
		return // one case says nothing of the floors
	}
	n := float64(len(cases))
	t.Logf("%d cases in %v: cell F1 %.3f, adjacency F1 %.3f, exact tables %d/%d",
		len(cases), time.Since(start).Round(time.Millisecond), cellSum/n, adjSum/n, exact, tables)
	if os.Getenv("QUARRY_CORPUS_DIR") != "" {
		return // the floors are the shared corpus's
	}
	if cellSum/n < floorCellF1 || adjSum/n < floorAdjF1 || exact < floorExact {
		t.Errorf("score below the floors (cell F1 %.2f, adjacency F1 %.2f, exact %d)", floorCellF1, floorAdjF1, floorExact)
	}
}

// prediction is the file the corpus scorer reads for a case.
type prediction struct {
	Tables   [][][]string `json:"tables"`
	Elapsed  float64      `json:"elapsed_s"`
	Pages    int          `json:"pages"`
	Error    string       `json:"error,omitempty"`
	BBoxes   [][4]float64 `json:"bboxes,omitempty"`
	PagesHit [][]int      `json:"table_pages,omitempty"`
}

func writePrediction(t *testing.T, path string, pages int, elapsed time.Duration, res Result, err error) {
	t.Helper()
	p := prediction{Tables: [][][]string{}, Elapsed: elapsed.Seconds(), Pages: max(1, pages)}
	if err != nil {
		p.Error = err.Error()
	}
	for _, pe := range res.PageErrors {
		p.Error += pe.Error() + "; "
	}
	for _, tb := range res.Tables {
		p.Tables = append(p.Tables, tb.Rows)
		p.BBoxes = append(p.BBoxes, tb.BBox)
		p.PagesHit = append(p.PagesHit, tb.Pages)
	}
	b, merr := json.Marshal(p)
	if merr != nil {
		t.Fatal(merr)
	}
	if werr := os.WriteFile(path, b, 0o644); werr != nil {
		t.Fatal(werr)
	}
}

// TestLibreOfficeCorpus checks that every table of the spreadsheet corpus
// comes out exactly: every cell, empty rows included, and every span.
func TestLibreOfficeCorpus(t *testing.T) {
	checkSpreadsheetCorpus(t, filepath.Join("testdata", "libreoffice"))
}

// TestBorderlessCorpus checks the sheets printed without gridlines the same
// way: every table exact, continued tables stitched with their repeated
// header rows dropped.
func TestBorderlessCorpus(t *testing.T) {
	checkSpreadsheetCorpus(t, filepath.Join("testdata", "borderless"))
}

func checkSpreadsheetCorpus(t *testing.T, dir string) {
	for _, c := range loadCorpus(t, dir) {
		t.Run(c.name, func(t *testing.T) {
			res, err := Document(context.Background(), c.data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.PageErrors) > 0 {
				t.Fatalf("page errors %v", res.PageErrors)
			}
			if len(res.Tables) != len(c.tables) {
				t.Fatalf("got %d tables, want %d", len(res.Tables), len(c.tables))
			}
			for i, tb := range res.Tables {
				if !reflect.DeepEqual(tb.Rows, c.tables[i]) {
					t.Errorf("table %d rows\n got %q\nwant %q", i, tb.Rows, c.tables[i])
				}
				var want [][4]int
				if i < len(c.spans) {
					want = c.spans[i]
				}
				var got [][4]int
				for _, s := range tb.Spans {
					got = append(got, [4]int{s.Row, s.Col, s.RowSpan, s.ColSpan})
				}
				if len(got) != 0 || len(want) != 0 {
					if !reflect.DeepEqual(got, want) {
						t.Errorf("table %d spans %v, want %v", i, got, want)
					}
				}
				if !reflect.DeepEqual(tb.Pages, c.pages) && len(res.Tables) == 1 {
					t.Errorf("table %d pages %v, want %v", i, tb.Pages, c.pages)
				}
			}
		})
	}
}

// BenchmarkSharedCorpus measures warm extraction over the shared benchmark
// and reports ms/page.
func BenchmarkSharedCorpus(b *testing.B) {
	dir := sharedCorpus(b)
	if dir == "" {
		b.Skip("shared/corpus/tables not found")
	}
	cases := loadCorpus(b, dir)
	pages := 0
	for _, c := range cases {
		pages += len(c.pages)
	}
	b.ResetTimer()
	for b.Loop() {
		for _, c := range cases {
			if _, err := Document(context.Background(), c.data, Options{Pages: c.pages}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*pages), "ms/page")
}
