// Package control is Tanda's control plane: the AWS Batch operations behind
// the API, and the job lifecycle transitions the scheduler, agents and
// sweeper make. It is written once against Store and runs unchanged on the
// embedded backends and on AWS.
package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/tanda-batch/tanda/batch"
)

// Queue names. The submissions queue carries "look at this job" doorbells
// to the scheduler; each job queue has a ready queue of RUNNABLE jobs.
const SubmissionsQueue = "submissions"

// ReadyQueue names the ready queue of a job queue.
func ReadyQueue(jobQueue string) string { return "ready-" + jobQueue }

// DefaultRetention is how long finished jobs are kept unless
// Options.Retention says otherwise: AWS Batch's 7 days.
const DefaultRetention = 7 * 24 * time.Hour

// InstanceTypes knows the instance types compute environments may use.
type InstanceTypes interface {
	// Check rejects unknown types, a mix of architectures, and types EC2
	// does not offer as the compute resources' type (EC2 or SPOT).
	Check(types []string, crType string) error
	// Fits reports whether some type among types, offered as crType, can
	// hold one job.
	Fits(types []string, crType string, vcpus float64, memoryMiB, gpus int64) bool
}

// Options configure a Service.
type Options struct {
	Partition batch.Partition
	Clock     batch.Clock
	// Retention is how long finished jobs are kept; zero or less is
	// DefaultRetention. AWS Batch keeps them at least 7 days; a shorter
	// retention (`tanda up --retention`) saves disk on one machine.
	Retention time.Duration
	// LeaseDuration is how long an agent's lease lasts without a heartbeat.
	LeaseDuration time.Duration
	// InstanceTypes validates instance type names; nil accepts any.
	InstanceTypes InstanceTypes
	// NewID makes job ids; nil makes UUIDv4s.
	NewID func() string
	// Events, when set, is told of every job status change after
	// submission, once the change is durable (EventBridge on AWS).
	Events Events
	// Queues rings doorbells that go with no write (waking dependents,
	// re-ringing) and lets DeleteJobQueue remove a ready queue.
	Queues Queues
	// ReadyViaScheduler sends the doorbell of a job this service makes
	// RUNNABLE (a retry, a dependent woken) to the scheduler, which rings
	// the ready queue: for agents on EC2, whose role may receive from the
	// ready queues but not send to them.
	ReadyViaScheduler bool
	// Metrics, when set, is told of new jobs and status changes.
	Metrics Metrics
	Logger  *slog.Logger
}

// Events publishes job status changes, as AWS Batch's `Batch Job State
// Change` events.
type Events interface {
	Publish(ctx context.Context, changes []batch.Job) error
}

// publish tells Events of jobs whose status changed. It is best effort: a
// change is durable already, and a lost event is logged, not retried.
func (s *Service) publish(ctx context.Context, jobs ...batch.Job) {
	if s.opts.Events == nil || len(jobs) == 0 {
		return
	}
	if err := s.opts.Events.Publish(ctx, jobs); err != nil {
		s.opts.Logger.Warn("publishing job state changes", "jobs", len(jobs), "err", err)
	}
}

// Service implements the AWS Batch operations and the job lifecycle.
type Service struct {
	store Store
	opts  Options
	gaps  passGaps
	// carried are the sweep's due doorbells beyond its MaxRings.
	carried carriedRings
}

// New returns a Service over store.
func New(store Store, opts Options) *Service {
	if opts.Clock == nil {
		opts.Clock = batch.SystemClock{}
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.LeaseDuration <= 0 {
		opts.LeaseDuration = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.NewID == nil {
		opts.NewID = func() string { return uuid.NewString() }
	}
	return &Service{store: store, opts: opts}
}

// Partition is the region and account ARNs are made in.
func (s *Service) Partition() batch.Partition { return s.opts.Partition }

func (s *Service) now() time.Time { return s.opts.Clock.Now() }

func (s *Service) nowMillis() int64 { return batch.Millis(s.now()) }

// maxConflictRetries bounds read-modify-write loops that lose races.
const maxConflictRetries = 20

// wake wakes the dependents and the array parent of a job that has just
// finished; when that fails, the sweeper's re-evaluation of PENDING jobs
// will.
func (s *Service) wake(ctx context.Context, j batch.Job) {
	if err := s.wakeDependents(ctx, j); err != nil {
		s.opts.Logger.Warn("waking the dependents of a finished job; the sweeper will", "job", j.JobID, "err", err)
	}
}

// wakeIfFinished reads a job after a write that failed without an answer
// and, if the job has finished, wakes what waits on it. Waking twice is
// harmless; not waking leaves dependents to the sweeper.
func (s *Service) wakeIfFinished(ctx context.Context, id string) {
	j, err := s.store.GetJob(ctx, id)
	if err != nil {
		s.opts.Logger.Warn("reading a job after a failed write; the sweeper will wake its dependents if it finished", "job", id, "err", err)
		return
	}
	if j.Status.Terminal() {
		s.wake(ctx, j)
	}
}

// errNoChange tells mutateJob that the job needs no write.
var errNoChange = errors.New("no change")

// mutateJob reads a job, lets fn change it, and writes it conditionally,
// re-reading and retrying when another writer won. fn returns the messages
// to send with the write, or errNoChange to stop without writing.
//
// A write that ends the job wakes what waits on it (its dependents and its
// array parent) once it is durable. If this process dies in between, the
// sweeper's re-evaluation of PENDING jobs covers the lost wake-up.
func (s *Service) mutateJob(ctx context.Context, id string, fn func(j *batch.Job) ([]batch.Message, error)) (batch.Job, error) {
	job, err := s.store.GetJob(ctx, id)
	if err != nil {
		return batch.Job{}, err
	}
	return s.mutate(ctx, job, fn)
}

// mutate is mutateJob starting from a job the caller has just read (or
// written): while its version is current, no read is needed.
func (s *Service) mutate(ctx context.Context, job batch.Job, fn func(j *batch.Job) ([]batch.Message, error)) (batch.Job, error) {
	return s.mutateDeleting(ctx, job, fn, nil)
}

// mutateDeleting is mutate that, with the write, deletes the doorbell
// that led to it (if done is not nil).
func (s *Service) mutateDeleting(ctx context.Context, job batch.Job, fn func(j *batch.Job) ([]batch.Message, error), done *batch.Delivery) (batch.Job, error) {
	id := job.JobID
	for range maxConflictRetries {
		wasTerminal, was := job.Status.Terminal(), job.Status
		msgs, err := fn(&job)
		if errors.Is(err, errNoChange) {
			return job, nil
		}
		if err != nil {
			return job, err
		}
		job.Internal.UpdatedAt = s.nowMillis()
		if job.Status.Terminal() && job.Internal.ExpiresAt == 0 {
			job.Internal.ExpiresAt = job.Internal.UpdatedAt + s.opts.Retention.Milliseconds()
		}
		var written batch.Job
		if done != nil {
			written, err = s.store.UpdateJobDeleting(ctx, job, msgs, *done)
		} else {
			written, err = s.store.UpdateJob(ctx, job, msgs)
		}
		conflict := errors.Is(err, batch.ErrConflict)
		if err != nil && !conflict && written.JobID != "" {
			// The write is durable and only its messages were not sent:
			// the job has moved on, and the sweeper and the queue pass
			// ring its doorbells again.
			s.opts.Logger.Warn("sending the messages of a job's write; the sweeper will ring them", "job", id, "err", err)
			err = nil
		}
		if err == nil {
			if !wasTerminal && written.Status.Terminal() {
				s.wake(ctx, written)
			}
			if written.Status != was {
				s.publish(ctx, written)
				s.jobChanged(was, written)
			}
			return written, nil
		}
		if !conflict {
			if !wasTerminal && job.Status.Terminal() {
				// The write may have been applied with its answer lost:
				// nobody would wake the dependents then, as every later
				// write finds the job finished already.
				s.wakeIfFinished(ctx, id)
			}
			return job, fmt.Errorf("writing job %s: %w", id, err)
		}
		if written.JobID == "" {
			if written, err = s.store.GetJob(ctx, id); err != nil {
				return job, err
			}
		}
		job = written
	}
	return job, fmt.Errorf("writing job %s: %w after %d tries", id, batch.ErrConflict, maxConflictRetries)
}

// schedulerDoorbell asks the scheduler to look at a job.
func schedulerDoorbell(id string) batch.Message {
	return batch.Message{Queue: SubmissionsQueue, ID: id}
}

// readyDoorbell tells agents a job is RUNNABLE. Jobs of fair-share queues
// get theirs from the fair-share dispatcher instead, in share order. A
// service with Options.ReadyViaScheduler asks the scheduler to ring it.
func (s *Service) readyDoorbell(j *batch.Job) []batch.Message {
	switch {
	case j.Internal.FairShare:
		return nil
	case s.opts.ReadyViaScheduler:
		return []batch.Message{schedulerDoorbell(j.JobID)}
	}
	return []batch.Message{{Queue: ReadyQueue(j.Internal.QueueName), ID: j.JobID}}
}
