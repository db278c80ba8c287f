package main

import "fmt"

// Exit statuses scripts can tell apart (besides 0 and 1, any other
// failure): exitUsage for a command line quarry cannot run (an unknown
// subcommand, a bad flag value), exitUnaccounted (quarry dev),
// exitPartlyPublished (quarry publish --file), exitSuppressed (quarry
// suppress check).
const exitUsage = 2

// usageErrorf is an error in the command line itself, ending with
// exitUsage.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}
