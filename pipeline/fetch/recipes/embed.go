// Package recipes holds the recipes shipped with Quarry, such as the one for
// the sample records portal that `quarry dev` serves.
package recipes

import (
	"embed"
	"io/fs"
)

//go:embed *.yaml
var files embed.FS

// FS returns the shipped recipe files, named <recipe>.yaml.
func FS() fs.FS { return files }

// Sample returns the recipe for the sample records portal
// (internal/samplesite).
func Sample() ([]byte, error) { return fs.ReadFile(files, "sample.yaml") }
