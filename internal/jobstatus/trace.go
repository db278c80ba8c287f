package jobstatus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quarry-dev/quarry/idempotency"
	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/messages"
	"github.com/quarry-dev/quarry/pipeline/extract"
	"github.com/quarry-dev/quarry/pipeline/fetch"
	"github.com/quarry-dev/quarry/pipeline/notify"
)

// States of a stage in a [Report].
const (
	// StateDone: completed; the stage's result says what it left.
	StateDone = "done"
	// StateInProgress: a worker's lease holds the job now.
	StateInProgress = "in_progress"
	// StateLeaseExpired: claimed, but its lease ended without completion
	// or release (the worker died or stalled); the next delivery takes it
	// over.
	StateLeaseExpired = "lease_expired"
	// StateReleased: a run failed with a retryable error and freed the
	// claim; the message comes back after its backoff.
	StateReleased = "released"
	// StateDeadLettered: the job's message is in a DLQ.
	StateDeadLettered = "dead_lettered"
	// StateQueued: the parent published it; no worker has claimed it yet.
	StateQueued = "queued"
	// StateNotStarted: nothing of it yet; its parent has not finished.
	StateNotStarted = "not_started"
	// StateNotRequested: its parent finished (or its payload says so)
	// without asking for it.
	StateNotRequested = "not_requested"
)

// The stages of the pipeline, in order, with the job type each runs.
var pipelineStages = []struct{ role, jobType string }{
	{infra.RoleFetch, messages.TypeFetchDocument},
	{infra.RoleExtract, messages.TypeExtractTables},
	{infra.RoleNotify, messages.TypeNotifyEmail},
}

func stageIndex(jobType string) int {
	return slices.IndexFunc(pipelineStages, func(s struct{ role, jobType string }) bool { return s.jobType == jobType })
}

// Report is what `quarry status JOB_ID` shows: where a job and the jobs
// of its pipeline are. `quarry dev` prints it for the jobs of a run.
type Report struct {
	JobID string `json:"job_id"`
	// Found is false when nothing is known of the job: no claim record, no
	// dead letter, no child.
	Found bool `json:"found"`
	// Stages run from the earliest job the trace could reach (the root
	// fetch.document when the job is a child whose parent is known) to the
	// last stage; the job asked about has Asked set.
	Stages []Stage `json:"stages"`
	// Notes say what the trace could not see.
	Notes []string `json:"notes,omitempty"`
}

// Stage is one job of the pipeline.
type Stage struct {
	// Stage is the role that runs it (fetch, extract, notify); empty when
	// the job's type cannot be told yet (in progress with no child and no
	// dead letter: the claim record does not carry the type).
	Stage   string `json:"stage"`
	JobType string `json:"job_type,omitempty"`
	JobID   string `json:"job_id"`
	Asked   bool   `json:"asked,omitempty"`
	State   string `json:"state"`
	// Attempts is how many times a worker acquired the job (the claim's
	// fencing number); the lease of the latest one is identified by it.
	Attempts    int64     `json:"attempts,omitempty"`
	ClaimedAt   time.Time `json:"claimed_at,omitzero"`
	LeaseUntil  time.Time `json:"lease_until,omitzero"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
	ReleasedAt  time.Time `json:"released_at,omitzero"`
	// DeadLetter is the job's message in a DLQ, with the reason.
	DeadLetter *DeadLetter `json:"dead_letter,omitempty"`
	// What the stage left, from its stored result.
	Fetch   *fetch.HandlerResult   `json:"fetch,omitempty"`
	Extract *extract.HandlerResult `json:"extract,omitempty"`
	Notify  *notify.Result         `json:"notify,omitempty"`
	// Mails are the sends of a notify job that has not completed, when its
	// recipients are known (from a dead letter's payload).
	Mails []Mail `json:"mails,omitempty"`
	// Result is a stored result of no known stage's shape.
	Result json.RawMessage `json:"result,omitempty"`
}

// DeadLetter is a job's message in a DLQ.
type DeadLetter struct {
	Queue        string    `json:"queue"`
	MessageID    string    `json:"message_id"`
	Reason       string    `json:"reason"`
	Stage        string    `json:"stage,omitempty"`
	ReceiveCount int       `json:"receive_count"`
	FirstSeen    time.Time `json:"first_seen,omitzero"`
}

// Mail is one recipient's send effect.
type Mail struct {
	Address string `json:"address"`
	// State is sent, suppressed, sending (claimed, not settled), unknown
	// (may have gone out; `quarry effects unknown`) or not_sent.
	State     string `json:"state"`
	MessageID string `json:"message_id,omitempty"`
	Detail    string `json:"detail,omitempty"`
}

// ErrUnknownJob is what Trace's caller gets for a job nothing is known of.
var ErrUnknownJob = errors.New("unknown job")

// maxPeekPerDLQ bounds how many messages of one DLQ a trace reads.
const maxPeekPerDLQ = 1000

// jobTracer follows jobs through the claim records and the DLQs.
type jobTracer struct {
	src   Source
	store *idempotency.Store

	letters     map[string]letter // by job id; read once, when first needed
	lettersRead bool
	notes       []string
}

type letter struct {
	queue string
	dl    infra.DeadLetter
}

// sighting is what is known of one job id.
type sighting struct {
	id      string
	rec     *idempotency.Record
	letter  *letter
	jobType string
	parent  string
	// result, decoded by jobType.
	fetch   *fetch.HandlerResult
	extract *extract.HandlerResult
	notify  *notify.Result
}

func (s sighting) known() bool { return s.rec != nil || s.letter != nil }
func (s sighting) done() bool  { return s.rec != nil && s.rec.State == idempotency.StateCompleted }

// payload is the job's payload, when a dead letter carries the job.
func (s sighting) job() *messages.Job {
	if s.letter == nil {
		return nil
	}
	return s.letter.dl.Job
}

// Trace reports where job id is: its claim record, its dead letter, and
// those of the jobs before and after it in the pipeline. Child ids are
// derived from parent ids (messages.ChildID), so the stages after a job
// are found from its id alone; the stages before it are found when a dead
// letter names its parent or an extract result's keys name the fetched
// document's job. It returns ErrUnknownJob (wrapped) with a report whose
// Found is false when nothing is known of the job. DLQs are read as
// `quarry dlq peek` reads them: each message is held for a moment and
// given back, counting as a receive.
func Trace(ctx context.Context, src Source, claims *idempotency.Store, id string) (Report, error) {
	rep := Report{JobID: id, Stages: []Stage{}}
	if !messages.ValidID(id) {
		return rep, fmt.Errorf("%q is not a job id (a ULID such as 01JQ3Z6W8KXH2M4N5P6R7S8T9V)", id)
	}
	t := &jobTracer{src: src, store: claims}
	asked, err := t.look(ctx, id)
	if err != nil {
		return rep, err
	}
	if !asked.known() && asked.jobType == "" {
		rep.Notes = t.notes
		return rep, fmt.Errorf("job %s: %w: no claim record, no dead letter and no child (a job still waiting in its queue shows once a worker claims it)", id, ErrUnknownJob)
	}
	rep.Found = true
	root, err := t.climb(ctx, asked)
	if err != nil {
		return rep, err
	}
	if root.jobType == "" {
		rep.Stages = append(rep.Stages, t.stage(asked, true, StateNotStarted))
		rep.Notes = append(t.notes, "the job's stage shows once it completes, publishes a child or is dead-lettered: its claim record does not carry its type")
		return rep, nil
	}
	if rep.Stages, err = t.walk(ctx, root, id); err != nil {
		return rep, err
	}
	rep.Notes = t.notes
	return rep, nil
}

// climb goes from a job to the earliest job reachable: at most two parents.
func (t *jobTracer) climb(ctx context.Context, asked sighting) (sighting, error) {
	root := asked
	for range 2 {
		if root.parent == "" || stageIndex(root.jobType) < 1 {
			break
		}
		p, err := t.look(ctx, root.parent)
		if err != nil {
			return root, err
		}
		if p.jobType == "" || stageIndex(p.jobType) != stageIndex(root.jobType)-1 {
			p.jobType = pipelineStages[stageIndex(root.jobType)-1].jobType
			p.decode()
		}
		root = p
	}
	return root, nil
}

// walk reports root's stage and every stage after it, following each job
// to its child; asked is the id the trace was asked for.
func (t *jobTracer) walk(ctx context.Context, root sighting, asked string) ([]Stage, error) {
	var stages []Stage
	notRequested := func(from int) {
		for _, s := range pipelineStages[from:] {
			stages = append(stages, Stage{Stage: s.role, JobType: s.jobType, State: StateNotRequested})
		}
	}
	cur := root
	var ancestors []sighting
	for i := stageIndex(root.jobType); i < len(pipelineStages); i++ {
		absent := StateNotStarted
		if len(ancestors) > 0 {
			absent = t.absentState(ancestors, pipelineStages[i].jobType)
		}
		st := t.stage(cur, cur.id == asked, absent)
		if cur.jobType == messages.TypeNotifyEmail && !cur.done() {
			st.Mails = t.mails(ctx, cur, append(ancestors, cur))
		}
		stages = append(stages, st)
		if i+1 == len(pipelineStages) || st.State == StateNotRequested {
			notRequested(i + 1)
			break
		}
		next := pipelineStages[i+1].jobType
		childID := cur.childID()
		if childID == "" {
			if cur.done() {
				// Completed without publishing the next stage.
				notRequested(i + 1)
				break
			}
			var err error
			if childID, err = messages.ChildID(cur.id, next); err != nil {
				return stages, fmt.Errorf("deriving the %s child of job %s: %w", next, cur.id, err)
			}
		}
		child, err := t.look(ctx, childID)
		if err != nil {
			return stages, err
		}
		child.jobType = next
		child.decode()
		ancestors = append(ancestors, cur)
		cur = child
	}
	return stages, nil
}

// look gathers what is known of one job id: its claim record, its dead
// letter (read only when the record does not say the job is done), its
// type and its parent.
func (t *jobTracer) look(ctx context.Context, id string) (sighting, error) {
	s := sighting{id: id}
	if err := t.lookupRecord(ctx, &s, id); err != nil {
		return s, err
	}
	if !s.done() {
		letters, err := t.deadLetters(ctx)
		if err != nil {
			return s, err
		}
		if l, ok := letters[id]; ok {
			s.letter = &l
			s.jobType = l.dl.Job.Type
			s.parent = l.dl.Job.ParentID
			// A producer may have set an idempotency key of its own.
			if key := l.dl.Job.IdempotencyKey; key != "" && key != id {
				if err := t.lookupRecord(ctx, &s, key); err != nil {
					return s, err
				}
			}
		}
	}
	if s.jobType == "" && s.done() {
		s.jobType = resultType(s.rec.Result)
	}
	if s.jobType == "" {
		// In progress, released or unknown: a child tells its type.
		for _, probe := range []string{messages.TypeExtractTables, messages.TypeNotifyEmail} {
			childID, err := messages.ChildID(id, probe)
			if err != nil {
				return s, fmt.Errorf("deriving the %s child of job %s: %w", probe, id, err)
			}
			c := sighting{id: childID}
			if err := t.lookupRecord(ctx, &c, childID); err != nil {
				return s, err
			}
			if _, ok := t.letters[childID]; c.rec != nil || ok {
				s.jobType = pipelineStages[stageIndex(probe)-1].jobType
				break
			}
		}
	}
	s.decode()
	if s.parent == "" && s.extract != nil {
		s.parent = fetchParentFromKeys(id, s.extract.Keys)
	}
	return s, nil
}

func (t *jobTracer) lookupRecord(ctx context.Context, s *sighting, key string) error {
	rec, err := t.store.Lookup(ctx, key)
	switch {
	case errors.Is(err, idempotency.ErrNoRecord):
		return nil
	case err != nil:
		return err
	}
	s.rec = &rec
	return nil
}

// decode reads the stored result by the job's type.
func (s *sighting) decode() {
	if !s.done() || len(s.rec.Result) == 0 {
		return
	}
	var err error
	switch s.jobType {
	case messages.TypeFetchDocument:
		s.fetch = new(fetch.HandlerResult)
		err = json.Unmarshal(s.rec.Result, s.fetch)
	case messages.TypeExtractTables:
		s.extract = new(extract.HandlerResult)
		err = json.Unmarshal(s.rec.Result, s.extract)
	case messages.TypeNotifyEmail:
		s.notify = new(notify.Result)
		err = json.Unmarshal(s.rec.Result, s.notify)
	}
	if err != nil {
		s.fetch, s.extract, s.notify = nil, nil, nil
	}
}

// childID is the id of the next stage's job as the completed result names
// it; "" when the job is not done or published none.
func (s sighting) childID() string {
	switch {
	case s.fetch != nil:
		return s.fetch.ExtractJobID
	case s.extract != nil:
		return s.extract.NotifyJobID
	}
	return ""
}

// resultType tells a stage by the shape of its stored result.
func resultType(result []byte) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(result, &fields) != nil {
		return ""
	}
	has := func(names ...string) bool {
		for _, n := range names {
			if _, ok := fields[n]; !ok {
				return false
			}
		}
		return true
	}
	switch {
	case has("pdf_key", "sha256", "final_url"):
		return messages.TypeFetchDocument
	case has("tables", "pages", "keys"):
		return messages.TypeExtractTables
	case has("template", "recipients"):
		return messages.TypeNotifyEmail
	}
	return ""
}

// fetchParentFromKeys finds the fetch job of an extract job from its
// output keys: a fetched document lives at jobs/<fetch id>/doc.pdf and its
// tables beside it. The candidate counts only if its extract child's id is
// this job's.
func fetchParentFromKeys(extractID string, keys []string) string {
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, "jobs/")
		if !ok {
			continue
		}
		parent, _, _ := strings.Cut(rest, "/")
		if id, err := messages.ChildID(parent, messages.TypeExtractTables); err == nil && id == extractID {
			return parent
		}
	}
	return ""
}

// absentState is the state of a job with no record and no dead letter,
// judged by its ancestors: queued when its parent completed and published
// it, not requested when a payload shows it was not asked for, not started
// otherwise.
func (t *jobTracer) absentState(ancestors []sighting, jobType string) string {
	parent := ancestors[len(ancestors)-1]
	if parent.done() && parent.childID() != "" {
		return StateQueued
	}
	for _, a := range ancestors {
		j := a.job()
		if j == nil {
			continue
		}
		switch j.Type {
		case messages.TypeFetchDocument:
			var p messages.FetchDocument
			if j.DecodePayload(&p) == nil && ((jobType == messages.TypeExtractTables && p.Extract == nil) || (jobType == messages.TypeNotifyEmail && p.Notify == nil)) {
				return StateNotRequested
			}
		case messages.TypeExtractTables:
			var p messages.ExtractTables
			if j.DecodePayload(&p) == nil && jobType == messages.TypeNotifyEmail && p.Notify == nil {
				return StateNotRequested
			}
		}
	}
	return StateNotStarted
}

// stage builds the report of one job; absent is its state when nothing is
// known of it.
func (t *jobTracer) stage(s sighting, asked bool, absent string) Stage {
	st := Stage{JobType: s.jobType, JobID: s.id, Asked: asked, State: absent}
	if i := stageIndex(s.jobType); i >= 0 {
		st.Stage = pipelineStages[i].role
	}
	if r := s.rec; r != nil {
		st.Attempts, st.ClaimedAt, st.CompletedAt, st.ReleasedAt = r.Fence, r.ClaimedAt, r.CompletedAt, r.ReleasedAt
		switch {
		case r.State == idempotency.StateCompleted:
			st.State = StateDone
		case r.LeaseLive():
			st.State, st.LeaseUntil = StateInProgress, r.LeaseUntil
		case r.State == idempotency.StateInProgress:
			st.State, st.LeaseUntil = StateLeaseExpired, r.LeaseUntil
		default:
			st.State = StateReleased
		}
	}
	if l := s.letter; l != nil {
		st.DeadLetter = &DeadLetter{
			Queue: l.queue, MessageID: l.dl.MessageID, Reason: l.dl.Reason, Stage: l.dl.Stage,
			ReceiveCount: l.dl.ReceiveCount, FirstSeen: l.dl.FirstSeen,
		}
		if st.State != StateDone && st.State != StateInProgress {
			st.State = StateDeadLettered
		}
	}
	st.Fetch, st.Extract, st.Notify = s.fetch, s.extract, s.notify
	if s.done() && s.fetch == nil && s.extract == nil && s.notify == nil && len(s.rec.Result) > 0 {
		st.Result = json.RawMessage(s.rec.Result)
		if !json.Valid(st.Result) {
			st.Result, _ = json.Marshal(string(s.rec.Result))
		}
	}
	return st
}

// mails reads the send effects of a notify job that has not completed,
// when a dead letter of it or of an ancestor names its recipients.
func (t *jobTracer) mails(ctx context.Context, n sighting, chain []sighting) []Mail {
	var recipients []string
	key := n.id
	if n.rec != nil {
		key = n.rec.Key
	}
	for _, s := range slices.Backward(chain) {
		j := s.job()
		if j == nil {
			continue
		}
		switch j.Type {
		case messages.TypeNotifyEmail:
			var p messages.NotifyEmail
			if j.DecodePayload(&p) == nil {
				recipients = p.Recipients
			}
		case messages.TypeExtractTables:
			var p messages.ExtractTables
			if j.DecodePayload(&p) == nil && p.Notify != nil {
				recipients = p.Notify.Recipients
			}
		case messages.TypeFetchDocument:
			var p messages.FetchDocument
			if j.DecodePayload(&p) == nil && p.Notify != nil {
				recipients = p.Notify.Recipients
			}
		}
		if recipients != nil {
			break
		}
	}
	var out []Mail
	for _, r := range recipients {
		addr, err := messages.NormalizeAddress(r)
		if err != nil {
			out = append(out, Mail{Address: r, State: "not_sent", Detail: "not a valid address"})
			continue
		}
		m := Mail{Address: addr}
		e, err := t.store.LookupEffect(ctx, key, "email:"+addr)
		switch {
		case errors.Is(err, idempotency.ErrNoRecord):
			m.State = "not_sent"
		case err != nil:
			m.State, m.Detail = "unknown", "reading the send effect: "+err.Error()
		case e.State == "completed" && strings.HasPrefix(e.Result, "suppressed: "):
			m.State, m.Detail = "suppressed", strings.TrimPrefix(e.Result, "suppressed: ")
		case e.State == "completed":
			m.State, m.MessageID = "sent", e.Result
		case e.State == "unknown":
			m.State, m.Detail = "unknown", e.Reason
		case e.State == "claimed":
			m.State, m.Detail = "not_sent", "claimed, not attempted yet"
		default:
			m.State = "sending"
		}
		out = append(out, m)
	}
	return out
}

// deadLetters reads the job DLQs once, leaving every message in place,
// and indexes their jobs by id.
func (t *jobTracer) deadLetters(ctx context.Context) (map[string]letter, error) {
	if t.lettersRead {
		return t.letters, nil
	}
	t.lettersRead = true
	t.letters = map[string]letter{}
	for _, q := range t.src.Topology.Queues {
		if len(q.JobTypes) == 0 {
			continue
		}
		url, err := t.src.Topology.QueueURL(ctx, t.src.SQS, q.DLQName())
		if err != nil {
			return nil, err
		}
		attrs, err := t.src.queueAttrs(ctx, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
		if err != nil {
			return nil, err
		}
		var visible, hidden int
		_, _ = fmt.Sscan(attrs["ApproximateNumberOfMessages"], &visible)
		_, _ = fmt.Sscan(attrs["ApproximateNumberOfMessagesNotVisible"], &hidden)
		if hidden > 0 {
			t.notes = append(t.notes, fmt.Sprintf("%d messages of %s were being read by someone else and were not searched", hidden, q.DLQName()))
		}
		if visible == 0 {
			continue
		}
		if visible > maxPeekPerDLQ {
			t.notes = append(t.notes, fmt.Sprintf("%s holds %d messages; only %d were searched", q.DLQName(), visible, maxPeekPerDLQ))
		}
		got, err := infra.PeekDLQ(ctx, t.src.SQS, url, min(visible, maxPeekPerDLQ))
		if err != nil {
			return nil, fmt.Errorf("searching %s: %w", q.DLQName(), err)
		}
		for _, dl := range got {
			if dl.Job == nil {
				continue
			}
			if _, seen := t.letters[dl.Job.ID]; !seen {
				t.letters[dl.Job.ID] = letter{queue: q.DLQName(), dl: dl}
			}
		}
	}
	return t.letters, nil
}
