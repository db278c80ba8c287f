package main

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/internal/samplesite"
	"github.com/quarry-dev/quarry/pipeline/fetch"
	"github.com/quarry-dev/quarry/pipeline/fetch/recipe"
	"github.com/quarry-dev/quarry/pipeline/fetch/recipes"
)

func newFetchCommand(a *app) *cobra.Command {
	var (
		recipePath, key, out, baseURL string
		inputs                        []string
		verbose, dev, sample          bool
	)
	cmd := &cobra.Command{
		Use:   "fetch --recipe FILE|NAME --key VALUE",
		Short: "Run a site recipe once, without queues, printing each step",
		Long: `fetch runs one recipe for one record key and saves the document: the tool for
writing and debugging recipes (see pipeline/fetch/README.md for the format).

  quarry fetch --recipe pipeline/fetch/recipes/sample.yaml --key 42-501-20130 --sample-site --verbose
  quarry fetch --recipe sample-records --key 42-501-20130 --sample-site

--recipe takes a file, or the name of a recipe the workers know: a built-in
one (sample-records) or one in QUARRY_RECIPES_DIR.

--sample-site serves the sample records portal on a loopback port for the
run and points the recipe at it (it implies --dev, which allows loopback and
private addresses).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := a.findRecipe(recipePath)
			if err != nil {
				return err
			}
			opts := fetch.RunOptions{BaseURL: baseURL, Dev: dev, Version: version, Inputs: map[string]string{}}
			for _, kv := range inputs {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return fmt.Errorf("--input %q: want NAME=VALUE", kv)
				}
				opts.Inputs[k] = v
			}
			if verbose {
				opts.Verbose = a.stderr
			}
			if sample {
				url, stop, err := serveSampleSite()
				if err != nil {
					return err
				}
				defer stop()
				opts.BaseURL, opts.Dev = url, true
			}
			doc, err := fetch.RunOnce(cmd.Context(), r, key, opts)
			if err != nil {
				return err
			}
			if out == "" {
				out = doc.Filename
				if out == "" {
					out = "document.pdf"
				}
			}
			if err := os.WriteFile(out, doc.Body, 0o644); err != nil {
				return fmt.Errorf("saving the document: %w", err)
			}
			fmt.Fprintf(a.stdout, "saved %s (%d bytes, %s, sha256 %s) from %s\n", out, doc.Size, doc.ContentType, doc.SHA256, doc.FinalURL)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&recipePath, "recipe", "", "the recipe file (YAML), or the name of a built-in recipe or one in QUARRY_RECIPES_DIR")
	f.StringVar(&key, "key", "", "the record key (e.g. an API number)")
	f.StringVar(&out, "out", "", "where to save the document (default: the site's file name)")
	f.StringArrayVar(&inputs, "input", nil, "another input NAME=VALUE (repeatable)")
	f.StringVar(&baseURL, "base-url", "", "override the recipe's site.base_url")
	f.BoolVar(&verbose, "verbose", false, "print every request and step on stderr")
	f.BoolVar(&dev, "dev", false, "allow loopback and private addresses")
	f.BoolVar(&sample, "sample-site", false, "serve the sample records portal for this run and fetch from it")
	_ = cmd.MarkFlagRequired("recipe")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}

// findRecipe loads --recipe: a file when one has that path, else the
// recipe of that name among those the workers load (built in, then
// QUARRY_RECIPES_DIR).
func (a *app) findRecipe(arg string) (*recipe.Recipe, error) {
	if st, err := os.Stat(arg); err == nil && !st.IsDir() {
		return recipe.Load(arg)
	}
	all, err := knownRecipes(a.cfg.RecipesDir)
	if err != nil {
		return nil, err
	}
	if r, ok := all[arg]; ok {
		return r, nil
	}
	names := slices.Sorted(maps.Keys(all))
	return nil, usageErrorf("--recipe %q: no such file, and no recipe of that name (known: %s; QUARRY_RECIPES_DIR adds more)", arg, strings.Join(names, ", "))
}

// knownRecipes are the recipes the workers load, by name: the built-in
// ones, then those of dir (QUARRY_RECIPES_DIR), which may replace them.
func knownRecipes(dir string) (map[string]*recipe.Recipe, error) {
	all, err := loadRecipes(recipes.FS())
	if err != nil {
		return nil, err
	}
	if dir != "" {
		more, err := loadRecipes(os.DirFS(dir))
		if err != nil {
			return nil, fmt.Errorf("QUARRY_RECIPES_DIR: %w", err)
		}
		maps.Copy(all, more)
	}
	return all, nil
}

// serveSampleSite starts the sample portal on a loopback port and returns
// its base URL.
func serveSampleSite() (string, func(), error) {
	site, err := samplesite.New(samplesite.Config{})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: site, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "sample site:", err)
		}
	}()
	base := "http://" + ln.Addr().String() + "/WellData/"
	return base, func() { _ = srv.Close(); _ = site.Close() }, nil
}
