package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
)

// devReport is the summary of a `quarry dev` batch.
type devReport struct {
	Endpoint string        `json:"endpoint"`
	Jobs     int           `json:"jobs"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	// Drained is true once every job is done or dead-lettered.
	Drained bool `json:"drained"`

	Done                int `json:"done"`
	DeadLettered        int `json:"dead_lettered"`
	DocumentsFetched    int `json:"documents_fetched"`
	TablesExtracted     int `json:"tables_extracted"`
	MailsSent           int `json:"mails_sent"`
	AddressesSuppressed int `json:"addresses_suppressed"`

	Stages []stageProgress `json:"stages"`
	Hosts  []hostProgress  `json:"hosts"`
	// DLQ lists every message in a DLQ with its reason.
	DLQ []dlqLine `json:"dlq"`
	// UnknownEffects are sends whose outcome nobody knows.
	UnknownEffects []idempotency.UnknownEffect `json:"unknown_effects"`
	// Unaccounted are jobs neither done nor in a DLQ.
	Unaccounted []jobFate `json:"unaccounted,omitempty"`
	// MailsByRecipient counts the mails SES accepted per address.
	MailsByRecipient map[string]int `json:"mails_by_recipient,omitempty"`
	// Outputs says where the PDFs, tables and mails are.
	Outputs string `json:"outputs"`
	// API is the HTTP API and its console, when they serve.
	API *devAPI `json:"api,omitempty"`
}

// dlqLine is one dead-lettered message.
type dlqLine struct {
	Role    string `json:"role"`
	JobID   string `json:"job_id,omitempty"`
	JobType string `json:"job_type,omitempty"`
	Reason  string `json:"reason"`
}

// follower follows the batch until it drains (or the run is stopped) and
// reports on it.
type follower struct {
	ctx       context.Context // ends at Ctrl-C
	a         *app
	o         devOptions
	env       *awsEnv
	claims    *idempotency.Store
	rdb       *infra.Redis
	batch     *sampleBatch
	watcher   *watcher
	view      *view
	published *atomic.Int64
	srvURL    string
	api       *devAPI // the HTTP API, when it serves
	emit      func(*devReport) error
}

// reaccountEvery spaces accountings that found jobs still pending while the
// queues looked idle.
const reaccountEvery = 5 * time.Second

// follow samples progress until the batch drains. With --exit-when-done it
// returns then (or at --timeout, with the jobs unaccounted for); otherwise
// it reports and keeps serving until Ctrl-C. fleetDone ends when the fleet
// stopped on its own (an error).
func (f *follower) follow(fleetDone <-chan struct{}) error {
	tick := time.NewTicker(f.o.interval)
	defer tick.Stop()
	var timeout <-chan time.Time
	if f.o.exitWhenDone && f.o.timeout > 0 {
		t := time.NewTimer(f.o.timeout)
		defer t.Stop()
		timeout = t.C
	}
	total := len(f.batch.jobs)
	var lastAccount time.Time
	var last progress
	for {
		select {
		case <-f.ctx.Done():
			// Ctrl-C before the batch drained: say where it stands.
			rep, err := f.report(context.WithoutCancel(f.ctx), last)
			if err != nil {
				return err
			}
			f.view.finish()
			return f.emit(rep)
		case <-fleetDone:
			return nil
		case <-timeout:
			rep, err := f.report(f.ctx, last)
			if err != nil {
				return err
			}
			f.view.finish()
			if err := f.emit(rep); err != nil {
				return err
			}
			return withExitCode(exitUnaccounted, unaccountedError(rep.Unaccounted, f.o.timeout))
		case <-tick.C:
		}
		p, err := f.watcher.sample(f.ctx, int(f.published.Load()), total)
		if err != nil {
			f.a.log.Warn().Err(err).Msg("reading progress")
			continue
		}
		last = p
		if f.o.onProgress != nil {
			f.o.onProgress(p)
		}
		if int(f.published.Load()) == total && p.idle() && time.Since(lastAccount) >= reaccountEvery {
			lastAccount = time.Now()
			rep, err := f.report(f.ctx, p)
			if err != nil {
				f.a.log.Warn().Err(err).Msg("accounting for the batch")
				continue
			}
			if rep.Drained {
				f.view.draw(p, "drained")
				f.view.finish()
				if err := f.emit(rep); err != nil || f.o.exitWhenDone {
					return err
				}
				fmt.Fprintf(f.view.out, "\nStill serving: AWS_ENDPOINT_URL=%s; Ctrl-C stops.\n", f.srvURL)
				select {
				case <-f.ctx.Done():
				case <-fleetDone:
				}
				return nil
			}
			lastAccount = time.Now()
		}
		f.view.draw(p, "")
	}
}

func unaccountedError(jobs []jobFate, after time.Duration) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d jobs are neither done nor in a DLQ after %v:", len(jobs), after)
	for _, j := range jobs {
		fmt.Fprintf(&b, "\n  %s at stage %s (%s)", j.ID, j.Stage, j.State)
	}
	return fmt.Errorf("%s", b.String())
}

// report accounts for every job of the batch and gathers the summary.
func (f *follower) report(ctx context.Context, p progress) (*devReport, error) {
	rep := &devReport{Endpoint: f.srvURL, Jobs: len(f.batch.jobs), Elapsed: p.Elapsed, Stages: p.Stages, Hosts: p.Hosts}
	dead, err := f.deadLetters(ctx, rep)
	if err != nil {
		return nil, err
	}
	fates, err := f.batch.account(ctx, f.claims, dead)
	if err != nil {
		return nil, err
	}
	for _, j := range fates {
		switch j.Fate {
		case fateDone:
			rep.Done++
		case fateDeadLettered:
			rep.DeadLettered++
		default:
			rep.Unaccounted = append(rep.Unaccounted, j)
		}
		if j.Fate == fateDone || j.Stage != infra.RoleFetch {
			rep.DocumentsFetched++
		}
		rep.TablesExtracted += j.Tables
	}
	rep.Drained = len(rep.Unaccounted) == 0
	if rep.MailsByRecipient, err = mailsByRecipient(ctx, f.srvURL); err != nil {
		return nil, err
	}
	for _, n := range rep.MailsByRecipient {
		rep.MailsSent += n
	}
	list, err := newSuppressionStore(f.a.cfg, f.rdb)
	if err != nil {
		return nil, err
	}
	n, err := list.Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("counting suppressed addresses: %w", err)
	}
	rep.AddressesSuppressed = int(n)
	if rep.UnknownEffects, err = f.claims.ListUnknownEffects(ctx); err != nil {
		return nil, err
	}
	rep.API = f.api
	rep.Outputs = fmt.Sprintf("s3://%s/jobs/<job id>/ on %s (quarry dev --out DIR writes them out), mail at %s/_localaws/mail",
		f.env.topology.BlobBucket, f.srvURL, f.srvURL)
	if f.o.out != "" && rep.Drained {
		if err := f.export(ctx, f.o.out); err != nil {
			return nil, err
		}
		rep.Outputs = f.o.out
	}
	return rep, nil
}

// deadLetters reads every DLQ, leaving the messages in place, and indexes
// them by job id.
func (f *follower) deadLetters(ctx context.Context, rep *devReport) (map[string]infra.DeadLetter, error) {
	dead := map[string]infra.DeadLetter{}
	for _, role := range f.watcher.roles {
		q, _ := f.env.topology.Queue(role)
		url := f.watcher.queues[role][1]
		attrs, err := f.env.queueAttrs(ctx, url, types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)
		if err != nil {
			return nil, err
		}
		n := atoi(attrs["ApproximateNumberOfMessages"]) + atoi(attrs["ApproximateNumberOfMessagesNotVisible"])
		if n == 0 {
			continue
		}
		msgs, err := infra.PeekDLQ(ctx, f.env.clients.SQS, url, n)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", q.DLQName(), err)
		}
		for _, m := range msgs {
			line := dlqLine{Role: role, Reason: m.Reason}
			if m.Job != nil {
				line.JobID, line.JobType = m.Job.ID, m.Job.Type
				dead[m.Job.ID] = m
			} else {
				line.Reason += " (" + m.DecodeError + ")"
			}
			rep.DLQ = append(rep.DLQ, line)
		}
	}
	return dead, nil
}

// mailRecord is the part of the endpoint's mailbox listing the report reads.
type mailRecord struct {
	MessageID  string `json:"messageId"`
	Recipients []struct {
		Address string `json:"address"`
	} `json:"recipients"`
}

func listMail(ctx context.Context, endpoint string) ([]mailRecord, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/_localaws/mail", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading the mailbox: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading the mailbox: %s", resp.Status)
	}
	var mails []mailRecord
	if err := json.NewDecoder(resp.Body).Decode(&mails); err != nil {
		return nil, fmt.Errorf("reading the mailbox: %w", err)
	}
	return mails, nil
}

func mailsByRecipient(ctx context.Context, endpoint string) (map[string]int, error) {
	mails, err := listMail(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, m := range mails {
		for _, r := range m.Recipients {
			out[r.Address]++
		}
	}
	return out, nil
}

// export writes the blob bucket's job outputs and the mailbox's messages
// under dir: jobs/<id>/doc.pdf, jobs/<id>/doc.tables/..., mail/<id>.eml.
func (f *follower) export(ctx context.Context, dir string) error {
	bucket := f.env.topology.BlobBucket
	pages := s3.NewListObjectsV2Paginator(f.env.clients.S3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("jobs/")})
	blobs := infra.NewBlobStore(f.env.clients.S3, bucket)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing s3://%s/jobs/: %w", bucket, err)
		}
		for _, obj := range page.Contents {
			key := aws.ToString(obj.Key)
			body, err := blobs.Get(ctx, key)
			if err != nil {
				return err
			}
			err = writeFile(filepath.Join(dir, filepath.FromSlash(key)), body)
			body.Close()
			if err != nil {
				return err
			}
		}
	}
	mails, err := listMail(ctx, f.srvURL)
	if err != nil {
		return err
	}
	for _, m := range mails {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.srvURL+"/_localaws/mail/"+m.MessageID+".eml", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("reading mail %s: %w", m.MessageID, err)
		}
		err = writeFile(filepath.Join(dir, "mail", m.MessageID+".eml"), resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return out.Close()
}

// print writes the summary for people.
func (r *devReport) print(w io.Writer) {
	state := "drained"
	if !r.Drained {
		state = fmt.Sprintf("not drained: %d jobs unaccounted for", len(r.Unaccounted))
	}
	fmt.Fprintf(w, "\nQuarry dev: %d jobs in %.1fs, %s\n", r.Jobs, r.Elapsed.Seconds(), state)
	t := newTable(w)
	t.row("  jobs done", r.Done)
	t.row("  documents fetched", r.DocumentsFetched)
	t.row("  tables extracted", r.TablesExtracted)
	t.row("  mails sent", r.MailsSent)
	t.row("  addresses suppressed", r.AddressesSuppressed)
	t.row("  dead-lettered", r.DeadLettered)
	t.row("  unknown effects", len(r.UnknownEffects))
	var dups, retries int
	for _, s := range r.Stages {
		dups += s.Duplicates
		retries += s.Retried
	}
	t.row("  duplicate deliveries skipped", dups)
	t.row("  retries", retries)
	if len(r.Hosts) > 0 {
		most := slices.MaxFunc(r.Hosts, func(a, b hostProgress) int { return a.MaxPerSecond - b.MaxPerSecond })
		t.row("  site hosts", fmt.Sprintf("%d, busiest %s: at most %d requests in one second (recipe allows %d)", len(r.Hosts), most.Host, most.MaxPerSecond, most.Limit))
	}
	t.row("  outputs", r.Outputs)
	if r.API != nil {
		t.row("  console", r.API.URL+"#token="+r.API.Token)
	}
	_ = t.flush()
	t = newNumberTable(w, "  stage", "done", "jobs/s over the run", "retried", "duplicates", "dead-lettered")
	for _, s := range r.Stages {
		t.row("  "+s.Role, s.Done, fmt.Sprintf("%.1f", float64(s.Done)/max(r.Elapsed.Seconds(), 0.001)), s.Retried, s.Duplicates, s.DeadLettered)
	}
	_ = t.flush()
	for _, d := range r.DLQ {
		fmt.Fprintf(w, "  DLQ %s: job %s (%s): %s\n", d.Role, d.JobID, d.JobType, d.Reason)
	}
	for _, u := range r.UnknownEffects {
		fmt.Fprintf(w, "  unknown effect: job %s, %s: %s\n", u.Key, u.Name, u.Reason)
	}
	for _, j := range r.Unaccounted {
		fmt.Fprintf(w, "  unaccounted: job %s at stage %s (%s)\n", j.ID, j.Stage, j.State)
	}
}
