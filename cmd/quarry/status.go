package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/internal/jobstatus"
)

func newStatusCommand(a *app) *cobra.Command {
	var (
		endpoint string
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "status [JOB_ID]",
		Short: "Show queue depths, or where a job is in the pipeline",
		Long: `Without an argument, status shows each queue of the topology and its DLQ:
messages visible, in flight and delayed, and the age of the oldest message.
SQS's API has no oldest-message age: localaws answers it; on AWS it shows
n/a (see the CloudWatch metric ApproximateAgeOfOldestMessage).

With a job id, status shows where that job and the other jobs of its
pipeline (fetch → extract → notify) are: done, in progress (attempt, since,
lease until), lease expired, released for retry, dead-lettered (with the
DLQ's reason), queued, not started or not requested, and what each left
(the PDF, the extracted outputs, the mails). It reads the claim records in
Redis (QUARRY_REDIS_URL) and searches the job DLQs as ` + "`quarry dlq peek`" + ` does,
leaving every message in place. A job still waiting in its queue is not
visible until a worker claims it.

Exit status: 0 when the job is found, 3 when nothing is known of the job id,
1 on any other error.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			env, err := a.awsEnv(ctx, endpoint)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				rep, err := jobstatus.CollectQueues(ctx, env.statusSource(), endpointOf(endpoint))
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(a.stdout, rep)
				}
				return printQueues(a.stdout, rep)
			}
			store, closeFn, err := a.claimStore(ctx)
			if err != nil {
				return err
			}
			defer closeFn()
			rep, err := jobstatus.Trace(ctx, env.statusSource(), store, args[0])
			if err != nil && !errors.Is(err, jobstatus.ErrUnknownJob) {
				return err
			}
			if asJSON {
				if werr := writeJSON(a.stdout, rep); werr != nil {
					return werr
				}
			} else if err == nil {
				printJob(a.stdout, rep)
			}
			if err != nil {
				return withExitCode(exitUnknownJob, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&endpoint, "endpoint-url", "", "AWS endpoint (default: AWS_ENDPOINT_URL, else AWS)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON document")
	return cmd
}

// claimStore opens the fleet's claim records.
func (a *app) claimStore(ctx context.Context) (*idempotency.Store, func(), error) {
	return a.idempotencyStore(ctx, "a job's status is in the fleet's Redis")
}

// statusSource is what `quarry status` reads: the queues of the topology.
func (e *awsEnv) statusSource() jobstatus.Source {
	return jobstatus.Source{SQS: e.clients.SQS, Topology: e.topology}
}

// endpointOf is the SQS endpoint the SDK uses: --endpoint-url, else the
// standard variables; empty means AWS.
func endpointOf(flag string) string {
	return cmp.Or(flag, os.Getenv("AWS_ENDPOINT_URL_SQS"), os.Getenv("AWS_ENDPOINT_URL"))
}

func printQueues(w io.Writer, rep jobstatus.Queues) error {
	t := newTable(w, "ROLE", "QUEUE", "VISIBLE", "IN FLIGHT", "DELAYED", "OLDEST", "DLQ", "DLQ OLDEST")
	for _, q := range rep.Queues {
		t.row(q.Role, q.Queue.Name, q.Queue.Visible, q.Queue.InFlight, q.Queue.Delayed, formatAge(q.Queue), q.DLQ.Total(), formatAge(q.DLQ))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if rep.AgeNote != "" {
		fmt.Fprintf(w, "oldest: n/a: %s\n", rep.AgeNote)
	}
	return nil
}

func formatAge(d jobstatus.Depth) string {
	switch {
	case d.OldestAgeSeconds == nil:
		return "n/a"
	case d.Total() == 0:
		return "-"
	}
	return time.Duration(*d.OldestAgeSeconds * float64(time.Second)).Round(time.Second).String()
}

func printJob(w io.Writer, rep jobstatus.Report) {
	at := func(t time.Time) string { return t.Format(time.RFC3339) }
	for _, s := range rep.Stages {
		mark := " "
		if s.Asked {
			mark = "*"
		}
		fmt.Fprintf(w, "%s %-8s %-26s %s", mark, cmp.Or(s.Stage, "?"), cmp.Or(s.JobID, "-"), s.State)
		var facts []string
		if s.Attempts > 0 {
			facts = append(facts, fmt.Sprintf("attempt %d", s.Attempts))
		}
		switch s.State {
		case jobstatus.StateDone:
			facts = append(facts, "completed "+at(s.CompletedAt))
		case jobstatus.StateInProgress:
			facts = append(facts, "since "+at(s.ClaimedAt), "lease until "+at(s.LeaseUntil))
		case jobstatus.StateLeaseExpired:
			facts = append(facts, "claimed "+at(s.ClaimedAt), "lease ended "+at(s.LeaseUntil))
		case jobstatus.StateReleased:
			facts = append(facts, "released "+at(s.ReleasedAt))
		}
		if len(facts) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(facts, ", "))
		}
		fmt.Fprintln(w)
		detail := func(label, format string, args ...any) {
			line := fmt.Sprintf("  %-8s %-9s %s", "", label, fmt.Sprintf(format, args...))
			fmt.Fprintln(w, strings.TrimRight(line, " "))
		}
		if d := s.DeadLetter; d != nil {
			detail("dlq", "%s: %s", d.Queue, d.Reason)
			detail("", "receives %d, first seen %s, message %s", d.ReceiveCount, at(d.FirstSeen), d.MessageID)
		}
		if f := s.Fetch; f != nil {
			detail("pdf", "%s (%d bytes, sha256 %s)", f.PDFKey, f.Size, f.SHA256)
			if f.FinalURL != "" {
				detail("from", "%s", f.FinalURL)
			}
		}
		if e := s.Extract; e != nil {
			detail("tables", "%d on %d pages", e.Tables, e.Pages)
			if len(e.FailedPages) > 0 {
				detail("failed", "pages %v", e.FailedPages)
			}
			for _, k := range e.Keys {
				detail("output", "%s", k)
			}
		}
		if n := s.Notify; n != nil {
			for _, r := range n.Recipients {
				detail("mail", "%s %s %s", r.Address, r.Outcome, cmp.Or(r.MessageID, strings.Join(r.SuppressionReasons, ", "), r.Detail))
			}
		}
		for _, m := range s.Mails {
			detail("mail", "%s %s %s", m.Address, m.State, cmp.Or(m.MessageID, m.Detail))
		}
		if len(s.Result) > 0 {
			detail("result", "%s", s.Result)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}
