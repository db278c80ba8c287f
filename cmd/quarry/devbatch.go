package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sync/errgroup"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/internal/samplesite"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/pipeline/extract"
)

// simulatorDomain is SES's mailbox simulator: mail to it is never
// delivered to anyone, and its local parts choose the outcome (success,
// bounce, complaint); a +label keeps addresses apart.
const simulatorDomain = "simulator.amazonses.com"

// sampleJob is one fetch.document job of the sample batch and the ids of
// the children it leads to.
type sampleJob struct {
	ID         string   `json:"id"`
	Recipe     string   `json:"recipe"`
	Key        string   `json:"key"`
	Recipients []string `json:"recipients,omitempty"`
	ExtractID  string   `json:"extract_job_id"`
	NotifyID   string   `json:"notify_job_id,omitempty"`
}

// sampleBatch is the batch `quarry dev` publishes and accounts for.
type sampleBatch struct {
	jobs []sampleJob
	all  []messages.Job
}

// newSampleBatch builds n fetch.document jobs spread over the sites' hosts
// and the catalog's records, every one asking for its tables (CSV and
// JSON, and XLSX for every fourth) and every mailEvery-th mailing them to
// an SES simulator address: mostly success, one in ten a bounce and one in
// ten a complaint, so the suppression path runs too. mailEvery 0 mails
// none.
func newSampleBatch(n int, sites devSites, records, mailEvery int) (*sampleBatch, error) {
	b := &sampleBatch{jobs: make([]sampleJob, 0, n), all: make([]messages.Job, 0, n)}
	ids := messages.NewIDGenerator(nil, nil)
	for i := range n {
		site := sites[i%len(sites)]
		p := messages.FetchDocument{
			Recipe:  site.recipe,
			Key:     samplesite.CatalogAPINumber(i % records),
			Extract: &messages.ExtractOptions{Formats: []string{messages.FormatCSV, messages.FormatJSON}},
		}
		if i%4 == 3 {
			p.Extract.Formats = append(p.Extract.Formats, messages.FormatXLSX)
		}
		if mailEvery > 0 && i%mailEvery == 0 {
			kind := "success"
			switch (i / mailEvery) % 10 {
			case 3:
				kind = "bounce"
			case 7:
				kind = "complaint"
			}
			p.Notify = &messages.NotifyOptions{
				Recipients: []string{kind + "+" + strconv.Itoa(i) + "@" + simulatorDomain},
				Template:   "tables-ready",
			}
		}
		job, err := messages.NewJob(messages.TypeFetchDocument, p, messages.WithIDGenerator(ids))
		if err != nil {
			return nil, fmt.Errorf("sample job %d: %w", i, err)
		}
		if err := b.add(job); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// add appends a fetch.document job and the ids of the children it leads to.
func (b *sampleBatch) add(job messages.Job) error {
	var p messages.FetchDocument
	if err := job.DecodePayload(&p); err != nil {
		return fmt.Errorf("sample job %s: %w", job.ID, err)
	}
	sj := sampleJob{ID: job.ID, Recipe: p.Recipe, Key: p.Key}
	var err error
	if sj.ExtractID, err = messages.ChildID(job.ID, messages.TypeExtractTables); err != nil {
		return err
	}
	if p.Notify != nil {
		sj.Recipients = p.Notify.Recipients
		if sj.NotifyID, err = messages.ChildID(sj.ExtractID, messages.TypeNotifyEmail); err != nil {
			return err
		}
	}
	b.jobs = append(b.jobs, sj)
	b.all = append(b.all, job)
	return nil
}

// savedBatch is a batch as `quarry dev --state-dir` keeps it, so that a
// run stopped with Ctrl-C goes on with the same batch when it starts again
// instead of publishing another.
type savedBatch struct {
	// Sites is how many portal hosts the jobs' recipes name.
	Sites int `json:"sites"`
	// Published is set once every job was published.
	Published bool           `json:"published"`
	Jobs      []messages.Job `json:"jobs"`
}

const batchFile = "dev-batch.json"

// loadBatch reads the batch kept in dir; ok is false when there is none.
func loadBatch(dir string) (b *sampleBatch, saved savedBatch, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, batchFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, savedBatch{}, false, nil
	}
	if err != nil {
		return nil, savedBatch{}, false, fmt.Errorf("reading the kept batch: %w", err)
	}
	if err := json.Unmarshal(data, &saved); err != nil {
		return nil, savedBatch{}, false, fmt.Errorf("reading the kept batch %s: %w", filepath.Join(dir, batchFile), err)
	}
	b = &sampleBatch{}
	for _, j := range saved.Jobs {
		if err := b.add(j); err != nil {
			return nil, savedBatch{}, false, err
		}
	}
	return b, saved, true, nil
}

// save keeps the batch in dir (written whole, then renamed into place).
func (b *sampleBatch) save(dir string, sites int, published bool) error {
	data, err := json.Marshal(savedBatch{Sites: sites, Published: published, Jobs: b.all})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(dir, batchFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("keeping the batch: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, batchFile))
}

// publish sends the batch to the jobs topic, 10 jobs per PublishBatch call
// and a few calls at once; progress gets the number published so far.
func (b *sampleBatch) publish(ctx context.Context, pub *infra.Publisher, progress func(int)) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	done := make(chan int)
	go func() {
		total := 0
		for n := range done {
			total += n
			progress(total)
		}
	}()
	defer close(done)
	for start := 0; start < len(b.all); start += 10 {
		chunk := b.all[start:min(start+10, len(b.all))]
		g.Go(func() error {
			if err := pub.PublishBatch(gctx, chunk); err != nil {
				return fmt.Errorf("publishing the sample batch: %w", err)
			}
			done <- len(chunk)
			return nil
		})
	}
	return g.Wait()
}

// Fates of a sample job.
const (
	fateDone         = "done"          // every stage it asked for completed
	fateDeadLettered = "dead_lettered" // a stage's message sits in a DLQ
	fatePending      = "pending"       // neither yet
)

// jobFate is where one sample job ended, or where it is.
type jobFate struct {
	ID     string `json:"id"`
	Fate   string `json:"fate"`
	Stage  string `json:"stage"`            // the stage it reached
	State  string `json:"state,omitempty"`  // that stage's claim state
	Reason string `json:"reason,omitempty"` // the DLQ's reason
	// Tables counts the tables its extract stage found.
	Tables int `json:"tables,omitempty"`
}

// claimLookup reads claim records; *idempotency.Store has it.
type claimLookup interface {
	Lookup(ctx context.Context, key string) (idempotency.Record, error)
}

// account finds each job's fate from its stages' claim records (a child's
// idempotency key is its id) and the DLQs' messages by job id.
func (b *sampleBatch) account(ctx context.Context, claims claimLookup, dead map[string]infra.DeadLetter) ([]jobFate, error) {
	fates := make([]jobFate, len(b.jobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i, j := range b.jobs {
		g.Go(func() error {
			f, err := accountJob(gctx, claims, dead, j)
			fates[i] = f
			return err
		})
	}
	return fates, g.Wait()
}

func accountJob(ctx context.Context, claims claimLookup, dead map[string]infra.DeadLetter, j sampleJob) (jobFate, error) {
	stages := []struct{ id, name string }{{j.ID, infra.RoleFetch}, {j.ExtractID, infra.RoleExtract}}
	if j.NotifyID != "" {
		stages = append(stages, struct{ id, name string }{j.NotifyID, infra.RoleNotify})
	}
	f := jobFate{ID: j.ID}
	for _, s := range stages {
		f.Stage = s.name
		if d, ok := dead[s.id]; ok {
			f.Fate, f.Reason = fateDeadLettered, d.Reason
			return f, nil
		}
		rec, err := claims.Lookup(ctx, s.id)
		if errors.Is(err, idempotency.ErrNoRecord) {
			f.Fate, f.State = fatePending, "not started"
			return f, nil
		}
		if err != nil {
			return f, fmt.Errorf("job %s, stage %s: %w", j.ID, s.name, err)
		}
		if rec.State != idempotency.StateCompleted {
			f.Fate, f.State = fatePending, string(rec.State)
			return f, nil
		}
		if s.name == infra.RoleExtract {
			f.Tables = tablesOf(rec.Result)
		}
	}
	f.Fate, f.State = fateDone, string(idempotency.StateCompleted)
	return f, nil
}

// tablesOf reads the table count from an extract job's result.
func tablesOf(result []byte) int {
	var r extract.HandlerResult
	if json.Unmarshal(result, &r) != nil {
		return 0
	}
	return r.Tables
}
