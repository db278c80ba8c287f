package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/messages"
)

func newPublishCommand(a *app) *cobra.Command {
	var endpoint, payload, file, key string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "publish TYPE (--payload JSON | --file JOBS.jsonl)",
		Short: "Publish jobs to the jobs topic",
		Long: `publish sends jobs of TYPE (fetch.document, extract.tables, notify.email) to the
jobs topic, which routes them to their stage's queue.

  quarry publish notify.email --payload '{"recipients":["a@example.org"],"template":"tables-ready"}'
  quarry publish fetch.document --file jobs.jsonl

With --file each line is one payload (or "-" reads standard input); lines are
published 10 per PublishBatch call, with a progress bar on a terminal.
Throttled and failed calls are retried with backoff.

Running a file again is safe: each line's idempotency key comes from the
line (its "id" field when it has one, else a hash of the type and the
payload), prefixed by --idempotency-key when given, so the workers' claims
drop the jobs already published. Without --json the failed lines are listed
on stderr; with --json every line gets a JSON object on stdout (line, job_id,
idempotency_key, published, error). Exit status 4: some lines were not
published (the others were; run the file again).

With --payload, --idempotency-key sets the job's idempotency key.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			typ := args[0]
			if (payload == "") == (file == "") {
				return usageErrorf("give exactly one of --payload and --file")
			}
			var job messages.Job
			if payload != "" {
				var opts []messages.JobOption
				if key != "" {
					opts = append(opts, messages.WithIdempotencyKey(key))
				}
				var err error
				if job, err = messages.NewJob(typ, json.RawMessage(payload), opts...); err != nil {
					return err
				}
			}
			env, err := a.awsEnv(ctx, endpoint)
			if err != nil {
				return err
			}
			// The first call, with the ordinary retries, finds out soon
			// whether the endpoint answers at all; the publishing calls
			// ride out throttling with the bulk ones.
			arn, err := env.jobsTopicARN(ctx)
			if err != nil {
				return err
			}
			pub := infra.NewPublisher(env.clients.ForBulk().SNS, arn)
			if payload != "" {
				id, err := pub.Publish(ctx, job)
				if err != nil {
					return err
				}
				if asJSON {
					return json.NewEncoder(a.stdout).Encode(publishedLine{JobID: job.ID, JobType: job.Type, IdempotencyKey: job.IdempotencyKey, MessageID: id, Published: true})
				}
				fmt.Fprintf(a.stdout, "published job %s (%s) as message %s\n", job.ID, job.Type, id)
				return nil
			}
			return publishFile(a, cmd, pub, typ, file, key, asJSON)
		},
	}
	cmd.Flags().StringVar(&endpoint, "endpoint-url", "", "AWS endpoint (default: AWS_ENDPOINT_URL, else AWS)")
	cmd.Flags().StringVar(&payload, "payload", "", "the job's payload as JSON")
	cmd.Flags().StringVar(&file, "file", "", "a file of payloads, one JSON object per line (- for stdin)")
	cmd.Flags().StringVar(&key, "idempotency-key", "", "the job's idempotency key (--payload), or the prefix of each line's (--file)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per job")
	return cmd
}

// publishedLine is what became of one job: a line of --file, or --payload.
type publishedLine struct {
	Line           int    `json:"line,omitempty"`
	JobID          string `json:"job_id"`
	JobType        string `json:"job_type"`
	IdempotencyKey string `json:"idempotency_key"`
	MessageID      string `json:"message_id,omitempty"`
	Published      bool   `json:"published"`
	Error          string `json:"error,omitempty"`
}

// lineKey is the idempotency key of a line of a --file: its content key
// (messages.ContentKey) under prefix, by default "publish:" and the type.
func lineKey(prefix, typ string, job messages.Job) string {
	if prefix == "" {
		prefix = "publish:" + typ
	}
	return messages.ContentKey(prefix, job)
}

func publishFile(a *app, cmd *cobra.Command, pub *infra.Publisher, typ, file, keyPrefix string, asJSON bool) error {
	ctx := cmd.Context()
	var r io.Reader = os.Stdin
	total := int64(-1)
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		if total, err = countLines(f); err != nil {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		r = f
	}
	var bar *progressbar.ProgressBar
	if isTerminal(a.stderr) {
		bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(a.stderr), progressbar.OptionSetDescription("publishing"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("jobs"),
			progressbar.OptionThrottle(100_000_000), progressbar.OptionClearOnFinish())
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var batch []publishedLine
	var jobs []messages.Job
	published, failed, line := 0, 0, 0
	enc := json.NewEncoder(a.stdout)
	report := func(l publishedLine) error {
		if l.Published {
			published++
		} else {
			failed++
		}
		if asJSON {
			return enc.Encode(l)
		}
		if !l.Published {
			fmt.Fprintf(a.stderr, "%s line %d: job %s not published: %s\n", file, l.Line, l.JobID, l.Error)
		}
		return nil
	}
	// flush publishes the batch and reports each line; a non-nil error
	// means a whole call failed after its retries, and publishing stops.
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := pub.PublishBatch(ctx, jobs)
		var be *infra.BatchError
		if err != nil && !errors.As(err, &be) {
			return err
		}
		for _, l := range batch {
			if l.Error != "" {
				if err := report(l); err != nil {
					return err
				}
				continue
			}
			l.Published = true
			if be != nil {
				if reason, ok := be.Failed[l.JobID]; ok {
					l.Published, l.Error = false, reason
				}
			}
			if err := report(l); err != nil {
				return err
			}
		}
		if bar != nil {
			_ = bar.Add(len(batch))
		}
		batch, jobs = batch[:0], jobs[:0]
		if be != nil && be.Err != nil {
			return be.Err
		}
		return nil
	}
	var stopped error
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		job, err := messages.NewJob(typ, json.RawMessage(bytes.Clone(text)))
		if err == nil {
			job.IdempotencyKey = lineKey(keyPrefix, typ, job)
			err = job.Validate()
		}
		if err != nil {
			// Reported in its place among the lines of the batch.
			batch = append(batch, publishedLine{Line: line, JobType: typ, Error: err.Error()})
			continue
		}
		batch = append(batch, publishedLine{Line: line, JobID: job.ID, JobType: typ, IdempotencyKey: job.IdempotencyKey})
		jobs = append(jobs, job)
		if len(jobs) == 10 || len(batch) >= 100 {
			if stopped = flush(); stopped != nil {
				break
			}
		}
	}
	if stopped == nil {
		if err := sc.Err(); err != nil {
			return fmt.Errorf("reading %s after line %d (%d jobs published): %w", file, line, published, err)
		}
		stopped = flush()
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if stopped != nil {
		return withExitCode(exitPartlyPublished, fmt.Errorf(
			"stopped at line %d of %s: %w; %d jobs published, %d lines not (the lines before the failed call were all accounted for); run the file again, the jobs already published are dropped as duplicates",
			line, file, stopped, published, failed))
	}
	if failed > 0 {
		return withExitCode(exitPartlyPublished, fmt.Errorf("%d of %d lines of %s not published (listed above); run the file again, the jobs already published are dropped as duplicates", failed, published+failed, file))
	}
	if !asJSON {
		fmt.Fprintf(a.stdout, "published %d %s jobs\n", published, typ)
	}
	return nil
}

func countLines(r io.Reader) (int64, error) {
	var n int64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			n++
		}
	}
	return n, sc.Err()
}
