package fetch

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsString parses the JavaScript string literal at the start of s (after
// spaces) and returns its value and the rest of s after it. It handles both
// quote styles and the escapes sites use (\', \", \\, \/, \n, \xNN, \uNNNN).
func jsString(s string) (val, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t\r\n")
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", s, false
	}
	quote := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == quote:
			return b.String(), s[i+1:], true
		case c == '\n':
			return "", s, false
		case c != '\\':
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			return "", s, false
		}
		switch e := s[i]; e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'x', 'u':
			n := 2
			if e == 'u' {
				n = 4
			}
			if i+n >= len(s) {
				return "", s, false
			}
			v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
			if err != nil {
				return "", s, false
			}
			b.WriteRune(rune(v))
			i += n
		default:
			// \' \" \\ \/ and any other escaped character stand for
			// themselves.
			r, size := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r)
			i += size - 1
		}
	}
	return "", s, false
}

// jsArgs parses n comma-separated string literal arguments at the start of s.
func jsArgs(s string, n int) ([]string, bool) {
	args := make([]string, 0, n)
	for i := range n {
		if i > 0 {
			s = strings.TrimLeft(s, " \t\r\n")
			if !strings.HasPrefix(s, ",") {
				return nil, false
			}
			s = s[1:]
		}
		v, rest, ok := jsString(s)
		if !ok {
			return nil, false
		}
		args = append(args, v)
		s = rest
	}
	return args, true
}

// parsePostBack extracts the event target and argument from a postback link:
// javascript:__doPostBack('ctl00$Main$gvResults','Select$3') or
// WebForm_DoPostBackWithOptions(new WebForm_PostBackOptions("t", "a", ...)).
// The href may be percent-encoded.
func parsePostBack(js string) (target, argument string, ok bool) {
	if strings.Contains(js, "%") {
		if u, err := url.PathUnescape(js); err == nil {
			js = u
		}
	}
	for _, fn := range []string{"__doPostBack(", "WebForm_PostBackOptions("} {
		if i := strings.Index(js, fn); i >= 0 {
			args, ok := jsArgs(js[i+len(fn):], 2)
			if ok && args[0] != "" {
				return args[0], args[1], true
			}
		}
	}
	return "", "", false
}

// jsRedirectStarts find the places in a script where a location is
// assigned or replaced; the URL literal follows each match. Compiled once:
// every follow step of every flow reads them.
var jsRedirectStarts = []*regexp.Regexp{
	regexp.MustCompile(`(?:\b(?:window|document|self|top)\.)?\blocation(?:\.href)?\s*=\s*`),
	regexp.MustCompile(`\blocation(?:\.href)?\.(?:replace|assign)\(\s*`),
}

// findJSRedirect returns the first URL a script assigns to the location, or
// one captured by the extra patterns (group 1).
func findJSRedirect(scripts []string, extra []*regexp.Regexp) (string, bool) {
	for _, src := range scripts {
		best, bestAt := "", -1
		for _, re := range jsRedirectStarts {
			for _, m := range re.FindAllStringIndex(src, -1) {
				v, _, ok := jsString(src[m[1]:])
				if ok && v != "" && (bestAt < 0 || m[0] < bestAt) {
					best, bestAt = v, m[0]
					break
				}
			}
		}
		if bestAt >= 0 {
			return best, true
		}
		for _, re := range extra {
			if m := re.FindStringSubmatch(src); m != nil && m[1] != "" {
				return strings.ReplaceAll(m[1], `\/`, "/"), true
			}
		}
	}
	return "", false
}

// findPatternRedirect returns the group 1 of the first pattern that
// matches a script.
func findPatternRedirect(scripts []string, patterns []*regexp.Regexp) (string, bool) {
	for _, src := range scripts {
		for _, re := range patterns {
			if m := re.FindStringSubmatch(src); m != nil && m[1] != "" {
				return strings.ReplaceAll(m[1], `\/`, "/"), true
			}
		}
	}
	return "", false
}

// metaRefreshURL parses the content of <meta http-equiv="refresh">:
// "0; url=/next", "5;URL='next.aspx'". ok is false when there is no URL.
func metaRefreshURL(content string) (string, bool) {
	_, rest, found := strings.Cut(content, ";")
	if !found {
		_, rest, found = strings.Cut(content, ",")
	}
	if !found {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	if len(rest) >= 3 && strings.EqualFold(rest[:3], "url") {
		rest = strings.TrimSpace(rest[3:])
		if !strings.HasPrefix(rest, "=") {
			return "", false
		}
		rest = strings.TrimSpace(rest[1:])
	}
	rest = strings.Trim(rest, `'"`)
	return rest, rest != ""
}
