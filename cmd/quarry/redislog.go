package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// go-redis writes its own lines ("redis: ... pool.go: failed to dial")
// straight to stderr, ahead of the error Quarry reports for the same
// failure. They go to the process logger at debug level instead.
var (
	redisLogOnce sync.Once
	redisLogTo   atomic.Pointer[zerolog.Logger]
)

type redisLogger struct{}

func (redisLogger) Printf(_ context.Context, format string, v ...any) {
	if l := redisLogTo.Load(); l != nil {
		l.Debug().Str("component", "go-redis").Msg(strings.TrimSpace(fmt.Sprintf(format, v...)))
	}
}

// routeRedisLogs sends go-redis's lines to l from now on.
func routeRedisLogs(l zerolog.Logger) {
	redisLogTo.Store(&l)
	redisLogOnce.Do(func() { redis.SetLogger(redisLogger{}) })
}
