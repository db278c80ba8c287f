package main

import (
	"errors"
	"strconv"
)

// Exit statuses of the quarry binary that scripts may rely on.
const (
	// exitError: the command failed (the error is printed on stderr).
	exitError = 1
	// exitUnknownJob: `quarry status JOB_ID` knows nothing of the job.
	exitUnknownJob = 3
	// exitUnaccounted: `quarry dev --exit-when-done` ended with jobs that
	// are neither done nor in a DLQ (the run itself worked).
	exitUnaccounted = 3
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
