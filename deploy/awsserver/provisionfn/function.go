package provisionfn

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/tanda-batch/tanda/batch"
)

// Defaults of Options.
const (
	DefaultEvery  = 2 * time.Second
	DefaultMargin = 10 * time.Second
)

// Reconciler runs one provisioner pass (*provisioner.Provisioner).
type Reconciler interface {
	Reconcile(ctx context.Context) error
}

// Instances changes what the control plane knows of an instance
// (*control.Service).
type Instances interface {
	DrainInstance(ctx context.Context, ce, id string) error
	ForgetInstance(ctx context.Context, ce, id string) error
}

// Deps are what the function works with.
type Deps struct {
	Store       LeaseStore
	Provisioner Reconciler
	Instances   Instances
	// Notices is the interruption queue; nil: there is none to drain.
	Notices Notices
	// Locator finds the compute environments of the instances notices
	// name; required with Notices.
	Locator Locator
	// Idle, when set, reports after a pass that nothing is provisioned
	// (no managed EC2 or Spot compute environment): the invocation ends
	// then rather than loop, so an idle stack costs one pass a minute.
	Idle func(ctx context.Context) (bool, error)
	// Capacity, when set, records the passes (*capacity.Recorder): it is
	// flushed after each pass and closed before the lease is released,
	// so that the next invocation finds the minute it takes over in
	// written.
	Capacity Recorder
}

// Recorder writes what the passes saw: the minutes that have ended
// (Flush), or all of them (Close).
type Recorder interface {
	Flush(ctx context.Context) error
	Close(ctx context.Context) error
}

// Options tune the function; zero values take the defaults.
type Options struct {
	// Every is the interval between passes (DefaultEvery).
	Every time.Duration
	// Margin is how long before the invocation's deadline the last pass
	// must have ended (DefaultMargin): a pass takes a few seconds at most.
	Margin time.Duration
	// Holder names this function instance in the lease (default random).
	Holder string
	Clock  batch.Clock // default batch.SystemClock
	// Sleep waits for d or until ctx is done (default: a timer).
	Sleep  func(ctx context.Context, d time.Duration)
	Logger *slog.Logger // default slog.Default()
}

func (o *Options) defaults() {
	if o.Every <= 0 {
		o.Every = DefaultEvery
	}
	if o.Margin <= 0 {
		o.Margin = DefaultMargin
	}
	if o.Holder == "" {
		b := make([]byte, 8)
		rand.Read(b)
		o.Holder = hex.EncodeToString(b)
	}
	if o.Clock == nil {
		o.Clock = batch.SystemClock{}
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Function is the provisioner's Lambda handler.
type Function struct {
	deps Deps
	opts Options
}

// New makes the function.
func New(deps Deps, o Options) (*Function, error) {
	if deps.Store == nil || deps.Provisioner == nil || deps.Instances == nil {
		return nil, errors.New("provisioner function: a lease store, a provisioner and the instances are required")
	}
	if deps.Notices != nil && deps.Locator == nil {
		return nil, errors.New("provisioner function: draining notices needs a locator")
	}
	o.defaults()
	return &Function{deps: deps, opts: o}, nil
}

// Handle runs one invocation: it takes the lease (waiting for an older
// invocation's to end when that leaves time for a pass), then drains the
// notices and runs a pass every Options.Every, as long as the next one
// starts more than Options.Margin before ctx's deadline, and releases the
// lease. Without a deadline it runs one pass. A failed pass is logged and
// the next one tries again; only a lease the store cannot keep fails the
// invocation.
func (f *Function) Handle(ctx context.Context, ev events.EventBridgeEvent) error {
	log := f.opts.Logger.With("event", ev.ID)
	now := f.opts.Clock.Now()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = now.Add(f.opts.Margin + f.opts.Every)
	}
	stop := deadline.Add(-f.opts.Margin)
	held, err := f.acquire(ctx, deadline, stop)
	if err != nil {
		return err
	}
	if !held {
		log.Info("another invocation holds the provisioner's lease")
		return nil
	}
	defer func() {
		if f.deps.Capacity != nil {
			if err := f.deps.Capacity.Close(ctx); err != nil {
				log.Warn("writing the capacity history", "err", err)
			}
		}
		if err := releaseLease(ctx, f.deps.Store, f.opts.Holder, f.opts.Clock.Now()); err != nil {
			log.Warn("releasing the provisioner's lease", "err", err)
		}
	}()
	passes := 0
	for {
		start := f.opts.Clock.Now()
		idle := f.pass(ctx, log)
		passes++
		next := start.Add(f.opts.Every)
		if idle || !next.Before(stop) || ctx.Err() != nil {
			break
		}
		f.opts.Sleep(ctx, next.Sub(f.opts.Clock.Now()))
	}
	log.Debug("provisioner invocation done", "passes", passes)
	return nil
}

// acquire takes the lease until deadline. When another invocation holds
// it, it waits for that lease's end if a pass still fits before stop,
// looking again every Options.Every: the older invocation releases the
// lease when its last pass ends, before the lease's deadline.
func (f *Function) acquire(ctx context.Context, deadline, stop time.Time) (bool, error) {
	for {
		now := f.opts.Clock.Now()
		held, busyUntil, err := acquireLease(ctx, f.deps.Store, f.opts.Holder, now, deadline)
		if err != nil || held {
			return held, err
		}
		if !busyUntil.Add(f.opts.Every).Before(stop) || ctx.Err() != nil {
			return false, nil
		}
		f.opts.Sleep(ctx, min(busyUntil.Sub(now), f.opts.Every))
	}
}

// pass drains the notices and runs one provisioner pass, logging what
// fails, and reports whether the stack is idle.
func (f *Function) pass(ctx context.Context, log *slog.Logger) bool {
	if f.deps.Notices != nil {
		if err := f.drainNotices(ctx, log); err != nil && ctx.Err() == nil {
			log.Error("draining the interruption queue", "err", err)
		}
	}
	if err := f.deps.Provisioner.Reconcile(ctx); err != nil && ctx.Err() == nil {
		log.Error("provisioner pass failed", "err", err)
	}
	if f.deps.Capacity != nil {
		if err := f.deps.Capacity.Flush(ctx); err != nil && ctx.Err() == nil {
			log.Warn("writing the capacity history", "err", err)
		}
	}
	if f.deps.Idle == nil {
		return false
	}
	idle, err := f.deps.Idle(ctx)
	if err != nil {
		log.Warn("asking whether anything is provisioned", "err", err)
		return false
	}
	return idle
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
