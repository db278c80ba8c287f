package fetch

import (
	"slices"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/quarry-dev/quarry/pipeline/fetch/recipe"
)

// goquerySelection shortens callback signatures.
type goquerySelection = goquery.Selection

// expect runs a step's expect checks on the response the step ended with.
// A failed check means the site no longer looks as the recipe says:
// recipe_broken.
func (fl *flow) expect(s *recipe.Step) error {
	e := s.Expect
	if e == nil {
		return nil
	}
	p := fl.cur
	if s.Kind() == recipe.KindDownload || s.Kind() == recipe.KindValidate {
		p = fl.dl
	}
	if p == nil {
		return failf(ClassRecipeBroken, fl.label(), "expect: no response to check")
	}
	step := fl.label()
	if len(e.Status) > 0 && !slices.Contains(e.Status, p.status) {
		return failf(ClassRecipeBroken, step, "expect.status: got %d, want one of %v", p.status, e.Status).withPage(p)
	}
	if e.ContentType != "" && !strings.EqualFold(e.ContentType, p.mediaType) {
		return failf(ClassRecipeBroken, step, "expect.content_type: got %q, want %q", p.mediaType, e.ContentType).withPage(p)
	}
	if !e.MatchURL(p.url.String()) {
		return failf(ClassRecipeBroken, step, "expect.url_matches: %s does not match %s", p.url, e.URLMatches).withPage(p)
	}
	body := string(p.body)
	for _, t := range e.Text {
		if !strings.Contains(body, t) {
			return failf(ClassRecipeBroken, step, "expect.text: %q not on %s", t, p.url).withPage(p)
		}
	}
	for _, t := range e.NotText {
		if strings.Contains(body, t) {
			return failf(ClassRecipeBroken, step, "expect.not_text: %q is on %s", t, p.url).withPage(p)
		}
	}
	if e.Selector != "" {
		doc, err := p.html()
		if err != nil || doc.Find(e.Selector).Length() == 0 {
			return failf(ClassRecipeBroken, step, "expect.selector: nothing matches %q on %s%s", e.Selector, p.url, titleSuffix(p)).withPage(p)
		}
	}
	return nil
}
