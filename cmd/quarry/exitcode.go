package main

import (
	"errors"
	"fmt"
	"strconv"
)

// Exit statuses of the quarry binary that scripts may rely on.
const (
	// exitError: the command failed (the error is printed on stderr).
	exitError = 1
	// exitUsage: a command line quarry cannot run (an unknown subcommand,
	// a bad flag value).
	exitUsage = 2
	// exitUnknownJob: `quarry status JOB_ID` knows nothing of the job.
	exitUnknownJob = 3
	// exitUnaccounted: `quarry dev --exit-when-done` ended with jobs that
	// are neither done nor in a DLQ (the run itself worked).
	exitUnaccounted = 3
	// exitPartlyPublished: `quarry publish --file` left lines unpublished.
	exitPartlyPublished = 4
	// exitSuppressed: `quarry suppress check` found the address suppressed.
	exitSuppressed = 5
)

// codedError is an error that exits with a status of its own. With err
// nil the command has already said all it had to (a report whose verdict
// is the status), and nothing more is printed.
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string {
	if e.err == nil {
		return "exit status " + strconv.Itoa(e.code)
	}
	return e.err.Error()
}

func (e *codedError) Unwrap() error { return e.err }

func withExitCode(code int, err error) error { return &codedError{code: code, err: err} }

// exitSilently ends the command with code after it printed its report.
func exitSilently(code int) error { return &codedError{code: code} }

// silent reports whether err only carries an exit status.
func silent(err error) bool {
	var c *codedError
	return errors.As(err, &c) && c.err == nil
}

// exitCode is the status the binary exits with after err (nil: 0).
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var c *codedError
	if errors.As(err, &c) {
		return c.code
	}
	return exitError
}

// usageErrorf is an error in the command line itself, ending with
// exitUsage.
func usageErrorf(format string, args ...any) error {
	return withExitCode(exitUsage, fmt.Errorf(format, args...))
}
