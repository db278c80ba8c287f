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
	var endpoint, payload, file string
	cmd := &cobra.Command{
		Use:   "publish TYPE (--payload JSON | --file JOBS.jsonl)",
		Short: "Publish jobs to the jobs topic",
		Long: `publish sends jobs of TYPE (fetch.document, extract.tables, notify.email) to the
jobs topic, which routes them to their stage's queue.

  quarry publish notify.email --payload '{"recipients":["a@example.org"],"template":"tables-ready"}'
  quarry publish fetch.document --file jobs.jsonl

With --file each line is one payload (or "-" reads standard input); lines are
published 10 per PublishBatch call, with a progress bar.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			typ := args[0]
			if (payload == "") == (file == "") {
				return errors.New("give exactly one of --payload and --file")
			}
			env, err := a.awsEnv(ctx, endpoint)
			if err != nil {
				return err
			}
			arn, err := env.jobsTopicARN(ctx)
			if err != nil {
				return err
			}
			pub := infra.NewPublisher(env.clients.SNS, arn)
			if payload != "" {
				job, err := messages.NewJob(typ, json.RawMessage(payload))
				if err != nil {
					return err
				}
				id, err := pub.Publish(ctx, job)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "published job %s (%s) as message %s\n", job.ID, job.Type, id)
				return nil
			}
			return publishFile(a, cmd, pub, typ, file)
		},
	}
	cmd.Flags().StringVar(&endpoint, "endpoint-url", "", "AWS endpoint (default: AWS_ENDPOINT_URL, else AWS)")
	cmd.Flags().StringVar(&payload, "payload", "", "the job's payload as JSON")
	cmd.Flags().StringVar(&file, "file", "", "a file of payloads, one JSON object per line (- for stdin)")
	return cmd
}

func publishFile(a *app, cmd *cobra.Command, pub *infra.Publisher, typ, file string) error {
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
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(a.stderr), progressbar.OptionSetDescription("publishing"),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("jobs"),
		progressbar.OptionThrottle(100_000_000), progressbar.OptionClearOnFinish())
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var batch []messages.Job
	published, line := 0, 0
	flush := func() error {
		if err := pub.PublishBatch(ctx, batch); err != nil {
			return fmt.Errorf("after %d jobs published: %w", published, err)
		}
		published += len(batch)
		_ = bar.Add(len(batch))
		batch = batch[:0]
		return nil
	}
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		job, err := messages.NewJob(typ, json.RawMessage(bytes.Clone(text)))
		if err != nil {
			return fmt.Errorf("%s line %d: %w", file, line, err)
		}
		batch = append(batch, job)
		if len(batch) == 10 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", file, err)
	}
	if err := flush(); err != nil {
		return err
	}
	_ = bar.Finish()
	fmt.Fprintf(a.stdout, "published %d %s jobs\n", published, typ)
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
