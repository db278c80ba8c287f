package main

import (
	"errors"
	"fmt"
)

// Exit statuses scripts can tell apart (besides 0 and 1, any other
// failure): exitUsage for a command line quarry cannot run (an unknown
// subcommand, a bad flag value), exitUnaccounted (quarry dev),
// exitPartlyPublished (quarry publish --file), exitSuppressed (quarry
// suppress check).
const (
	exitUsage      = 2
	exitSuppressed = 5
)

// usageErrorf is an error in the command line itself, ending with
// exitUsage.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// exitCode is the process's exit status for the error a command returned.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if e, ok := errors.AsType[*exitError](err); ok {
		return e.code
	}
	return 1
}
