package idempotency

import (
	"context"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// scriptRunner is the part of *redis.Script the store uses.
type scriptRunner interface {
	Run(ctx context.Context, c redis.Scripter, keys []string, args ...any) *redis.Cmd
}

// str returns element i of a script's array reply as a string ("" if
// absent).
func str(res []any, i int) string {
	if i >= len(res) {
		return ""
	}
	switch v := res[i].(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

// num returns element i of a script's array reply as an integer (0 if
// absent or not a number).
func num(res []any, i int) int64 {
	if i >= len(res) {
		return 0
	}
	switch v := res[i].(type) {
	case int64:
		return v
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

func bytesOrNil(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

var _ scriptRunner = (*redis.Script)(nil)
