// Package scheduler runs the control plane's background work: it consumes
// the submissions queue (new jobs, finished jobs, dependency and array
// bookkeeping), makes the periodic per-queue pass (blocked reasons,
// jobStateTimeLimitActions, fair-share dispatch) and sweeps for lost
// doorbells, expired leases and expired jobs.
package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

// Control is what the scheduler drives.
type Control interface {
	Evaluate(ctx context.Context, jobID string) error
	QueuePass(ctx context.Context, o control.QueuePassOptions) error
	ExpireLeases(ctx context.Context, limit int) (int, error)
	Rering(ctx context.Context, o control.SweepOptions) (int, error)
	DeleteExpired(ctx context.Context) (int, error)
}

// Queue is the submissions queue.
type Queue interface {
	Receive(ctx context.Context, queue string, max int, visibility, wait time.Duration) ([]batch.Delivery, error)
	Delete(ctx context.Context, queue, receipt string) error
}

// Options tune the scheduler. Zero values take the defaults.
type Options struct {
	Workers         int           // concurrent consumers of the submissions queue (4)
	Batch           int           // messages per receive (10)
	Visibility      time.Duration // hides a message while it is handled (30s)
	QueuePassEvery  time.Duration // per-queue pass interval (1s)
	SweepEvery      time.Duration // lease and doorbell sweep interval (5s)
	RetentionEvery  time.Duration // expired-job deletion interval (10m)
	Stale           time.Duration // SUBMITTED/RUNNABLE doorbell re-ring age (30s)
	StalePending    time.Duration // PENDING re-evaluation age, doubling after (30s)
	QueueHead       int           // RUNNABLE jobs examined per queue (100)
	FairShareWindow int           // fair-share jobs offered at a time (16)
	Logger          *slog.Logger
}

func (o *Options) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Batch <= 0 {
		o.Batch = 10
	}
	set(&o.Visibility, 30*time.Second)
	set(&o.QueuePassEvery, time.Second)
	set(&o.SweepEvery, 5*time.Second)
	set(&o.RetentionEvery, 10*time.Minute)
	set(&o.Stale, 30*time.Second)
	set(&o.StalePending, 30*time.Second)
	if o.QueueHead <= 0 {
		o.QueueHead = 100
	}
	if o.FairShareWindow <= 0 {
		o.FairShareWindow = 16
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Scheduler is the background loop set.
type Scheduler struct {
	ctl   Control
	queue Queue
	opts  Options
}

// New returns a Scheduler.
func New(ctl Control, queue Queue, opts Options) *Scheduler {
	opts.defaults()
	return &Scheduler{ctl: ctl, queue: queue, opts: opts}
}

// Run consumes and sweeps until ctx is done, then waits for its goroutines.
func (s *Scheduler) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Go(func() { s.consume(ctx) })
	}
	wg.Go(func() { s.every(ctx, s.opts.QueuePassEvery, s.queuePass) })
	// Lease expiry has its own loop: a re-ring that pages through a large
	// backlog (10,000 stale children of an array) must not hold back the
	// end of an attempt whose instance was lost.
	wg.Go(func() { s.every(ctx, s.opts.SweepEvery, s.expireLeases) })
	wg.Go(func() { s.every(ctx, s.opts.SweepEvery, s.rering) })
	wg.Go(func() { s.every(ctx, s.opts.RetentionEvery, s.retention) })
	wg.Wait()
	return nil
}

// consume handles submissions-queue doorbells until ctx is done.
func (s *Scheduler) consume(ctx context.Context) {
	for ctx.Err() == nil {
		ds, err := s.queue.Receive(ctx, control.SubmissionsQueue, s.opts.Batch, s.opts.Visibility, time.Second)
		if err != nil {
			if ctx.Err() == nil {
				s.opts.Logger.Error("receiving submissions", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		// A doorbell says "look at this job": one look after several of
		// a job's doorbells were sent answers them all. A job's doorbells
		// come in bunches (each child's end rings its array parent,
		// queues deliver twice), so a batch's duplicates are evaluated
		// once and all deleted.
		evaluated := make(map[string]bool, len(ds))
		for _, d := range ds {
			if !evaluated[d.ID] {
				if err := s.ctl.Evaluate(ctx, d.ID); err != nil {
					// Leave the message: it comes back after its visibility timeout.
					if !errors.Is(err, context.Canceled) {
						s.opts.Logger.Error("evaluating job", "job", d.ID, "err", err)
					}
					continue
				}
				evaluated[d.ID] = true
			}
			if err := s.queue.Delete(ctx, control.SubmissionsQueue, d.Receipt); err != nil && ctx.Err() == nil {
				s.opts.Logger.Error("deleting submission doorbell", "job", d.ID, "err", err)
			}
		}
	}
}

// Passes runs, once, what Run does on its timers besides consuming the
// submissions queue: the queue pass and the sweep, for a deployment whose
// scheduler only consumes (the Lambda function) and whose periodic work
// runs elsewhere. Options.QueuePassEvery must be the time between two
// calls.
func (s *Scheduler) Passes(ctx context.Context) error {
	return errors.Join(s.queuePass(ctx), s.Sweep(ctx))
}

func (s *Scheduler) queuePass(ctx context.Context) error {
	return s.ctl.QueuePass(ctx, control.QueuePassOptions{
		Head: s.opts.QueueHead, FairShareWindow: s.opts.FairShareWindow,
		Every: s.opts.QueuePassEvery, ReringAfter: s.opts.Stale,
	})
}

// maxRingsPerSweep bounds the doorbells one sweep sends (100 batches of
// SQS), so that a large array whose children came due at once does not
// hold the next lease expiry back; the rest are rung by the next sweeps.
const maxRingsPerSweep = 1000

// Sweep expires leases and re-rings lost doorbells once.
func (s *Scheduler) Sweep(ctx context.Context) error {
	if err := s.expireLeases(ctx); err != nil {
		return err
	}
	return s.rering(ctx)
}

func (s *Scheduler) expireLeases(ctx context.Context) error {
	n, err := s.ctl.ExpireLeases(ctx, 500)
	if n > 0 {
		s.opts.Logger.Info("expired attempt leases", "jobs", n)
	}
	return err
}

func (s *Scheduler) rering(ctx context.Context) error {
	_, err := s.ctl.Rering(ctx, control.SweepOptions{
		Stale: s.opts.Stale, StalePending: s.opts.StalePending, Every: s.opts.SweepEvery, MaxRings: maxRingsPerSweep,
	})
	return err
}

func (s *Scheduler) retention(ctx context.Context) error {
	n, err := s.ctl.DeleteExpired(ctx)
	if n > 0 {
		s.opts.Logger.Info("deleted expired jobs", "count", n)
	}
	return err
}

// every runs fn at each tick until ctx is done.
func (s *Scheduler) every(ctx context.Context, d time.Duration, fn func(context.Context) error) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				s.opts.Logger.Error("scheduler pass", "err", err)
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
