package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/pipeline/extract"
)

// extractBenchResult is the line `quarry bench extract --json` prints.
type extractBenchResult struct {
	Files     int     `json:"files"`
	Pages     int     `json:"pages"`
	PagesPerS float64 `json:"pages_per_s"`
	MsPerPage float64 `json:"ms_per_page"`
	// Tables found in one pass, as a check that the work was done.
	Tables int `json:"tables"`
	// Passes is how many timed passes over the files were averaged.
	Passes int `json:"passes"`
	// Reference figures: pdftotext -layout over the same files (with
	// --reference only).
	ReferencePagesPerS float64 `json:"reference_pages_per_s,omitempty"`
	ReferenceMsPerPage float64 `json:"reference_ms_per_page,omitempty"`
	// ReferenceStartMs is the cost of starting one pdftotext process
	// (timed as "pdftotext -v"), and the Net figures are the reference's
	// with that cost taken out, the fairer comparison for an in-process
	// extractor.
	ReferenceStartMs      float64 `json:"reference_start_ms,omitempty"`
	ReferenceNetPagesPerS float64 `json:"reference_net_pages_per_s,omitempty"`
	ReferenceNetMsPerPage float64 `json:"reference_net_ms_per_page,omitempty"`
}

// referenceTool is poppler's text extractor, the speed reference of issue 4.
const referenceTool = "pdftotext"

func newBenchExtractCommand(a *app) *cobra.Command {
	var (
		asJSON    bool
		reference bool
		minTime   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "extract FILE.pdf...",
		Short: "Measure table extraction speed (pages/s, ms/page) on one core",
		Long: `bench extract reads the files into memory, extracts the tables of every page
once untimed (warm-up), then sets GOMAXPROCS to 1 and repeats whole passes
over the files until --min-time has passed, and prints pages/s and ms/page.
Files that cannot be opened are reported and left out.

With --reference it also times poppler's "pdftotext -layout" (text only, one
process per file, output discarded) over the same files in the same run, after
one untimed warm-up pass, and prints its figures beside ours: as run, and net
of the cost of starting a pdftotext process (timed with "pdftotext -v").

--json prints one line:
{"files":N,"pages":P,"pages_per_s":X,"ms_per_page":Y,"tables":T,"passes":K}
(under --reference also reference_pages_per_s and reference_ms_per_page, and
the same less the cost of starting pdftotext: reference_start_ms,
reference_net_pages_per_s, reference_net_ms_per_page).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if reference {
				if _, err := exec.LookPath(referenceTool); err != nil {
					return fmt.Errorf("--reference needs %s (Debian package poppler-utils) on PATH: %w", referenceTool, err)
				}
			}
			res, err := benchExtract(cmd.Context(), a, files, minTime, reference)
			if err != nil {
				return err
			}
			if asJSON {
				b, err := json.Marshal(res)
				if err != nil {
					return fmt.Errorf("encoding result: %w", err)
				}
				_, err = fmt.Fprintln(a.stdout, string(b))
				return err
			}
			return printExtractBench(a.stdout, res)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print one JSON line instead of the table")
	f.BoolVar(&reference, "reference", false, "also time pdftotext -layout over the same files")
	f.DurationVar(&minTime, "min-time", 2*time.Second, "repeat timed passes until this much time has passed")
	return cmd
}

func printExtractBench(w io.Writer, r extractBenchResult) error {
	_, err := fmt.Fprintf(w, "files      %d\npages      %d\ntables     %d\nquarry     %8.1f pages/s  %7.2f ms/page  (1 core, warm, %d passes)\n",
		r.Files, r.Pages, r.Tables, r.PagesPerS, r.MsPerPage, r.Passes)
	if err == nil && r.ReferenceMsPerPage > 0 {
		_, err = fmt.Fprintf(w, "pdftotext  %8.1f pages/s  %7.2f ms/page  (-layout, text only, one process per file)\n"+
			"  net      %8.1f pages/s  %7.2f ms/page  (less %.2f ms to start each process)\n",
			r.ReferencePagesPerS, r.ReferenceMsPerPage, r.ReferenceNetPagesPerS, r.ReferenceNetMsPerPage, r.ReferenceStartMs)
	}
	return err
}

// benchInput is one file of the benchmark, read into memory.
type benchInput struct {
	path string
	data []byte
}

func benchExtract(ctx context.Context, a *app, files []string, minTime time.Duration, reference bool) (extractBenchResult, error) {
	var inputs []benchInput
	var res extractBenchResult
	// Warm-up pass: loads the code and the fonts' tables, fills the
	// caches, and finds the page counts and the files that open at all.
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(a.stderr, "quarry bench extract: skipping %v\n", err)
			continue
		}
		r, err := extract.Document(ctx, data, extract.Options{})
		if err != nil {
			if ctx.Err() != nil {
				return res, context.Cause(ctx)
			}
			fmt.Fprintf(a.stderr, "quarry bench extract: skipping %s: %v\n", path, err)
			continue
		}
		inputs = append(inputs, benchInput{path: path, data: data})
		res.Pages += r.PageCount
		res.Tables += len(r.Tables)
	}
	res.Files = len(inputs)
	if res.Pages == 0 {
		return res, errors.New("no pages to measure: no file could be opened, or they have no pages")
	}

	elapsed, passes, err := timePasses(ctx, minTime, func() error {
		for _, in := range inputs {
			if _, err := extract.Document(ctx, in.data, extract.Options{}); err != nil {
				return fmt.Errorf("%s: %w", in.path, err)
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Passes = passes
	res.PagesPerS, res.MsPerPage = rates(res.Pages*passes, elapsed)

	if reference {
		if err := benchReference(ctx, inputs, minTime, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// benchReference times the reference tool on the same inputs, and the
// start of as many of its processes with no document.
func benchReference(ctx context.Context, inputs []benchInput, minTime time.Duration, res *extractBenchResult) error {
	refPass := func() error {
		for _, in := range inputs {
			// pdftotext writes to "-" (stdout), discarded: the work
			// measured is reading and laying out the text.
			cmd := exec.CommandContext(ctx, referenceTool, "-layout", "-q", in.path, "-")
			cmd.Stdout = io.Discard
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s %s: %w", referenceTool, in.path, err)
			}
		}
		return nil
	}
	if err := refPass(); err != nil { // warm-up: page cache, binary, fonts
		return err
	}
	elapsed, passes, err := timePasses(ctx, minTime, refPass)
	if err != nil {
		return err
	}
	res.ReferencePagesPerS, res.ReferenceMsPerPage = rates(res.Pages*passes, elapsed)

	// The same number of process starts with no document, to take
	// process creation and library start-up out of the figure.
	startPass := func() error {
		for range inputs {
			cmd := exec.CommandContext(ctx, referenceTool, "-v")
			cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s -v: %w", referenceTool, err)
			}
		}
		return nil
	}
	startElapsed, startPasses, err := timePasses(ctx, minTime/4, startPass)
	if err != nil {
		return err
	}
	start := startElapsed / time.Duration(startPasses*len(inputs))
	res.ReferenceStartMs = round2(float64(start) / float64(time.Millisecond))
	if net := elapsed/time.Duration(passes) - start*time.Duration(len(inputs)); net > 0 {
		res.ReferenceNetPagesPerS, res.ReferenceNetMsPerPage = rates(res.Pages, net)
	}
	return nil
}

// timePasses runs pass on one core (GOMAXPROCS 1, restored afterwards)
// until minTime has passed, at least once, and returns the time taken and
// the number of passes. A collection first keeps the warm-up's garbage out
// of the measurement.
func timePasses(ctx context.Context, minTime time.Duration, pass func() error) (time.Duration, int, error) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	runtime.GC()
	start := time.Now()
	passes := 0
	for {
		if err := ctx.Err(); err != nil {
			return 0, 0, context.Cause(ctx)
		}
		if err := pass(); err != nil {
			return 0, 0, err
		}
		passes++
		if elapsed := time.Since(start); elapsed >= minTime {
			return elapsed, passes, nil
		}
	}
}

// rates turns pages done in elapsed into pages per second and milliseconds
// per page.
// Both are rounded to hundredths: the run-to-run noise is far larger.
func rates(pages int, elapsed time.Duration) (perS, msPerPage float64) {
	s := elapsed.Seconds()
	return round2(float64(pages) / s), round2(1000 * s / float64(pages))
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }
