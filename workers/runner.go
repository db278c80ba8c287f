package workers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/rs/zerolog"
)

// ErrShutdown is the cause of a job context cancelled because the worker is
// shutting down and the job did not finish within the soft-stop budget.
var ErrShutdown = errors.New("workers: shutting down")

// ErrClaimTakenOver is the cause of a job context cancelled because its claim
// lease was lost (another worker took the job over).
var ErrClaimTakenOver = errors.New("workers: the job's claim was taken over by another worker")

// Runner consumes one SQS queue: it receives as many messages as it has free
// handler slots, claims each job in Redis, runs its handler, and settles the
// message (delete, retry through visibility, or move to the DLQ).
type Runner struct {
	cfg     Config
	log     zerolog.Logger
	metrics *Metrics
	qm      queueMetrics // this queue's children of metrics
	queue   string       // queue name for labels
	vis     time.Duration
	slots   chan struct{}
	deletes *deleter
	// completions records succeeded jobs in the store, in batches, and
	// settles their deliveries.
	completions *completer

	// mu guards inflight and running.
	mu       sync.Mutex
	inflight map[string]*delivery // by receipt handle
	running  map[string]*localRun // by idempotency key: the delivery of the job being handled

	rndMu sync.Mutex
	rnd   *rand.Rand
}

// New builds a runner; Run starts it.
func New(cfg Config) (*Runner, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m := cfg.Metrics
	if m == nil {
		m = NewMetrics(nil)
	}
	name := queueName(cfg.QueueURL)
	return &Runner{
		cfg:      cfg,
		log:      cfg.Logger.With().Str("component", "runner").Str("queue", name).Str("role", cfg.Role).Logger(),
		metrics:  m,
		qm:       m.forQueue(name, cfg.Handlers),
		queue:    name,
		slots:    make(chan struct{}, cfg.Concurrency),
		inflight: map[string]*delivery{},
		running:  map[string]*localRun{},
		rnd:      rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}, nil
}

func queueName(url string) string {
	for i := len(url) - 1; i >= 0; i-- {
		if url[i] == '/' {
			return url[i+1:]
		}
	}
	return url
}

// Run consumes the queue until ctx is cancelled, then shuts down in order:
// stop receiving at once; let in-flight jobs finish within SoftStopTimeout;
// cancel the rest with ErrShutdown and give their messages and claims back;
// flush pending deletes. It returns nil after a requested stop.
func (r *Runner) Run(ctx context.Context) error {
	if err := r.prepare(ctx); err != nil {
		return err
	}
	// Cleanup outlives ctx: the work context is cancelled only when the
	// soft-stop budget runs out.
	bg := context.WithoutCancel(ctx)
	workCtx, cancelWork := context.WithCancelCause(bg)
	defer cancelWork(nil)

	r.deletes = newDeleter(r.cfg.SQS, r.cfg.QueueURL, r.log)
	delDone := make(chan struct{})
	go func() { defer close(delDone); r.deletes.run(bg) }()

	r.completions = newCompleter(r.cfg.Claims, r.cfg.ResultRetention, r.cfg.Concurrency, r.completed)
	compDone := make(chan struct{})
	go func() { defer close(compDone); r.completions.run(bg) }()

	hb := newHeartbeat(r)
	go hb.run(bg)

	r.log.Info().Int("concurrency", r.cfg.Concurrency).Int("receivers", r.cfg.Receivers).Dur("visibility_timeout", r.vis).Msg("runner started")
	// Config.Receivers loops receive. Each received batch is admitted
	// (decoded and claimed in one store call) by a goroutine of its own, so
	// receiving goes on meanwhile; the jobs it acquires go to one goroutine
	// per handler slot. A delivery is only received once a slot is free, so
	// the channel's buffer (one per slot) never fills and a handover never
	// waits. Closing it after the receive loops and the last admission lets
	// the job goroutines finish what they hold and return.
	work := make(chan *delivery, r.cfg.Concurrency)
	cleanup := context.WithoutCancel(workCtx)
	var jobs sync.WaitGroup
	for range r.cfg.Concurrency {
		jobs.Go(func() {
			for d := range work {
				var pending bool
				if d.acquired == nil {
					pending = r.runAfterLocal(workCtx, cleanup, d)
				} else {
					pending = r.runJob(workCtx, cleanup, d)
				}
				// A job that succeeded frees its slot at once; the
				// completer settles its delivery once the completion
				// is recorded.
				if !pending {
					r.settle(d)
				}
				<-r.slots
			}
		})
	}
	var admits, receivers sync.WaitGroup
	for range r.cfg.Receivers {
		receivers.Go(func() {
			r.receiveLoop(ctx, func(ds []*delivery) {
				admits.Go(func() { r.admit(cleanup, ds, work) })
			})
		})
	}
	receivers.Wait()
	admits.Wait()
	close(work)

	r.log.Info().Dur("soft_stop_timeout", r.cfg.SoftStopTimeout).Msg("runner stopping: waiting for in-flight jobs")
	if !waitTimeout(&jobs, r.cfg.SoftStopTimeout) {
		r.log.Warn().Int("in_flight", r.inflightCount()).Msg("soft-stop budget spent: cancelling in-flight jobs and giving them back")
		cancelWork(ErrShutdown)
		jobs.Wait()
	}
	hb.close()
	r.completions.close()
	<-compDone
	r.deletes.close()
	<-delDone
	r.log.Info().Msg("runner stopped")
	return nil
}

// prepare reads the queue's visibility timeout and DLQ.
func (r *Runner) prepare(ctx context.Context) error {
	out, err := r.cfg.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(r.cfg.QueueURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameVisibilityTimeout, types.QueueAttributeNameRedrivePolicy},
	})
	if err != nil {
		return fmt.Errorf("reading attributes of queue %s: %w", r.queue, err)
	}
	r.vis = r.cfg.VisibilityTimeout
	if r.vis == 0 {
		secs, err := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameVisibilityTimeout)])
		if err != nil {
			return fmt.Errorf("queue %s: VisibilityTimeout %q is not a number", r.queue, out.Attributes["VisibilityTimeout"])
		}
		r.vis = time.Duration(secs) * time.Second
	}
	if r.vis < 2*time.Second {
		return fmt.Errorf("queue %s: visibility timeout %v is too short for a heartbeat (at least 2s)", r.queue, r.vis)
	}
	if r.cfg.DLQURL == "" {
		r.cfg.DLQURL, err = dlqFromRedrivePolicy(ctx, r.cfg.SQS, out.Attributes[string(types.QueueAttributeNameRedrivePolicy)])
		if err != nil {
			return fmt.Errorf("queue %s: %w", r.queue, err)
		}
	}
	return nil
}

func (r *Runner) jitter() float64 {
	if r.cfg.Backoff.Jitter != nil {
		return r.cfg.Backoff.Jitter()
	}
	r.rndMu.Lock()
	defer r.rndMu.Unlock()
	return r.rnd.Float64()
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// InFlight is how many messages the runner holds: received and not yet
// settled. Task scale-in protection follows it.
func (r *Runner) InFlight() int { return r.inflightCount() }

func (r *Runner) inflightCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.inflight)
}
