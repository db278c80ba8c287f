package main

import (
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/pipeline/fetch"
	"github.com/quarry-dev/quarry/pipeline/fetch/politeness"
	"github.com/quarry-dev/quarry/pipeline/fetch/recipe"
)

// newFetchHandler builds the fetch.document handler: the built-in recipes
// plus QUARRY_RECIPES_DIR, fleet-wide politeness in Redis, the blob bucket
// and the jobs topic.
func newFetchHandler(d stageDeps) (*fetch.Handler, error) {
	all, err := knownRecipes(d.cfg.RecipesDir)
	if err != nil {
		return nil, err
	}
	gate, err := politeness.New(politeness.Config{Redis: d.redis.Client, Prefix: d.cfg.RedisPrefix + "fetch:", Registerer: d.registry})
	if err != nil {
		return nil, err
	}
	f, err := fetch.New(fetch.Config{Version: version, Gate: gate, AllowPrivateNetworks: d.cfg.FetchAllowPrivate, Logger: d.log})
	if err != nil {
		return nil, err
	}
	baseURLs := map[string]string{}
	for _, s := range d.sites {
		r, ok := all[s.Recipe]
		if !ok {
			return nil, fmt.Errorf("site %s: no recipe %q", s.Name, s.Recipe)
		}
		all[s.Name], baseURLs[s.Name] = r, s.BaseURL
	}
	return fetch.NewHandler(fetch.HandlerConfig{
		Fetcher: f, Recipes: all, BaseURLs: baseURLs,
		Blobs:     infra.NewBlobStore(d.env.clients.S3, d.bucket),
		Publisher: infra.NewPublisher(d.env.clients.SNS, d.jobsTopicARN),
	})
}

// loadRecipes parses every *.yaml file of fsys, by recipe name.
func loadRecipes(fsys fs.FS) (map[string]*recipe.Recipe, error) {
	files, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*recipe.Recipe, len(files))
	for _, name := range files {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		r, err := recipe.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("recipe %s: %w", filepath.Base(name), err)
		}
		if prev, dup := out[r.Name]; dup {
			return nil, fmt.Errorf("recipe %s: name %q is taken by another recipe (version %d)", name, r.Name, prev.Version)
		}
		out[r.Name] = r
	}
	return out, nil
}
