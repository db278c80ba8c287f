package fetch

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
)

// field is one name=value pair of a form submission. A submission is an
// ordered list of pairs, not a map: names may repeat (checkbox lists,
// multi-selects) and order is kept as the browser sends it.
type field struct {
	name, value string
}

// form is a form of the current page, with its successful controls.
type form struct {
	action  *url.URL
	method  string
	enctype string
	fields  []field
}

// formError says what is wrong with a form or a control a step refers to.
type formError struct{ reason string }

func (e *formError) Error() string { return e.reason }

// readForm collects the form selected by selector (the first form when
// empty) the way a browser builds its form data set: every successful
// control in tree order (enabled, named; checkboxes and radios only when
// checked; the selected options of a select; the text of a textarea) and,
// of the submit controls, only the clicked one, named by click (none when
// click is empty, as for __doPostBack, which calls form.submit()).
func readForm(doc *goquery.Document, pageURL *url.URL, selector, click string) (*form, error) {
	sel := doc.Find("form")
	if selector != "" {
		sel = doc.Find(selector)
	}
	f := sel.First()
	if f.Length() == 0 || goquery.NodeName(f) != "form" {
		if selector == "" {
			return nil, &formError{"the page has no form"}
		}
		return nil, &formError{fmt.Sprintf("no form matches %q", selector)}
	}
	action := pageURL
	if a, ok := f.Attr("action"); ok && strings.TrimSpace(a) != "" {
		u, err := pageURL.Parse(strings.TrimSpace(a))
		if err != nil {
			return nil, &formError{fmt.Sprintf("form action %q: %v", a, err)}
		}
		action = u
	}
	out := &form{
		action:  action,
		method:  strings.ToLower(cmp.Or(strings.TrimSpace(f.AttrOr("method", "")), "get")),
		enctype: strings.ToLower(strings.TrimSpace(f.AttrOr("enctype", "application/x-www-form-urlencoded"))),
	}

	clicked := false
	for _, c := range formControls(doc, f) {
		sel := goquery.NewDocumentFromNode(c).Selection
		name, hasName := sel.Attr("name")
		if !hasName || name == "" || disabled(sel) {
			continue
		}
		tag := goquery.NodeName(sel)
		typ := strings.ToLower(strings.TrimSpace(sel.AttrOr("type", "")))
		switch tag {
		case "input":
			switch typ {
			case "submit", "image", "button", "reset":
				if typ == "submit" || typ == "image" {
					if click != "" && name == click && !clicked {
						clicked = true
						out.fields = append(out.fields, clickedFields(name, typ, sel)...)
					}
				}
			case "checkbox", "radio":
				if _, checked := sel.Attr("checked"); checked {
					out.fields = append(out.fields, field{name, sel.AttrOr("value", "on")})
				}
			case "file":
				// File inputs need multipart bodies; an empty one sends
				// nothing useful in a urlencoded post.
			default:
				out.fields = append(out.fields, field{name, sel.AttrOr("value", "")})
			}
		case "select":
			for _, v := range selectedOptions(sel) {
				out.fields = append(out.fields, field{name, v})
			}
		case "textarea":
			out.fields = append(out.fields, field{name, strings.ReplaceAll(strings.ReplaceAll(sel.Text(), "\r\n", "\n"), "\n", "\r\n")})
		case "button":
			if (typ == "" || typ == "submit") && click != "" && name == click && !clicked {
				clicked = true
				out.fields = append(out.fields, field{name, sel.AttrOr("value", "")})
			}
		}
	}
	if click != "" && !clicked {
		return nil, &formError{fmt.Sprintf("click: the form has no enabled submit control named %q", click)}
	}
	return out, nil
}

// clickedFields returns the pairs a clicked submit control adds: name=value,
// or for an image button the click coordinates name.x and name.y.
func clickedFields(name, typ string, sel *goquery.Selection) []field {
	if typ == "image" {
		return []field{{name + ".x", "1"}, {name + ".y", "1"}}
	}
	return []field{{name, sel.AttrOr("value", "Submit")}}
}

// formControls returns the form's listed controls in tree order: those
// inside it without a form attribute, and those anywhere in the document
// whose form attribute names its id.
func formControls(doc *goquery.Document, f *goquery.Selection) []*html.Node {
	id := f.AttrOr("id", "")
	formNode := f.Get(0)
	var nodes []*html.Node
	doc.Find("input, select, textarea, button").Each(func(_ int, s *goquery.Selection) {
		if owner, ok := s.Attr("form"); ok {
			if id != "" && owner == id {
				nodes = append(nodes, s.Get(0))
			}
			return
		}
		if p := s.Closest("form"); p.Length() > 0 && p.Get(0) == formNode {
			nodes = append(nodes, s.Get(0))
		}
	})
	return nodes
}

// disabled reports whether a control is disabled, by itself or by a
// disabled fieldset it is in (outside that fieldset's first legend).
func disabled(s *goquery.Selection) bool {
	if _, ok := s.Attr("disabled"); ok {
		return true
	}
	fs := s.ParentsFiltered("fieldset[disabled]")
	for i := range fs.Length() {
		legend := fs.Eq(i).ChildrenFiltered("legend").First()
		if legend.Length() == 0 || !nodeContains(legend.Get(0), s.Get(0)) {
			return true
		}
	}
	return false
}

func nodeContains(ancestor, n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p == ancestor {
			return true
		}
	}
	return false
}

// selectedOptions returns the values a select submits: every selected
// enabled option of a multiple select; for a single select the last option
// marked selected, or the first enabled option when none is.
func selectedOptions(s *goquery.Selection) []string {
	_, multiple := s.Attr("multiple")
	var selected, first []string
	s.Find("option").Each(func(_ int, o *goquery.Selection) {
		if disabled(o) || o.ParentsFiltered("optgroup[disabled]").Length() > 0 {
			return
		}
		v, ok := o.Attr("value")
		if !ok {
			v = collapse(o.Text())
		}
		if first == nil {
			first = []string{v}
		}
		if _, sel := o.Attr("selected"); sel {
			if multiple {
				selected = append(selected, v)
			} else {
				selected = []string{v}
			}
		}
	})
	switch {
	case selected != nil:
		return selected
	case multiple:
		return nil
	}
	return first
}

// set overrides fields: the first pair of each name gets the new value and
// later pairs of that name are dropped; names the form lacks are appended in
// sorted order, so the body is deterministic.
func (f *form) set(values map[string]string) {
	done := make(map[string]bool, len(values))
	kept := f.fields[:0]
	for _, p := range f.fields {
		v, ok := values[p.name]
		switch {
		case !ok:
			kept = append(kept, p)
		case !done[p.name]:
			done[p.name] = true
			kept = append(kept, field{p.name, v})
		}
	}
	f.fields = kept
	names := make([]string, 0, len(values))
	for name := range values {
		if !done[name] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		f.fields = append(f.fields, field{name, values[name]})
	}
}

// clear drops every pair with one of names.
func (f *form) clear(names []string) {
	f.fields = slices.DeleteFunc(f.fields, func(p field) bool { return slices.Contains(names, p.name) })
}

// encode renders the fields as application/x-www-form-urlencoded, in order.
func (f *form) encode() string {
	var b strings.Builder
	for i, p := range f.fields {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.value))
	}
	return b.String()
}

// get returns the value of the first pair named name.
func (f *form) get(name string) (string, bool) {
	for _, p := range f.fields {
		if p.name == name {
			return p.value, true
		}
	}
	return "", false
}
