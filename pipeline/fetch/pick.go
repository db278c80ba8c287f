package fetch

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/quarry-dev/quarry/pipeline/fetch/recipe"
)

// pickRow applies a pick step to the current page: it finds the table,
// keeps the data rows the rule matches and, when exactly one does, returns
// its variables (row.text, row.index, row.href, row.target, row.argument).
// Zero matches is not_found, several is ambiguous: the rule must single out
// the document.
func (fl *flow) pickRow(pk *recipe.Pick) (map[string]string, error) {
	step := fl.label()
	doc, err := fl.cur.html()
	if err != nil {
		return nil, failf(ClassRecipeBroken, step, "parse page: %v", err).withPage(fl.cur)
	}
	table := doc.Find(pk.Table).First()
	if table.Length() == 0 {
		return nil, failf(ClassRecipeBroken, step, "table: nothing matches %q on %s", pk.Table, fl.cur.url).withPage(fl.cur)
	}
	rows := table.Find(pk.Rows)
	rule := pk.Rule

	col := -1
	if rule.Column != "" {
		headers := headerCells(table)
		for i, h := range headers {
			if strings.EqualFold(h, collapse(rule.Column)) {
				col = i
				break
			}
		}
		if col < 0 {
			return nil, failf(ClassRecipeBroken, step, "rule.column: no column %q in the table header %q", rule.Column, headers).withPage(fl.cur)
		}
	}
	var equals, contains string
	if rule.Equals != nil {
		if equals, err = fl.expand(*rule.Equals); err != nil {
			return nil, failf(ClassRecipeBroken, step, "rule.equals: %v", err)
		}
		equals = recipe.Normalize(rule.Normalize, equals)
	}
	if rule.Text != nil {
		if contains, err = fl.expand(*rule.Text); err != nil {
			return nil, failf(ClassRecipeBroken, step, "rule.text: %v", err)
		}
	}

	var matched []int
	rows.Each(func(i int, row *goquery.Selection) {
		switch {
		case rule.Index != nil:
			if i == *rule.Index {
				matched = append(matched, i)
			}
		case rule.Text != nil:
			if strings.Contains(collapse(row.Text()), collapse(contains)) {
				matched = append(matched, i)
			}
		default:
			cells := row.ChildrenFiltered("td, th")
			if col >= cells.Length() {
				return
			}
			cell := collapse(cells.Eq(col).Text())
			if rule.Equals != nil && recipe.Normalize(rule.Normalize, cell) == equals {
				matched = append(matched, i)
			}
			if rule.Matches != "" && rule.MatchesCell(cell) {
				matched = append(matched, i)
			}
		}
	})

	switch len(matched) {
	case 0:
		return nil, failf(ClassNotFound, step, "no row of %s matches %s (%d data rows)", pk.Table, describeRule(rule, equals, contains), rows.Length()).withPage(fl.cur)
	case 1:
	default:
		return nil, failf(ClassAmbiguous, step, "%d rows of %s match %s (rows %v); the rule must match exactly one row", len(matched), pk.Table, describeRule(rule, equals, contains), matched).withPage(fl.cur)
	}

	i := matched[0]
	row := rows.Eq(i)
	vars := map[string]string{
		"row.text":     collapse(row.Text()),
		"row.index":    strconv.Itoa(i),
		"row.href":     "",
		"row.target":   "",
		"row.argument": "",
	}
	link := row.Find(pk.Link).First()
	if link.Length() > 0 {
		href := strings.TrimSpace(link.AttrOr("href", ""))
		js := href
		if !strings.HasPrefix(strings.ToLower(href), "javascript:") {
			if u, err := fl.cur.url.Parse(href); err == nil && href != "" {
				vars["row.href"] = u.String()
			}
			js = link.AttrOr("onclick", "")
		} else {
			vars["row.href"] = href
		}
		if target, arg, ok := parsePostBack(js); ok {
			vars["row.target"], vars["row.argument"] = target, arg
		}
	}
	return vars, nil
}

// headerCells returns the texts of the table's header row: the first row
// with th cells.
func headerCells(table *goquery.Selection) []string {
	var out []string
	table.Find("tr").EachWithBreak(func(_ int, tr *goquery.Selection) bool {
		ths := tr.ChildrenFiltered("th")
		if ths.Length() == 0 {
			return true
		}
		tr.ChildrenFiltered("th, td").Each(func(_ int, c *goquery.Selection) {
			out = append(out, collapse(c.Text()))
		})
		return false
	})
	return out
}

func describeRule(r recipe.Rule, equals, contains string) string {
	switch {
	case r.Index != nil:
		return fmt.Sprintf("index %d", *r.Index)
	case r.Text != nil:
		return fmt.Sprintf("text %q", contains)
	case r.Equals != nil:
		return fmt.Sprintf("column %q = %q", r.Column, equals)
	}
	return fmt.Sprintf("column %q ~ /%s/", r.Column, r.Matches)
}
