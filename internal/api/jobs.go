package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/internal/jobstatus"
	"github.com/quarry-dev/quarry/messages"
)

// jobRequest is one job of POST /v1/jobs.
type jobRequest struct {
	Type           string          `json:"type"`
	Payload        json.RawMessage `json:"payload"`
	IdempotencyKey string          `json:"idempotency_key"`
}

// publishRequest is one job or a batch.
type publishRequest struct {
	jobRequest
	Jobs []jobRequest `json:"jobs"`
}

// PublishedJob is what became of one job of a POST /v1/jobs.
type PublishedJob struct {
	JobID          string `json:"job_id,omitempty"`
	JobType        string `json:"job_type"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	MessageID      string `json:"message_id,omitempty"`
	Published      bool   `json:"published"`
	Error          string `json:"error,omitempty"`
}

// batchSize is how many jobs go in one SNS PublishBatch call (SNS's limit).
const batchSize = 10

func (s *Server) publishJobs(c *call) error {
	var req publishRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		return badRequest("body", "not a JSON object: %v", err)
	}
	reqs, prefix, err := s.jobRequests(req)
	if err != nil {
		return err
	}
	// Every job's type is checked before any is published: a batch with
	// one job the subject may not publish publishes nothing.
	for i, jr := range reqs {
		if perm := PermJobsPublish + jr.Type; jr.Type != "" && !c.perms.Has(perm) {
			return &Error{Status: http.StatusForbidden, Field: prefix(i) + "type",
				Message: fmt.Sprintf("%s may not publish %s jobs: it needs the permission %s", c.subject, jr.Type, perm)}
		}
	}
	jobs := make([]messages.Job, len(reqs))
	for i, jr := range reqs {
		var opts []messages.JobOption
		if jr.IdempotencyKey != "" {
			opts = append(opts, messages.WithIdempotencyKey(jr.IdempotencyKey))
		}
		job, err := messages.NewJob(jr.Type, jr.Payload, opts...)
		if err == nil && jr.IdempotencyKey == "" {
			job.IdempotencyKey = messages.ContentKey("", job)
			err = job.Validate()
		}
		if err != nil {
			field := prefix(i) + "payload"
			if ve, ok := errors.AsType[*messages.ValidationError](err); ok && ve.Field != "" {
				field = prefix(i) + strings.TrimPrefix(ve.Field, "job.")
			}
			return badRequest(field, "%v", err)
		}
		jobs[i] = job
	}
	out := s.publish(c, jobs)
	status := http.StatusAccepted
	ids := make([]string, 0, len(out))
	for _, o := range out {
		if !o.Published {
			status = http.StatusBadGateway
		}
		ids = append(ids, o.JobID)
	}
	c.note("job_ids", ids)
	c.note("jobs", len(out))
	return c.respond(status, map[string]any{"jobs": out})
}

// jobRequests tells one job from a batch, checks the batch's size, and
// returns the prefix of each job's fields in errors.
func (s *Server) jobRequests(req publishRequest) ([]jobRequest, func(int) string, error) {
	switch {
	case req.Jobs != nil && (req.Type != "" || req.Payload != nil || req.IdempotencyKey != ""):
		return nil, nil, badRequest("jobs", "give one job (type, payload) or a batch (jobs), not both")
	case req.Jobs == nil && req.Type == "":
		return nil, nil, badRequest("type", "a job needs a type (fetch.document, extract.tables, notify.email), or give a batch in jobs")
	case req.Jobs == nil && req.Payload == nil:
		return nil, nil, badRequest("payload", "a job needs a payload")
	case len(req.Jobs) > s.cfg.MaxBatch:
		return nil, nil, &Error{Status: http.StatusRequestEntityTooLarge, Field: "jobs",
			Message: fmt.Sprintf("a batch of %d jobs is over the limit of %d: send it in parts", len(req.Jobs), s.cfg.MaxBatch)}
	case req.Jobs != nil:
		return req.Jobs, func(i int) string { return "jobs." + strconv.Itoa(i) + "." }, nil
	}
	return []jobRequest{req.jobRequest}, func(int) string { return "" }, nil
}

// publish sends the jobs, one with Publish, more in PublishBatch calls of
// ten; a call that fails as a whole stops the rest, which are reported as
// not sent.
func (s *Server) publish(c *call, jobs []messages.Job) []PublishedJob {
	ctx := c.r.Context()
	out := make([]PublishedJob, len(jobs))
	for i, j := range jobs {
		out[i] = PublishedJob{JobID: j.ID, JobType: j.Type, IdempotencyKey: j.IdempotencyKey}
	}
	if len(jobs) == 1 {
		id, err := s.cfg.Publisher.Publish(ctx, jobs[0])
		if err != nil {
			out[0].Error = err.Error()
		} else {
			out[0].MessageID, out[0].Published = id, true
		}
		return out
	}
	var stopped error
	for start := 0; start < len(jobs); start += batchSize {
		end := min(start+batchSize, len(jobs))
		if stopped != nil {
			for i := start; i < end; i++ {
				out[i].Error = "not sent: an earlier call failed (" + stopped.Error() + ")"
			}
			continue
		}
		err := s.cfg.Publisher.PublishBatch(ctx, jobs[start:end])
		be, partial := errors.AsType[*infra.BatchError](err)
		for i := start; i < end; i++ {
			switch {
			case err == nil:
				out[i].Published = true
			case partial:
				if reason, failed := be.Failed[jobs[i].ID]; failed {
					out[i].Error = reason
				} else {
					out[i].Published = true
				}
			default:
				out[i].Error = err.Error()
			}
		}
		if err != nil && (!partial || be.Err != nil) {
			stopped = err
		}
	}
	return out
}

func (s *Server) getJob(c *call) error {
	id := c.r.PathValue("id")
	src := jobstatus.Source{SQS: s.cfg.SQS, Topology: s.cfg.Topology}
	rep, err := jobstatus.Trace(c.r.Context(), src, s.cfg.Claims, id)
	if errors.Is(err, jobstatus.ErrUnknownJob) {
		return c.respond(http.StatusNotFound, rep)
	}
	if err != nil {
		return fmt.Errorf("tracing job %s: %w", id, err)
	}
	return c.respond(http.StatusOK, rep)
}

func (s *Server) listQueues(c *call) error {
	rep, err := jobstatus.CollectQueues(c.r.Context(), jobstatus.Source{SQS: s.cfg.SQS, Topology: s.cfg.Topology}, s.cfg.Endpoint)
	if err != nil {
		return fmt.Errorf("reading the queues: %w", err)
	}
	return c.respond(http.StatusOK, rep)
}
