package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/pipeline/extract"
)

// extractFlags are the flags of `quarry extract`.
type extractFlags struct {
	pages    string
	format   string
	out      string
	progress bool
	types    bool
}

func newExtractCommand(a *app) *cobra.Command {
	var f extractFlags
	cmd := &cobra.Command{
		Use:   "extract FILE.pdf...",
		Short: "Extract the tables of PDF files as CSV, JSON or XLSX",
		Long: `extract finds the tables in PDF files (ruled and unruled, continued over
pages) and writes them out.

Without --out the tables go to stdout: CSV tables separated by a blank line;
JSON as one {"tables":[{"pages":[1],"bbox":[x0,y0,x1,y1],"rows":[[...]],
"spans":[[row,col,rowspan,colspan]],"ruled":true}],"page_count":N} object per
file, one per line; XLSX (one file only, not to a terminal) as a workbook with
a sheet per table. With --out DIR each file NAME.pdf gives DIR/NAME-t1.csv,
DIR/NAME-t2.csv, … (csv), DIR/NAME.json or DIR/NAME.xlsx, and the paths
written are listed on stdout.

--types (with --format json) adds, beside each table's "rows" as printed, a
"types" grid (number, percent, currency, date, text, empty) and a "values"
grid: numbers as JSON numbers (1,234.50 is 1234.5, (1,234) is -1234, 1.393,4
is 1393.4, 12.5% is 0.125, $1,234 is 1234), dates as "YYYY-MM-DD", text as printed, empty cells
as null.

--pages selects pages as "1-3,5,8-" (8- is 8 to the end). A page that cannot
be read is reported on stderr with its number and the other pages are still
extracted; a file that cannot be read is reported with its name and the other
files are still processed. Either makes the exit status non-zero.

With several files a progress bar goes to stderr when stderr is a terminal
(--progress shows it anyway).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExtract(cmd.Context(), a, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.pages, "pages", "", `pages to extract, such as "1-3,5,8-" (default: all)`)
	fl.StringVar(&f.format, "format", messages.FormatCSV, "output format: csv, json or xlsx")
	fl.StringVarP(&f.out, "out", "o", "", "write one output per file (per table for csv) into this directory instead of stdout")
	fl.BoolVar(&f.types, "types", false, "with --format json, add each cell's type and parsed value (numbers, percentages, currency, dates)")
	fl.BoolVar(&f.progress, "progress", false, "show the progress bar even when stderr is not a terminal")
	return cmd
}

// extractRun is one invocation of `quarry extract`.
type extractRun struct {
	a      *app
	flags  extractFlags
	ranges []messages.PageRange
	bar    *progressbar.ProgressBar // nil when no bar is shown
	// pastEnd counts the files --pages asked pages past the end of.
	pastEnd int
	tables  int // tables written to stdout so far, for CSV separators
}

func runExtract(ctx context.Context, a *app, f extractFlags, files []string) error {
	ranges, err := checkExtractFlags(a, f, files)
	if err != nil {
		return err
	}
	r := &extractRun{a: a, flags: f, ranges: ranges}
	if len(files) > 1 && (f.progress || isTerminal(a.stderr)) {
		r.bar = progressbar.NewOptions(len(files),
			progressbar.OptionSetWriter(a.stderr),
			progressbar.OptionSetDescription("extracting"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
		)
	}
	var failedFiles, failedPages int
	for _, file := range files {
		if r.bar != nil {
			r.bar.Describe(filepath.Base(file))
		}
		pageErrs, err := r.file(ctx, file)
		failedPages += pageErrs
		if ctx.Err() != nil {
			return fmt.Errorf("extract: interrupted at %s: %w", file, context.Cause(ctx))
		}
		if err != nil {
			var werr *writeError
			if errors.As(err, &werr) {
				return err // stdout or the output directory failed: stop
			}
			r.report("%s: %v", file, err)
			failedFiles++
		}
		if r.bar != nil {
			_ = r.bar.Add(1) // a failed redraw of the bar is not worth stopping for
		}
	}
	if r.bar != nil {
		_ = r.bar.Finish()
	}
	return r.outcome(len(files), failedFiles, failedPages)
}

// checkExtractFlags refuses flags that do not go together, and an
// output that cannot be written, before any file is read; it returns the
// parsed --pages.
func checkExtractFlags(a *app, f extractFlags, files []string) ([]messages.PageRange, error) {
	switch f.format {
	case messages.FormatCSV, messages.FormatJSON, messages.FormatXLSX:
	default:
		return nil, fmt.Errorf("--format %q: want csv, json or xlsx", f.format)
	}
	if f.types && f.format != messages.FormatJSON {
		return nil, fmt.Errorf("--types adds typed values to JSON output: give --format json (not %s)", f.format)
	}
	ranges, err := messages.ParsePages(f.pages)
	if err != nil {
		return nil, fmt.Errorf("--pages %q: %w", f.pages, err)
	}
	if f.out == "" && f.format == messages.FormatXLSX {
		if len(files) > 1 {
			return nil, errors.New("--format xlsx writes one workbook per file: give --out DIR for several files")
		}
		if isTerminal(a.stdout) {
			return nil, errors.New("--format xlsx: not writing a workbook to a terminal; redirect stdout or give --out DIR")
		}
	}
	if f.out != "" {
		if err := checkOutputNames(files); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(f.out, 0o755); err != nil {
			return nil, fmt.Errorf("--out: %w", err)
		}
	}
	return ranges, nil
}

// outcome is the run's error, if any, from what failed among files
// inputs: --pages past the end first, then unreadable files and pages.
func (r *extractRun) outcome(files, failedFiles, failedPages int) error {
	if r.pastEnd > 0 {
		what := "the file"
		if files > 1 {
			what = fmt.Sprintf("%d of %d files", r.pastEnd, files)
		}
		err := fmt.Errorf("--pages %s goes past the end of %s (see above)", r.flags.pages, what)
		if failedFiles > 0 || failedPages > 0 {
			err = fmt.Errorf("%w; besides, %d files could not be read and %d pages failed", err, failedFiles, failedPages)
		}
		return err
	}
	switch {
	case failedFiles > 0 && failedPages > 0:
		return fmt.Errorf("%d of %d files could not be read and %d pages failed", failedFiles, files, failedPages)
	case failedFiles > 0:
		return fmt.Errorf("%d of %d files could not be read", failedFiles, files)
	case failedPages > 0:
		return fmt.Errorf("%s could not be read; the tables of the other pages were written", plural(failedPages, "page"))
	}
	return nil
}

// writeError is a failure to write the output (stdout, the --out
// directory), which stops the run, unlike a failure to read one input.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// file extracts and writes the tables of one file. It reports page errors
// itself and returns how many there were, and the error that stopped the
// file, if any.
func (r *extractRun) file(ctx context.Context, file string) (int, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the report names the file already
		}
		return 0, fmt.Errorf("cannot read the file: %w", err)
	}
	var opts extract.Options
	opts.Pages, err = extract.SelectPages(ctx, data, r.ranges, opts)
	if err != nil {
		return 0, describeOpenError(err)
	}
	res, err := extract.Document(ctx, data, opts)
	if err != nil {
		return 0, describeOpenError(err)
	}
	var past []int
	for _, pe := range res.PageErrors {
		if res.PageCount > 0 && pe.Page > res.PageCount {
			past = append(past, pe.Page)
			continue
		}
		r.report("%s: %v", file, pe)
	}
	if len(past) > 0 {
		r.report("%s: --pages %s asks for %s, past the end of the document (it has %s)",
			file, r.flags.pages, pageList(past), plural(res.PageCount, "page"))
		r.pastEnd++
	}
	if len(res.Tables) == 0 {
		r.report("%s: no tables found", file)
	}
	failed := len(res.PageErrors) - len(past)
	if err := r.write(file, res); err != nil {
		return failed, &writeError{err}
	}
	return failed, nil
}

// pageList writes pages as "page 5" or "pages 5, 6, 7".
func pageList(pages []int) string {
	if len(pages) == 1 {
		return fmt.Sprintf("page %d", pages[0])
	}
	s := make([]string, len(pages))
	for i, p := range pages {
		s[i] = strconv.Itoa(p)
	}
	return "pages " + strings.Join(s, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// describeOpenError says in front of the engine's reason why a file could
// not be opened, and what to do where something can be done.
func describeOpenError(err error) error {
	var le *extract.LimitError
	switch {
	case errors.Is(err, extract.ErrEncrypted):
		return fmt.Errorf("needs a password to open; extract a copy without one: %w", err)
	case errors.As(err, &le):
		return fmt.Errorf("over a limit for hostile files: %w", err)
	default:
		return fmt.Errorf("not a PDF, or broken: %w", err)
	}
}

// write writes one file's tables to stdout or into the --out directory.
func (r *extractRun) write(file string, res extract.Result) error {
	if r.flags.out == "" {
		return r.writeStdout(res)
	}
	name := outputStem(file)
	switch r.flags.format {
	case messages.FormatCSV:
		for i, t := range res.Tables {
			path := filepath.Join(r.flags.out, fmt.Sprintf("%s-t%d.csv", name, i+1))
			if err := r.writeFile(path, func(w io.Writer) error { return extract.WriteCSV(w, t) }); err != nil {
				return err
			}
		}
	case messages.FormatJSON:
		path := filepath.Join(r.flags.out, name+".json")
		return r.writeFile(path, func(w io.Writer) error { return r.writeJSON(w, res) })
	case messages.FormatXLSX:
		path := filepath.Join(r.flags.out, name+".xlsx")
		return r.writeFile(path, func(w io.Writer) error { return extract.WriteXLSX(w, res) })
	}
	return nil
}

func (r *extractRun) writeStdout(res extract.Result) error {
	switch r.flags.format {
	case messages.FormatCSV:
		for _, t := range res.Tables {
			if r.tables > 0 {
				if _, err := io.WriteString(r.a.stdout, "\n"); err != nil {
					return fmt.Errorf("writing stdout: %w", err)
				}
			}
			if err := extract.WriteCSV(r.a.stdout, t); err != nil {
				return fmt.Errorf("writing stdout: %w", err)
			}
			r.tables++
		}
	case messages.FormatJSON:
		if err := r.writeJSON(r.a.stdout, res); err != nil {
			return fmt.Errorf("writing stdout: %w", err)
		}
	case messages.FormatXLSX:
		if err := extract.WriteXLSX(r.a.stdout, res); err != nil {
			return fmt.Errorf("writing stdout: %w", err)
		}
	}
	return nil
}

// writeJSON writes res as JSON, typed with --types.
func (r *extractRun) writeJSON(w io.Writer, res extract.Result) error {
	if r.flags.types {
		return extract.WriteTypedJSON(w, res)
	}
	return extract.WriteJSON(w, res)
}

// writeFile writes path through a temporary file in the same directory,
// renamed into place once complete, so an interrupted run leaves no
// half-written output under the final name. It lists path on stdout.
func (r *extractRun) writeFile(path string, render func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if err := render(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := fmt.Fprintln(r.a.stdout, path); err != nil {
		return fmt.Errorf("writing stdout: %w", err)
	}
	return nil
}

// report writes one diagnostic line to stderr, clearing the progress bar
// first so the line is not drawn over it.
func (r *extractRun) report(format string, args ...any) {
	if r.bar != nil {
		_ = r.bar.Clear()
	}
	fmt.Fprintf(r.a.stderr, "quarry extract: "+format+"\n", args...)
}

// outputStem is the name a file's outputs are named after: its base name
// without a .pdf extension.
func outputStem(file string) string {
	base := filepath.Base(file)
	if ext := filepath.Ext(base); strings.EqualFold(ext, ".pdf") {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}

// checkOutputNames refuses input files whose outputs would overwrite each
// other in one --out directory (a/x.pdf and b/x.pdf).
func checkOutputNames(files []string) error {
	seen := make(map[string]string, len(files))
	for _, f := range files {
		stem := outputStem(f)
		if prev, ok := seen[stem]; ok && prev != f {
			return fmt.Errorf("%s and %s would both write %s.* in --out: extract them into different directories", prev, f, stem)
		}
		seen[stem] = f
	}
	return nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
