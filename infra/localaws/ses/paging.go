package ses

import (
	"encoding/base64"
	"sort"
	"strconv"
	"strings"

	"github.com/quarry-dev/quarry/infra/localaws/awsproto"
)

// maxPageSize is the largest page SES returns from a List operation.
const maxPageSize = 1000

// tokenPrefix makes a NextToken recognisable, so that a token from
// elsewhere is rejected rather than silently restarting the list.
const tokenPrefix = "ses1:"

// paginate returns the page of keys (sorted here) that follows token, at most
// size long, and the token of the next page ("" on the last page). Tokens
// hold the last key returned, so entries added or removed between calls
// neither repeat nor shift the listing.
func paginate(keys []string, token string, size int) ([]string, string, *awsproto.Error) {
	sort.Strings(keys)
	start := 0
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || !strings.HasPrefix(string(raw), tokenPrefix) {
			return nil, "", errInvalidNextToken("The NextToken %q is not valid.", token)
		}
		last := strings.TrimPrefix(string(raw), tokenPrefix)
		start = sort.SearchStrings(keys, last)
		if start < len(keys) && keys[start] == last {
			start++
		}
	}
	end := min(start+size, len(keys))
	next := ""
	if end < len(keys) {
		next = base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + keys[end-1]))
	}
	return keys[start:end], next, nil
}

// pageSize checks a PageSize parameter: absent or zero means the maximum.
func pageSize(n int, name string) (int, *awsproto.Error) {
	switch {
	case n == 0:
		return maxPageSize, nil
	case n < 0 || n > maxPageSize:
		return 0, errBadRequest("%s must be between 1 and %d, got %d.", name, maxPageSize, n)
	}
	return n, nil
}

// queryPageSize reads PageSize from the query string.
func (rq *request) queryPageSize() (int, *awsproto.Error) {
	v := rq.query.Get("PageSize")
	if v == "" {
		return maxPageSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errBadRequest("PageSize %q is not a number.", v)
	}
	return pageSize(n, "PageSize")
}

// listParams are the paging (and filter) parameters of the List operations
// that take them either in the query string (GET) or in the body (POST).
type listParams struct {
	NextToken string            `json:"NextToken"`
	PageSize  int               `json:"PageSize"`
	Filter    map[string]string `json:"Filter"`
}

func (rq *request) listParams() (listParams, *awsproto.Error) {
	var p listParams
	if rq.http != nil && rq.http.Method != "GET" {
		if e := rq.decode(&p); e != nil {
			return p, e
		}
		n, e := pageSize(p.PageSize, "PageSize")
		p.PageSize = n
		return p, e
	}
	p.NextToken = rq.query.Get("NextToken")
	n, e := rq.queryPageSize()
	p.PageSize = n
	return p, e
}
