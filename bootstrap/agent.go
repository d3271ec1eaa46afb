// Package bootstrap is the agent that runs on every instance (`tanda
// agent`, or in-process under `tanda up`): it registers its instance, pulls
// RUNNABLE jobs from the ready queues of its compute environment's job
// queues in priority order while it has room, claims each with a
// conditional write, runs it, heartbeats its lease, streams its output to
// the job's log and reports how it ended.
package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/bootstrap/secrets"
	"github.com/tanda-batch/tanda/control"
)

// Control is the part of the control plane an agent uses.
type Control interface {
	Job(ctx context.Context, id string) (batch.Job, error)
	QueuesOf(ctx context.Context, ce string) ([]batch.JobQueue, error)
	// ClaimJob claims a job the agent has just read, deleting the doorbell
	// that announced it.
	ClaimJob(ctx context.Context, job batch.Job, p control.Placement, doorbell batch.Delivery) (batch.Job, error)
	// The attempt writes take the job as the agent last got it back: its
	// attempt and instance fence the write.
	MarkHeldRunning(ctx context.Context, held batch.Job) (batch.Job, error)
	HeartbeatHeld(ctx context.Context, held batch.Job) (batch.Job, error)
	FinishHeld(ctx context.Context, held batch.Job, o batch.AttemptOutcome) (batch.Job, error)
	ReportInstance(ctx context.Context, rec control.InstanceRecord) error
	// ComputeEnvironment reads the instance's compute environment.
	ComputeEnvironment(ctx context.Context, ref string) (batch.ComputeEnvironment, error)
	// HeldBy lists the jobs whose attempts an instance holds.
	HeldBy(ctx context.Context, instanceID string) ([]batch.Job, error)
}

// Queue is the ready queues.
type Queue interface {
	Receive(ctx context.Context, queue string, max int, visibility, wait time.Duration) ([]batch.Delivery, error)
	Delete(ctx context.Context, queue, receipt string) error
	ChangeVisibility(ctx context.Context, queue, receipt string, visibility time.Duration) error
}

// Config describes the instance and tunes the agent.
type Config struct {
	InstanceID         string
	ComputeEnvironment string
	InstanceType       string
	VCPUs              float64
	MemoryMiB          int64
	GPUs               int64
	// Takes, when set, is the compute environment's packing rule
	// (provisioner.Packing.Takes for this instance's vCPUs): whether the
	// instance takes a job of these resources at all, room aside. The
	// provisioner plans by the same rule, so a job it leaves is one it
	// launches a smaller instance for.
	Takes func(vcpus float64, memoryMiB, gpus int64, waited time.Duration) bool
	// WorkRoot holds each attempt's working directory.
	WorkRoot string

	HeartbeatEvery time.Duration // lease renewal (5s)
	ReportEvery    time.Duration // instance load report (5s)
	KillGrace      time.Duration // SIGTERM to SIGKILL on terminate and timeout (30s)
	PollWait       time.Duration // long poll of the top queue (1s)
	Visibility     time.Duration // hides a received doorbell while it is claimed (30s)
	QueuesEvery    time.Duration // refresh of the job queue list (5s)
	Clock          batch.Clock
	// Notices, when set, watches for the instance's interruption notices
	// (on EC2, the Spot interruption notice and rebalance recommendation
	// from IMDS): the agent drains on the first one.
	Notices NoticeSource
	// JobRoles serves the credentials of jobs' roles (jobRoleArn) to their
	// containers (*rolecreds.Roles); nil serves none, and a job with a role
	// gets a line in its log saying so.
	JobRoles JobRoles
	// Secrets gets, before a container starts, what its execution role
	// (executionRoleArn) is for: its secrets, and its image's registry
	// credentials (*secrets.Resolver). nil gets none: an attempt of a job
	// with secrets or an execution role fails.
	Secrets Secrets
	// After times attempt timeouts (time.After); tests fire them at will.
	After  func(time.Duration) <-chan time.Time
	Logger *slog.Logger
	// Metrics, when set, is told of attempts and leases.
	Metrics Metrics
}

func (c *Config) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&c.HeartbeatEvery, 5*time.Second)
	set(&c.ReportEvery, 5*time.Second)
	set(&c.KillGrace, 30*time.Second)
	set(&c.PollWait, time.Second)
	set(&c.Visibility, 30*time.Second)
	set(&c.QueuesEvery, 5*time.Second)
	if c.Clock == nil {
		c.Clock = batch.SystemClock{}
	}
	if c.After == nil {
		c.After = time.After
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = noMetrics{}
	}
}

// JobRoles gives attempts their job role's credentials; *rolecreds.Roles
// is one.
type JobRoles interface {
	Grant(ctx context.Context, a rolecreds.Attempt) (rolecreds.Grant, error)
	// Regrant serves an attempt taken over after an agent restart the
	// credentials an earlier agent granted it; env holds the entries of
	// the grant (rolecreds.EnvFullURI, EnvToken) its execution was started
	// with.
	Regrant(ctx context.Context, a rolecreds.Attempt, env []string) (rolecreds.Grant, error)
}

// Secrets prepares an attempt's secrets and registry credentials;
// *secrets.Resolver is one. Its failures are *secrets.Error.
type Secrets interface {
	Prepare(ctx context.Context, a secrets.Attempt) (secrets.Prepared, error)
}

// NoticeSource reports notices that the instance will go away, until ctx
// is done; *imds.Monitor is one.
type NoticeSource interface {
	Run(ctx context.Context, on func(imds.Event))
}

// Agent runs jobs on one instance.
type Agent struct {
	ctl     Control
	queue   Queue
	runtime Runtime
	logs    LogStore
	cfg     Config
	log     *slog.Logger

	mu       sync.Mutex
	room     Room // the instance's capacity and what its attempts hold
	lastBusy time.Time
	draining bool
	allowed  []string      // the compute environment's AllowTag, read with its queues
	freed    chan struct{} // signalled when capacity frees
	nudge    chan struct{} // signalled when the instance turns busy or idle
	// idle is closed, and replaced, each time the last running attempt
	// ends: it wakes every waitIdle.
	idle chan struct{}

	// evacuate is closed by Evacuate: running attempts stop and are
	// handed back as lost with the instance.
	evacuate      chan struct{}
	evacuateOnce  sync.Once
	evacuateGrace time.Duration // set before evacuate is closed

	wg sync.WaitGroup // running attempts
}

// New returns an agent for one instance.
func New(ctl Control, queue Queue, rt Runtime, logs LogStore, cfg Config) *Agent {
	cfg.defaults()
	return &Agent{
		ctl: ctl, queue: queue, runtime: rt, logs: logs, cfg: cfg,
		room:     Room{VCPUs: cfg.VCPUs, MemoryMiB: cfg.MemoryMiB, GPUs: cfg.GPUs},
		log:      cfg.Logger.With("instance", cfg.InstanceID),
		freed:    make(chan struct{}, 1),
		nudge:    make(chan struct{}, 1),
		idle:     make(chan struct{}),
		evacuate: make(chan struct{}),
	}
}

// Drain stops the agent taking new work; running jobs go on.
func (a *Agent) Drain() {
	a.mu.Lock()
	a.draining = true
	a.mu.Unlock()
	a.signalFreed()
	nudge(a.nudge) // tell the control plane now
}

// Running is how many attempts the agent runs now.
func (a *Agent) Running() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.room.Running
}

// Run registers the instance and pulls and runs jobs until ctx is done.
// When ctx ends, running attempts are stopped and abandoned: their leases
// lapse and the control plane retries or fails them as a lost host.
func (a *Agent) Run(ctx context.Context) error {
	if err := a.report(ctx); err != nil {
		return fmt.Errorf("registering instance %s: %w", a.cfg.InstanceID, err)
	}
	if err := a.reattach(ctx); err != nil {
		a.log.Error("re-attaching after a restart", "err", err)
	}
	var bg sync.WaitGroup
	bg.Go(func() { a.reportLoop(ctx) })
	if a.cfg.Notices != nil {
		bg.Go(func() {
			a.cfg.Notices.Run(ctx, func(e imds.Event) {
				a.log.Warn("instance notice: draining", "kind", e.Kind, "at", e.Time, "action", e.Action)
				a.Drain()
			})
		})
	}
	a.pull(ctx)
	bg.Wait()
	a.wg.Wait()
	return nil
}

// reportLoop reports the instance's load periodically, and at once when it
// turns busy or idle, so the provisioner never sees a busy instance as idle
// for long.
func (a *Agent) reportLoop(ctx context.Context) {
	t := time.NewTicker(a.cfg.ReportEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.nudge:
			// An instance that turns busy and idle many times a second
			// reports at most every minReportGap.
			sleepCtx(ctx, minReportGap)
		}
		if err := a.report(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("reporting instance", "err", err)
		}
	}
}

// minReportGap spaces the reports that busy/idle turns trigger.
const minReportGap = 100 * time.Millisecond

// report tells the control plane the instance's size and load.
func (a *Agent) report(ctx context.Context) error {
	a.mu.Lock()
	rec := control.InstanceRecord{
		ID: a.cfg.InstanceID, ComputeEnvironment: a.cfg.ComputeEnvironment, InstanceType: a.cfg.InstanceType,
		VCPUs: a.cfg.VCPUs, MemoryMiB: a.cfg.MemoryMiB, GPUs: a.cfg.GPUs,
		UsedVCPUs: a.room.UsedVCPUs, UsedMemoryMiB: a.room.UsedMemoryMiB, RunningJobs: a.room.Running, Draining: a.draining,
	}
	if !a.lastBusy.IsZero() {
		rec.LastBusyAt = batch.Millis(a.lastBusy)
	}
	a.mu.Unlock()
	return a.ctl.ReportInstance(ctx, rec)
}

// reserve takes room for a job if the instance has it.
func (a *Agent) reserve(j *batch.Job) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.draining {
		return false
	}
	in := j.Internal
	if !a.takes(j) || !a.room.Take(in.VCPUs, in.MemoryMiB, in.GPUs) {
		return false
	}
	a.lastBusy = a.cfg.Clock.Now()
	if a.room.Running == 1 {
		nudge(a.nudge)
	}
	return true
}

func (a *Agent) release(j *batch.Job) {
	a.mu.Lock()
	in := j.Internal
	a.room.Release(in.VCPUs, in.MemoryMiB, in.GPUs)
	a.lastBusy = a.cfg.Clock.Now()
	if a.room.Running == 0 {
		nudge(a.nudge)
		close(a.idle)
		a.idle = make(chan struct{})
	}
	a.mu.Unlock()
	a.signalFreed()
}

func (a *Agent) signalFreed() { nudge(a.freed) }

// nudge signals a channel of capacity one without blocking.
func nudge(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// hasRoom reports whether the smallest possible job (1 vCPU) could fit.
func (a *Agent) hasRoom() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return !a.draining && a.room.HasRoom()
}

// pull is the receive loop: queues in priority order, only while there is room.
func (a *Agent) pull(ctx context.Context) {
	var queues []batch.JobQueue
	var refreshed time.Time
	for ctx.Err() == nil {
		if !a.hasRoom() {
			a.waitFreed(ctx)
			continue
		}
		if now := a.cfg.Clock.Now(); queues == nil || now.Sub(refreshed) >= a.cfg.QueuesEvery {
			qs, err := a.ctl.QueuesOf(ctx, a.cfg.ComputeEnvironment)
			if err != nil {
				a.log.Error("listing job queues", "err", err)
				sleepCtx(ctx, a.cfg.PollWait)
				continue
			}
			queues, refreshed = qs, now
			a.refreshAllowed(ctx)
		}
		if len(queues) == 0 {
			sleepCtx(ctx, a.cfg.PollWait)
			queues = nil
			continue
		}
		var round pulled
		for i, q := range queues {
			// With one queue, long-poll it. With several, check each in
			// priority order without waiting, so a high-priority job is
			// not held up behind a wait on another queue.
			wait := time.Duration(0)
			if i == 0 && len(queues) == 1 {
				wait = a.cfg.PollWait
			}
			p, err := a.pullQueue(ctx, q.JobQueueName, wait)
			if err != nil {
				if ctx.Err() == nil {
					a.log.Error("pulling jobs", "queue", q.JobQueueName, "err", err)
					sleepCtx(ctx, a.cfg.PollWait)
				}
				break
			}
			round.add(p)
			if p.started > 0 {
				break // start again from the highest-priority queue
			}
		}
		switch {
		case round.started > 0:
		case round.blocked:
			// Jobs wait for room that is in use here: wait for it to free
			// rather than take the same jobs back at once.
			a.waitFreed(ctx)
		case len(queues) > 1:
			// Nothing anywhere: wait on the top queue a while.
			if _, err := a.pullQueue(ctx, queues[0].JobQueueName, a.cfg.PollWait); err != nil && ctx.Err() == nil {
				a.log.Error("pulling jobs", "queue", queues[0].JobQueueName, "err", err)
			}
		}
	}
}

// refreshAllowed reads what the compute environment lets its jobs have
// beyond an ordinary container. A failed read keeps what was known.
func (a *Agent) refreshAllowed(ctx context.Context) {
	ce, err := a.ctl.ComputeEnvironment(ctx, a.cfg.ComputeEnvironment)
	if err != nil {
		a.log.Warn("reading the compute environment", "err", err)
		return
	}
	var allowed []string
	for _, v := range strings.Split(ce.Tags[AllowTag], ",") {
		if v = strings.TrimSpace(v); v != "" {
			allowed = append(allowed, v)
		}
	}
	a.mu.Lock()
	a.allowed = allowed
	a.mu.Unlock()
}

func (a *Agent) allowedNow() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.allowed
}

// waitFreed waits until a job ends here, or PollWait passes.
func (a *Agent) waitFreed(ctx context.Context) {
	t := time.NewTimer(a.cfg.PollWait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-a.freed:
	case <-t.C:
	}
}

// pulled is what a receive did.
type pulled struct {
	started int
	// blocked is set when a job was handed back because the room it needs
	// here is in use.
	blocked bool
}

func (p *pulled) add(o pulled) {
	p.started += o.started
	p.blocked = p.blocked || o.blocked
}

// pullQueue receives doorbells from one ready queue and starts the jobs
// that fit.
func (a *Agent) pullQueue(ctx context.Context, queue string, wait time.Duration) (pulled, error) {
	a.mu.Lock()
	room := a.room.FreeVCPUs()
	a.mu.Unlock()
	room = max(1, min(room, 10))
	rq := control.ReadyQueue(queue)
	ds, err := a.queue.Receive(ctx, rq, room, a.cfg.Visibility, wait)
	if err != nil {
		return pulled{}, err
	}
	var p pulled
	for i, d := range ds {
		o, err := a.take(ctx, rq, d)
		if err != nil {
			// Hand the rest back at once.
			for _, rest := range ds[i+1:] {
				_ = a.queue.ChangeVisibility(ctx, rq, rest.Receipt, 0)
			}
			return p, err
		}
		switch o {
		case taken:
			p.started++
		case blocked:
			p.blocked = true
		}
	}
	return p, nil
}

// takeOutcome is what became of one doorbell.
type takeOutcome int

const (
	dropped takeOutcome = iota // the job was not RUNNABLE (any more)
	taken                      // claimed and started
	blocked                    // handed back: it needs room in use here
	tooBig                     // handed back: it can never fit here
)

// take claims and starts one job if it fits, handing the doorbell back
// otherwise.
func (a *Agent) take(ctx context.Context, rq string, d batch.Delivery) (takeOutcome, error) {
	j, err := a.ctl.Job(ctx, d.ID)
	if errors.Is(err, batch.ErrNotFound) {
		return dropped, a.queue.Delete(ctx, rq, d.Receipt)
	}
	if err != nil {
		_ = a.queue.ChangeVisibility(ctx, rq, d.Receipt, 0)
		return dropped, fmt.Errorf("reading job %s: %w", d.ID, err)
	}
	if j.Status != batch.Runnable {
		return dropped, a.queue.Delete(ctx, rq, d.Receipt)
	}
	if !a.reserve(&j) {
		// Hand it back for another instance, or for this one once a job
		// ends. A job larger than this whole instance, or one its packing
		// rule leaves to smaller instances, stays hidden from it for a
		// moment, so the agent does not spin on it.
		if !a.couldEverFit(&j) {
			return tooBig, a.queue.ChangeVisibility(ctx, rq, d.Receipt, noFitDelay)
		}
		return blocked, a.queue.ChangeVisibility(ctx, rq, d.Receipt, 0)
	}
	claimed, err := a.ctl.ClaimJob(ctx, j, control.Placement{InstanceID: a.cfg.InstanceID, ComputeEnvironment: a.cfg.ComputeEnvironment}, d)
	if err != nil {
		a.release(&j)
		if errors.Is(err, control.ErrNotClaimable) {
			return dropped, a.queue.Delete(ctx, rq, d.Receipt)
		}
		_ = a.queue.ChangeVisibility(ctx, rq, d.Receipt, 0)
		return dropped, fmt.Errorf("claiming job %s: %w", j.JobID, err)
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer a.release(&claimed)
		a.runAttempt(ctx, claimed)
	}()
	return taken, nil
}

// couldEverFit reports whether this instance takes a job when it is idle.
func (a *Agent) couldEverFit(j *batch.Job) bool {
	in := j.Internal
	a.mu.Lock()
	room := a.room // CouldEverFit reads a copy, which Release may be writing
	a.mu.Unlock()
	return a.takes(j) && room.CouldEverFit(in.VCPUs, in.MemoryMiB, in.GPUs)
}

// takes applies the packing rule, if any, with the job's wait counted from
// its place in the queue, as the planner counts it
// (provisioner.Job.RunnableSince).
func (a *Agent) takes(j *batch.Job) bool {
	in := j.Internal
	if a.cfg.Takes == nil {
		return true
	}
	var waited time.Duration
	if in.RunnableAt > 0 {
		waited = a.cfg.Clock.Now().Sub(time.UnixMilli(in.RunnableAt))
	}
	return a.cfg.Takes(in.VCPUs, in.MemoryMiB, in.GPUs, waited)
}

// noFitDelay hides a job this instance cannot fit for a moment, so the
// agent does not spin on it while other instances (or new ones) can take it.
const noFitDelay = time.Second

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
