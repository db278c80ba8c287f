package fetch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/quarry-dev/quarry/internal/delay"
	"github.com/quarry-dev/quarry/pipeline/fetch/recipe"
)

// maxMetaRefreshDelay is the longest meta refresh delay followed; a longer
// one is a session-timeout warning, not a redirect.
const maxMetaRefreshDelay = 10

// resolve parses ref relative to the current page, or the base URL before
// the first page.
func (fl *flow) resolve(ref string) (*url.URL, error) {
	base := fl.base
	if fl.cur != nil {
		base = fl.cur.url
	}
	u, err := base.Parse(strings.TrimSpace(ref))
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q is not an http(s) URL", ref)
	}
	u.Fragment = ""
	return u, nil
}

// page fetches a page for the current step and classifies it; on success it
// becomes the current page.
func (fl *flow) page(ctx context.Context, method string, u *url.URL, body string) (*page, error) {
	p, err := fl.request(ctx, method, u, body, acceptHTML, int64(fl.r.Limits.MaxPageBytes))
	if err != nil {
		return nil, err
	}
	if f := fl.classify(p); f != nil {
		return nil, f
	}
	fl.cur = p
	return p, nil
}

func (fl *flow) doGet(ctx context.Context, g *recipe.Get) (string, error) {
	ref, err := fl.expand(g.URL)
	if err != nil {
		return "", failf(ClassRecipeBroken, fl.label(), "url: %v", err)
	}
	u, err := fl.resolve(ref)
	if err != nil {
		return "", failf(ClassRecipeBroken, fl.label(), "url: %v", err)
	}
	p, err := fl.page(ctx, http.MethodGet, u, "")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("GET %s -> %d", p.url, p.status), nil
}

// currentForm reads a form of the current page for a submit or postback.
func (fl *flow) currentForm(selector, click string) (*form, error) {
	doc, err := fl.cur.html()
	if err != nil {
		return nil, failf(ClassRecipeBroken, fl.label(), "parse page: %v", err).withPage(fl.cur)
	}
	f, err := readForm(doc, fl.cur.url, selector, click)
	if err != nil {
		return nil, failf(ClassRecipeBroken, fl.label(), "%v on %s", err, fl.cur.url).withPage(fl.cur)
	}
	if f.enctype == "multipart/form-data" {
		return nil, failf(ClassRecipeBroken, fl.label(), "the form posts multipart/form-data, which recipes do not support").withPage(fl.cur)
	}
	return f, nil
}

// expandFields expands a step's field templates.
func (fl *flow) expandFields(fields map[string]recipe.Template) (map[string]string, error) {
	out := make(map[string]string, len(fields)+2)
	for name, t := range fields {
		v, err := fl.expand(t)
		if err != nil {
			return nil, failf(ClassRecipeBroken, fl.label(), "fields.%s: %v", name, err)
		}
		out[name] = v
	}
	return out, nil
}

// send submits a form with its method and makes the answer the current
// page.
func (fl *flow) send(ctx context.Context, f *form) (*page, error) {
	if f.method == "get" {
		u := *f.action
		u.RawQuery = f.encode()
		return fl.page(ctx, http.MethodGet, &u, "")
	}
	return fl.page(ctx, http.MethodPost, f.action, f.encode())
}

func (fl *flow) doSubmit(ctx context.Context, s *recipe.Submit) (string, error) {
	f, err := fl.currentForm(s.Form, s.Click)
	if err != nil {
		return "", err
	}
	values, err := fl.expandFields(s.Fields)
	if err != nil {
		return "", err
	}
	f.set(values)
	f.clear(s.Clear)
	p, err := fl.send(ctx, f)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %s with %d fields -> %d", strings.ToUpper(f.method), f.action, len(f.fields), p.status), nil
}

func (fl *flow) doPick(pk *recipe.Pick) (string, error) {
	vars, err := fl.pickRow(pk)
	if err != nil {
		return "", err
	}
	for k, v := range vars {
		fl.vars[k] = v
	}
	detail := fmt.Sprintf("picked row %s: %s", vars["row.index"], vars["row.text"])
	if vars["row.target"] != "" {
		detail += fmt.Sprintf(" (postback %s, %s)", vars["row.target"], vars["row.argument"])
	}
	return detail, nil
}

func (fl *flow) doPostback(ctx context.Context, pb *recipe.Postback) (string, error) {
	f, err := fl.currentForm(pb.Form, "")
	if err != nil {
		return "", err
	}
	values, err := fl.expandFields(pb.Fields)
	if err != nil {
		return "", err
	}
	target, err := fl.expand(pb.Target)
	if err != nil {
		return "", failf(ClassRecipeBroken, fl.label(), "target: %v", err)
	}
	if target == "" {
		return "", failf(ClassRecipeBroken, fl.label(), "target is empty: the picked row has no postback link").withPage(fl.cur)
	}
	arg, err := fl.expand(pb.Argument)
	if err != nil {
		return "", failf(ClassRecipeBroken, fl.label(), "argument: %v", err)
	}
	values["__EVENTTARGET"], values["__EVENTARGUMENT"] = target, arg
	f.set(values)
	p, err := fl.send(ctx, f)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("postback %s(%s) -> %d", target, arg, p.status), nil
}

// findRedirect returns the client-side redirect of the current page.
func (fl *flow) findRedirect(f *recipe.Follow) (target, kind string, ok bool) {
	if !fl.cur.isHTML() {
		return "", "", false
	}
	doc, err := fl.cur.html()
	if err != nil {
		return "", "", false
	}
	if f.FollowJS() || len(f.CompiledPatterns()) > 0 {
		var scripts []string
		doc.Find("script").Each(func(_ int, s *goquerySelection) { scripts = append(scripts, s.Text()) })
		patterns := f.CompiledPatterns()
		if !f.FollowJS() {
			// Only the recipe's own patterns: search with starts that
			// never match.
			if t, ok := findPatternRedirect(scripts, patterns); ok {
				return t, "script pattern", true
			}
		} else if t, ok := findJSRedirect(scripts, patterns); ok {
			return t, "JavaScript", true
		}
	}
	if f.FollowMetaRefresh() {
		var target string
		doc.Find("meta[http-equiv]").EachWithBreak(func(_ int, m *goquerySelection) bool {
			if !strings.EqualFold(strings.TrimSpace(m.AttrOr("http-equiv", "")), "refresh") {
				return true
			}
			content := m.AttrOr("content", "")
			delay, _, _ := strings.Cut(content, ";")
			if n, err := strconv.ParseFloat(strings.TrimSpace(delay), 64); err != nil || n > maxMetaRefreshDelay {
				return true
			}
			if u, ok := metaRefreshURL(content); ok {
				target = u
				return false
			}
			return true
		})
		if target != "" {
			return target, "meta refresh", true
		}
	}
	return "", "", false
}

func (fl *flow) doFollow(ctx context.Context, f *recipe.Follow) (string, error) {
	var hops []string
	for {
		target, kind, ok := fl.findRedirect(f)
		if !ok {
			fl.vars["follow.url"] = fl.cur.url.String()
			if len(hops) == 0 && f.Required {
				return "", failf(ClassRecipeBroken, fl.label(), "no JavaScript or meta refresh redirect on %s", fl.cur.url).withPage(fl.cur)
			}
			if len(hops) == 0 {
				return "no redirect on the page", nil
			}
			return "followed " + strings.Join(hops, ", "), nil
		}
		if len(hops) >= f.MaxHops {
			return "", failf(ClassRedirectLoop, fl.label(), "redirect loop: still redirecting after %d client-side redirects (max_hops), next to %s", len(hops), target).withPage(fl.cur)
		}
		u, err := fl.resolve(target)
		if err != nil {
			return "", failf(ClassRecipeBroken, fl.label(), "%s redirect: %v", kind, err).withPage(fl.cur)
		}
		if _, err := fl.page(ctx, http.MethodGet, u, ""); err != nil {
			return "", err
		}
		hops = append(hops, kind+" to "+u.String())
	}
}

func (fl *flow) doWait(ctx context.Context, w *recipe.Wait) (string, error) {
	d := w.Min.D()
	if spread := w.Max.D() - w.Min.D(); spread > 0 {
		d += rand.N(spread)
	}
	if err := delay.Sleep(ctx, d); err != nil {
		if fl.parent.Err() != nil {
			return "", fmt.Errorf("fetch: %s: %w", fl.label(), context.Cause(fl.parent))
		}
		return "", failf(ClassNetwork, fl.label(), "flow_timeout %s exceeded while waiting", fl.r.Limits.FlowTimeout.D())
	}
	return "waited " + d.Round(time.Millisecond).String(), nil
}

func (fl *flow) doDownload(ctx context.Context, d *recipe.Download) (string, error) {
	var ref string
	if d.URL != nil {
		v, err := fl.expand(*d.URL)
		if err != nil {
			return "", failf(ClassRecipeBroken, fl.label(), "url: %v", err)
		}
		ref = v
	} else {
		doc, err := fl.cur.html()
		if err != nil {
			return "", failf(ClassRecipeBroken, fl.label(), "parse page: %v", err).withPage(fl.cur)
		}
		href, ok := doc.Find(d.Link).First().Attr("href")
		if !ok || strings.TrimSpace(href) == "" {
			return "", failf(ClassRecipeBroken, fl.label(), "link: no link with an href matches %q on %s", d.Link, fl.cur.url).withPage(fl.cur)
		}
		ref = href
	}
	u, err := fl.resolve(ref)
	if err != nil {
		return "", failf(ClassRecipeBroken, fl.label(), "document URL: %v", err)
	}
	p, err := fl.request(ctx, http.MethodGet, u, "", strings.Join(d.Accept, ", "), int64(d.MaxBytes))
	if err != nil {
		return "", err
	}
	if f := fl.classify(p); f != nil {
		return "", f
	}
	if p.mediaType == "text/html" && !p.isPDF() {
		return "", failf(ClassNotPDF, fl.label(), "the download answered with an HTML page%s", titleSuffix(p)).withPage(p)
	}
	fl.dl = p
	fl.vars["download.url"] = p.url.String()
	fl.vars["download.content_type"] = p.mediaType
	fl.vars["download.filename"] = attachmentName(p.header)
	return fmt.Sprintf("downloaded %d bytes of %s from %s", len(p.body), p.mediaType, p.url), nil
}

// attachmentName returns the file name of a Content-Disposition header,
// reduced to its last path element.
func attachmentName(h http.Header) string {
	_, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
	if err != nil {
		return ""
	}
	name := path.Base(strings.ReplaceAll(params["filename"], `\`, "/"))
	if name == "." || name == "/" {
		return ""
	}
	return name
}
