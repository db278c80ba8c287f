// Package recipe defines the site recipe: a declarative YAML description of
// how to reach one document on one site (form, postback, wait, download),
// and validates it at load, with errors that name the step and the field.
//
// [Parse] decodes and validates a recipe; [Load] reads one from a file. A
// parsed [*Recipe] is read-only and safe to share between goroutines. The
// format is documented with a complete example in pipeline/fetch/README.md.
//
// YAML is decoded with go.yaml.in/yaml/v3, the maintained continuation of
// gopkg.in/yaml.v3 (same API, same decoder): its yaml.Node tree keeps line
// numbers, which the validator needs to point at the step at fault.
package recipe
