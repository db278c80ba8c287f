// Command corpusrun runs the extractor over a table benchmark corpus
// (NAME.pdf + NAME.expected.json per case) and writes OUT/NAME.json in the
// form the corpus scorer reads:
//
//	go run ./pipeline/extract/internal/corpusrun -corpus ../shared/corpus/tables -out /tmp/quarry-out
//	python3 ../shared/corpus/score_tables.py ../shared/corpus/tables /tmp/quarry-out --name quarry
//
// With -case NAME it runs one case and prints its tables.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/quarry-dev/quarry/pipeline/extract"
)

type expected struct {
	Page  json.RawMessage `json:"page"`
	Pages []int           `json:"pages"`
}

type output struct {
	Tables   [][][]string `json:"tables"`
	Elapsed  float64      `json:"elapsed_s"`
	Pages    int          `json:"pages"`
	Error    string       `json:"error,omitempty"`
	BBoxes   [][4]float64 `json:"bboxes,omitempty"`
	PagesHit [][]int      `json:"table_pages,omitempty"`
}

func main() {
	corpus := flag.String("corpus", "../shared/corpus/tables", "corpus directory")
	out := flag.String("out", "", "output directory")
	one := flag.String("case", "", "run one case and print its tables")
	warm := flag.Int("warm", 0, "extra runs per case before timing (warm timing)")
	flag.Parse()
	names, err := cases(*corpus)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	for _, name := range names {
		if *one != "" && name != *one {
			continue
		}
		o := run(*corpus, name, *warm)
		if *one != "" {
			for i, t := range o.Tables {
				fmt.Printf("== table %d pages %v bbox %v\n", i, o.PagesHit[i], o.BBoxes[i])
				for _, r := range t {
					fmt.Printf("%q\n", r)
				}
			}
			if o.Error != "" {
				fmt.Println("error:", o.Error)
			}
		}
		if *out != "" {
			b, _ := json.Marshal(o)
			if err := os.WriteFile(filepath.Join(*out, name+".json"), b, 0o644); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	}
}

func cases(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".expected.json"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

func run(dir, name string, warm int) output {
	var exp expected
	raw, err := os.ReadFile(filepath.Join(dir, name+".expected.json"))
	if err == nil {
		err = json.Unmarshal(raw, &exp)
	}
	if err != nil {
		return output{Error: err.Error()}
	}
	pages := exp.Pages
	if len(pages) == 0 {
		var p int
		if json.Unmarshal(exp.Page, &p) == nil && p > 0 {
			pages = []int{p}
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, name+".pdf"))
	if err != nil {
		return output{Error: err.Error()}
	}
	for i := 0; i < warm; i++ {
		_, _ = extract.Document(context.Background(), data, extract.Options{Pages: pages})
	}
	start := time.Now()
	res, err := extract.Document(context.Background(), data, extract.Options{Pages: pages})
	o := output{Elapsed: time.Since(start).Seconds(), Pages: max(1, len(pages)), Tables: [][][]string{}}
	if err != nil {
		o.Error = err.Error()
		return o
	}
	for _, pe := range res.PageErrors {
		o.Error += pe.Error() + "; "
	}
	for _, t := range res.Tables {
		o.Tables = append(o.Tables, t.Rows)
		o.BBoxes = append(o.BBoxes, t.BBox)
		o.PagesHit = append(o.PagesHit, t.Pages)
	}
	return o
}
