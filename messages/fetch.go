package messages

import (
	"fmt"
	"sort"
)

// Limits of a fetch.document payload.
const (
	maxRecordKeyLen = 256
	maxVariables    = 50
	maxVariableLen  = 4096
)

// FetchDocument is the payload of a [TypeFetchDocument] job: run the site
// recipe Recipe for the record Key, store the PDF it downloads in the blob
// store, and, when Extract is set, publish an [ExtractTables] child for it.
type FetchDocument struct {
	// Recipe names the site recipe (form, postback, wait, download) to run:
	// 1 to 64 of [a-z0-9._-]. Required.
	Recipe string `json:"recipe"`
	// Key is the record the recipe looks up, such as a case or permit
	// number: up to 256 bytes, no control characters. Required.
	Key string `json:"key"`
	// Variables are extra form inputs the recipe declares (date ranges,
	// jurisdiction), by name. Names are identifiers ([A-Za-z_][A-Za-z0-9_]*,
	// up to 64 bytes); values up to 4096 bytes. At most 50.
	Variables map[string]string `json:"variables,omitempty"`
	// Extract, when set, asks for the tables of the fetched PDF.
	Extract *ExtractOptions `json:"extract,omitempty"`
	// Notify, when set, mails the extracted tables; it requires Extract.
	Notify *NotifyOptions `json:"notify,omitempty"`
}

// ExtractOptions say which tables to extract from a fetched PDF; they become
// the [ExtractTables] child's Pages and Formats.
type ExtractOptions struct {
	// Pages selects pages as in [ParsePages] ("1-3,5,8-"); empty means all.
	Pages string `json:"pages,omitempty"`
	// Formats lists the outputs: "csv", "json", "xlsx". Empty means csv and
	// json.
	Formats []string `json:"formats,omitempty"`
}

// NotifyOptions say who gets the extracted tables by mail; they become the
// [NotifyEmail] child's Recipients and Template.
type NotifyOptions struct {
	// Recipients are 1 to 50 distinct bare addresses. Required.
	Recipients []string `json:"recipients"`
	// Template is the SES template name: 1 to 64 of [A-Za-z0-9_-]. Required.
	Template string `json:"template"`
}

// Validate checks the payload and returns a [*ValidationError] naming the
// first bad field ("payload.recipe").
func (p FetchDocument) Validate() error {
	if err := checkName("payload.recipe", p.Recipe); err != nil {
		return err
	}
	if err := checkText("payload.key", p.Key, maxRecordKeyLen, true); err != nil {
		return err
	}
	if len(p.Variables) > maxVariables {
		return &ValidationError{Field: "payload.variables", Reason: fmt.Sprintf("%d variables, over the limit of %d", len(p.Variables), maxVariables)}
	}
	names := make([]string, 0, len(p.Variables))
	for name := range p.Variables {
		names = append(names, name)
	}
	sort.Strings(names) // report the same first error every time
	for _, name := range names {
		field := fmt.Sprintf("payload.variables[%q]", clip(name))
		if !isIdentifier(name) {
			return &ValidationError{Field: field, Reason: "a variable name is a letter or '_' followed by letters, digits and '_', up to 64 bytes"}
		}
		if v := p.Variables[name]; len(v) > maxVariableLen {
			return &ValidationError{Field: field, Reason: fmt.Sprintf("%d bytes, over the %d-byte limit", len(v), maxVariableLen)}
		}
	}
	if p.Extract != nil {
		if err := p.Extract.validate("payload.extract"); err != nil {
			return err
		}
	}
	if p.Notify != nil {
		if p.Extract == nil {
			return &ValidationError{Field: "payload.notify", Reason: "requires payload.extract: the mail carries the extracted tables"}
		}
		if err := p.Notify.validate("payload.notify"); err != nil {
			return err
		}
	}
	return nil
}

func (o ExtractOptions) validate(field string) error {
	if _, err := ParsePages(o.Pages); err != nil {
		return within(field+".pages", err)
	}
	return checkFormats(field+".formats", o.Formats)
}

func (o NotifyOptions) validate(field string) error {
	if err := checkRecipients(field+".recipients", o.Recipients); err != nil {
		return err
	}
	return checkTemplate(field+".template", o.Template)
}

func isIdentifier(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, c := range []byte(s) {
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}
