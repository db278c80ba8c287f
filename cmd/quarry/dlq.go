package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/infra"
)

// dlqRow is one line of `quarry dlq list`.
type dlqRow struct {
	Role       string `json:"role"`
	Queue      string `json:"queue"`
	URL        string `json:"url"`
	Unroutable bool   `json:"unroutable,omitempty"`
	Messages   int    `json:"messages"`
	InFlight   int    `json:"in_flight"`
}

func newDLQCommand(a *app) *cobra.Command {
	var endpoint string
	cmd := &cobra.Command{
		Use:   "dlq",
		Short: "Inspect, redrive and purge dead-letter queues",
		Long: `A QUEUE argument names a role (fetch), a queue (quarry-fetch) or a DLQ
(quarry-fetch-dlq); all three mean the fetch role's DLQ. "unroutable" names
the queue of jobs whose job_type no stage takes.`,
	}
	cmd.PersistentFlags().StringVar(&endpoint, "endpoint-url", "", "AWS endpoint (default: AWS_ENDPOINT_URL, else AWS)")
	cmd.AddCommand(
		newDLQListCommand(a, &endpoint),
		newDLQPeekCommand(a, &endpoint),
		newDLQRedriveCommand(a, &endpoint),
		newDLQPurgeCommand(a, &endpoint),
	)
	return cmd
}

// The dlq subcommands take endpoint as a pointer to the parent's
// persistent --endpoint-url, which cobra sets before any of them runs.

func newDLQListCommand(a *app, endpoint *string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the DLQs (and the unroutable queue) with their depth",
		Long: `list shows each role's DLQ and the unroutable queue, which holds jobs whose
job_type no stage takes, with how many messages they hold. With --json it
prints one JSON object per queue.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rows, err := a.dlqRows(cmd.Context(), *endpoint)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONLines(a.stdout, rows)
			}
			t := newTable(a.stdout, "ROLE", "DLQ", "MESSAGES", "IN FLIGHT")
			for _, r := range rows {
				t.row(r.Role, r.Queue, r.Messages, r.InFlight)
			}
			return t.flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per queue")
	return cmd
}

// dlqRows reads the depth of every DLQ of the topology.
func (a *app) dlqRows(ctx context.Context, endpoint string) ([]dlqRow, error) {
	env, err := a.awsEnv(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	var rows []dlqRow
	for _, q := range env.topology.Queues {
		url, err := env.queueURL(ctx, q.DLQName())
		if err != nil {
			return nil, err
		}
		attrs, err := env.queueAttrs(ctx, url, types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)
		if err != nil {
			return nil, err
		}
		rows = append(rows, dlqRow{Role: q.Role, Queue: q.DLQName(), URL: url, Unroutable: q.Unroutable,
			Messages: atoi(attrs["ApproximateNumberOfMessages"]), InFlight: atoi(attrs["ApproximateNumberOfMessagesNotVisible"])})
	}
	return rows, nil
}

func newDLQPeekCommand(a *app, endpoint *string) *cobra.Command {
	var (
		n      int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "peek QUEUE",
		Short: "Show messages in a DLQ with their failure reason, leaving them in place",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			env, url, err := a.dlq(ctx, *endpoint, args[0])
			if err != nil {
				return err
			}
			letters, err := infra.PeekDLQ(ctx, env.clients.SQS, url, n)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSONLines(a.stdout, letters)
			}
			printDeadLetters(a.stdout, letters)
			return nil
		},
	}
	cmd.Flags().IntVarP(&n, "n", "n", 10, "how many messages to show")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per message")
	return cmd
}

// printDeadLetters prints each message of a DLQ with its job and why it
// failed.
func printDeadLetters(w io.Writer, letters []infra.DeadLetter) {
	if len(letters) == 0 {
		fmt.Fprintln(w, "the DLQ is empty")
		return
	}
	for _, l := range letters {
		fmt.Fprintf(w, "message %s\n", l.MessageID)
		if l.Job != nil {
			fmt.Fprintf(w, "  job      %s (%s)\n", l.Job.ID, l.Job.Type)
		} else {
			fmt.Fprintf(w, "  job      undecodable: %s\n", l.DecodeError)
		}
		fmt.Fprintf(w, "  reason   %s\n", l.Reason)
		if l.Stage != "" {
			fmt.Fprintf(w, "  stage    %s\n", l.Stage)
		}
		fmt.Fprintf(w, "  receives %d\n", l.ReceiveCount)
		if !l.FirstSeen.IsZero() {
			fmt.Fprintf(w, "  first    %s\n", l.FirstSeen.Format("2006-01-02 15:04:05Z07:00"))
		}
	}
}

func newDLQRedriveCommand(a *app, endpoint *string) *cobra.Command {
	var (
		ro     infra.RedriveOptions
		noWait bool
	)
	cmd := &cobra.Command{
		Use:   "redrive QUEUE",
		Short: "Move messages from a DLQ back to their queue",
		Long: `redrive moves DLQ messages back to the queue they came from. Without --type
or --max it starts an SQS message move task and waits for it; with them it
moves the matching messages itself.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			env, dlq, err := a.dlq(ctx, *endpoint, args[0])
			if err != nil {
				return err
			}
			for _, q := range env.topology.Queues {
				if q.Unroutable && strings.HasSuffix(dlq, "/"+q.Name) {
					return fmt.Errorf("%s holds jobs whose job_type no stage takes: there is no queue to return them to; "+
						"read them with `quarry dlq peek %s`, publish them again with a job_type a stage takes, then `quarry dlq purge %s --yes`", q.Name, q.Role, q.Role)
				}
			}
			source, err := env.sourceOf(ctx, dlq)
			if err != nil {
				return err
			}
			ro.Progress = func(moved int) {
				if moved%100 == 0 {
					fmt.Fprintf(a.stderr, "\rmoved %d", moved)
				}
			}
			res, err := infra.RedriveDLQ(ctx, env.clients.SQS, dlq, source, ro)
			if err != nil {
				return err
			}
			if res.TaskHandle == "" {
				fmt.Fprintf(a.stdout, "moved %d messages back to %s\n", res.Moved, source)
				return nil
			}
			fmt.Fprintf(a.stdout, "started move task %s\n", res.TaskHandle)
			if noWait {
				return nil
			}
			return a.waitMoveTask(ctx, env, dlq)
		},
	}
	cmd.Flags().StringVar(&ro.JobType, "type", "", "move only jobs of this type")
	cmd.Flags().IntVar(&ro.Max, "max", 0, "move at most this many messages")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "start the move task and return")
	return cmd
}

// waitMoveTask follows the move task out of dlq, with its progress on
// stderr, until it ends.
func (a *app) waitMoveTask(ctx context.Context, env *awsEnv, dlq string) error {
	t, err := infra.WaitMoveTask(ctx, env.clients.SQS, dlq, func(moved, total int64) {
		fmt.Fprintf(a.stderr, "\rmoved %d of %d", moved, total)
	})
	fmt.Fprintln(a.stderr)
	if err != nil {
		return err
	}
	if s := aws.ToString(t.Status); s != "COMPLETED" {
		return fmt.Errorf("move task ended %s: %s", s, aws.ToString(t.FailureReason))
	}
	fmt.Fprintf(a.stdout, "moved %d messages\n", t.ApproximateNumberOfMessagesMoved)
	return nil
}

func newDLQPurgeCommand(a *app, endpoint *string) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "purge QUEUE",
		Short: "Delete every message in a DLQ",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !yes {
				return errors.New("purge deletes every message in the DLQ for good: add --yes to confirm")
			}
			ctx := cmd.Context()
			env, url, err := a.dlq(ctx, *endpoint, args[0])
			if err != nil {
				return err
			}
			if _, err := env.clients.SQS.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
				return fmt.Errorf("purging %s: %w", url, err)
			}
			fmt.Fprintf(a.stdout, "purged %s\n", url)
			return nil
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm the purge")
	return cmd
}
