package fetch

import (
	"fmt"
	"io"
	"time"
)

// StepEvent reports progress of a flow: one event per HTTP request
// (Method set) and one when a step finishes (StepDone set).
type StepEvent struct {
	// Attempt is the flow attempt, from 1.
	Attempt int
	// Step is the step's label, Kind its action.
	Step string
	Kind string
	// Method, URL, Status, ContentType and Bytes describe a request and its
	// response. A request that was redirected gets one event per hop, with
	// Redirect set to where the hop pointed, then one for the final URL
	// with the method it was reached by.
	Method      string
	URL         string
	Status      int
	ContentType string
	Bytes       int
	Redirect    string
	// StepDone marks the end of a step; Detail says what it did.
	StepDone bool
	Detail   string
	// Duration is how long the request or the step took.
	Duration time.Duration
	// Err is the step's failure, if any.
	Err error
}

// TextTrace returns a trace function that writes one line per event to w,
// for `quarry fetch --verbose`. Write errors are ignored: tracing must not
// fail a fetch.
func TextTrace(w io.Writer) func(StepEvent) {
	return func(e StepEvent) {
		switch {
		case e.StepDone && e.Err != nil:
			fmt.Fprintf(w, "#%d %s: FAILED after %s: %v\n", e.Attempt, e.Step, e.Duration.Round(time.Millisecond), e.Err)
		case e.StepDone:
			fmt.Fprintf(w, "#%d %s: ok in %s: %s\n", e.Attempt, e.Step, e.Duration.Round(time.Millisecond), e.Detail)
		case e.Redirect != "":
			fmt.Fprintf(w, "#%d %s:   %s %s -> %d, redirect to %s in %s\n", e.Attempt, e.Step, e.Method, e.URL, e.Status, e.Redirect, e.Duration.Round(time.Millisecond))
		default:
			fmt.Fprintf(w, "#%d %s:   %s %s -> %d %s, %d bytes in %s\n", e.Attempt, e.Step, e.Method, e.URL, e.Status, e.ContentType, e.Bytes, e.Duration.Round(time.Millisecond))
		}
	}
}
