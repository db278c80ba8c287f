package main

import (
	"bufio"
	"bytes"
	"context"
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
					return writeJSONLine(a.stdout, publishedLine{JobID: job.ID, JobType: job.Type, IdempotencyKey: job.IdempotencyKey, MessageID: id, Published: true})
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
	r, total, closeFile, err := openJobsFile(file)
	if err != nil {
		return err
	}
	defer closeFile()
	p := &filePublish{a: a, pub: pub, typ: typ, file: file, keyPrefix: keyPrefix, asJSON: asJSON}
	if isTerminal(a.stderr) {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(a.stderr), progressbar.OptionSetDescription("publishing"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("jobs"),
			progressbar.OptionThrottle(100_000_000), progressbar.OptionClearOnFinish())
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var stopped error
	for sc.Scan() {
		p.line++
		if p.add(sc.Bytes()) {
			if stopped = p.flush(ctx); stopped != nil {
				break
			}
		}
	}
	if stopped == nil {
		if err := sc.Err(); err != nil {
			return fmt.Errorf("reading %s after line %d (%d jobs published): %w", file, p.line, p.published, err)
		}
		stopped = p.flush(ctx)
	}
	if p.bar != nil {
		_ = p.bar.Finish()
	}
	if stopped != nil {
		return withExitCode(exitPartlyPublished, fmt.Errorf(
			"stopped at line %d of %s: %w; %d jobs published, %d lines not (the lines before the failed call were all accounted for); run the file again, the jobs already published are dropped as duplicates",
			p.line, file, stopped, p.published, p.failed))
	}
	if p.failed > 0 {
		return withExitCode(exitPartlyPublished, fmt.Errorf("%d of %d lines of %s not published (listed above); run the file again, the jobs already published are dropped as duplicates", p.failed, p.published+p.failed, file))
	}
	if !asJSON {
		fmt.Fprintf(a.stdout, "published %d %s jobs\n", p.published, typ)
	}
	return nil
}

// openJobsFile opens file ("-": standard input) with its count of
// non-blank lines (-1 for standard input, which cannot be read twice).
func openJobsFile(file string) (r io.Reader, total int64, closeFile func(), err error) {
	if file == "-" {
		return os.Stdin, -1, func() {}, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, 0, nil, err
	}
	if total, err = countLines(f); err != nil {
		_ = f.Close()
		return nil, 0, nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		_ = f.Close()
		return nil, 0, nil, err
	}
	return f, total, func() { _ = f.Close() }, nil
}

// filePublish is one run of `quarry publish --file`: the batch being
// built and the lines accounted for so far.
type filePublish struct {
	a                    *app
	pub                  *infra.Publisher
	typ, file, keyPrefix string
	asJSON               bool
	bar                  *progressbar.ProgressBar // nil off a terminal

	// batch holds the lines since the last flush, in order, the ones that
	// are no job among them; jobs the jobs of the valid ones.
	batch []publishedLine
	jobs  []messages.Job

	line, published, failed int
}

// add takes the text of line p.line into the batch (a blank line is
// skipped, a line that is no valid job keeps its error) and says whether
// the batch is full and must be flushed.
func (p *filePublish) add(text []byte) bool {
	text = bytes.TrimSpace(text)
	if len(text) == 0 {
		return false
	}
	job, err := messages.NewJob(p.typ, json.RawMessage(bytes.Clone(text)))
	if err == nil {
		job.IdempotencyKey = lineKey(p.keyPrefix, p.typ, job)
		err = job.Validate()
	}
	if err != nil {
		// Reported in its place among the lines of the batch.
		p.batch = append(p.batch, publishedLine{Line: p.line, JobType: p.typ, Error: err.Error()})
		return false
	}
	p.batch = append(p.batch, publishedLine{Line: p.line, JobID: job.ID, JobType: p.typ, IdempotencyKey: job.IdempotencyKey})
	p.jobs = append(p.jobs, job)
	return len(p.jobs) == 10 || len(p.batch) >= 100
}

// flush publishes the batch and reports each line; a non-nil error
// means a whole call failed after its retries, and publishing stops.
func (p *filePublish) flush(ctx context.Context) error {
	if len(p.batch) == 0 {
		return nil
	}
	err := p.pub.PublishBatch(ctx, p.jobs)
	var be *infra.BatchError
	if err != nil && !errors.As(err, &be) {
		return err
	}
	for _, l := range p.batch {
		if l.Error == "" {
			l.Published = true
			if be != nil {
				if reason, ok := be.Failed[l.JobID]; ok {
					l.Published, l.Error = false, reason
				}
			}
		}
		if err := p.report(l); err != nil {
			return err
		}
	}
	if p.bar != nil {
		_ = p.bar.Add(len(p.batch))
	}
	p.batch, p.jobs = p.batch[:0], p.jobs[:0]
	if be != nil && be.Err != nil {
		return be.Err
	}
	return nil
}

// report counts one line and prints it: every line with --json, the
// failed ones on stderr without.
func (p *filePublish) report(l publishedLine) error {
	if l.Published {
		p.published++
	} else {
		p.failed++
	}
	if p.asJSON {
		return writeJSONLine(p.a.stdout, l)
	}
	if !l.Published {
		fmt.Fprintf(p.a.stderr, "%s line %d: job %s not published: %s\n", p.file, l.Line, l.JobID, l.Error)
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
