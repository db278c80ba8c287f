package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// Logger is the zerolog logger handed to every component.
type Logger = zerolog.Logger

// newLogger builds the process logger: JSON in production (stderr is not a
// terminal), human-readable console output on a terminal, as QUARRY_LOG_FORMAT
// and QUARRY_LOG_LEVEL say.
func newLogger(cfg Config, w io.Writer) (zerolog.Logger, error) {
	level, err := zerolog.ParseLevel(cfg.LogLevel)
	if err != nil || level == zerolog.NoLevel {
		return zerolog.Logger{}, fmt.Errorf("QUARRY_LOG_LEVEL=%q: want trace, debug, info, warn or error", cfg.LogLevel)
	}
	console := cfg.LogFormat == "console"
	if cfg.LogFormat == "auto" {
		if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			console = true
		}
	}
	if console {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger(), nil
}

// slogFor adapts the zerolog logger for components that take a *slog.Logger
// (the embedded AWS endpoint keeps to the standard library).
func slogFor(l zerolog.Logger) *slog.Logger {
	return slog.New(zerolog.NewSlogHandler(l))
}
