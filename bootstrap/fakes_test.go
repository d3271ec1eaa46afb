package bootstrap_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/control"
)

// call is one lifecycle call the agent made to the control plane.
type call struct {
	Op        string // Claim, MarkRunning, Heartbeat or FinishAttempt
	JobID     string
	Attempt   int
	Instance  string
	Placement control.Placement
	Outcome   batch.AttemptOutcome
	Err       error
}

// fakeControl is an in-memory control plane with control's fencing rules:
// Claim takes only a RUNNABLE job, and the calls on an attempt succeed only
// for the instance holding the job's current attempt.
type fakeControl struct {
	mu      sync.Mutex
	jobs    map[string]batch.Job
	queues  []batch.JobQueue
	calls   []call
	reports []control.InstanceRecord
	// reportErr fails ReportInstance.
	reportErr error
	// jobErrs fail the next Job reads of a job, one error per read.
	jobErrs map[string][]error
	// beforeClaim runs under the lock before a claim is judged: it plays a
	// writer racing the agent.
	beforeClaim func(j *batch.Job)
	// onFinish runs at the start of FinishAttempt, outside the lock.
	onFinish func(jobID string)
	// ceTags are the compute environment's tags.
	ceTags map[string]string
	// queue is where a successful claim deletes its doorbell, as the
	// control plane does.
	queue *fakeQueue
}

func newFakeControl(queues ...string) *fakeControl {
	c := &fakeControl{jobs: map[string]batch.Job{}, jobErrs: map[string][]error{}}
	for i, q := range queues {
		// QueuesOf lists the queues highest priority first.
		c.queues = append(c.queues, batch.JobQueue{JobQueueName: q, Priority: 100 - i, State: "ENABLED"})
	}
	return c
}

// clone deep-copies a job, so the agent and the fake share no memory.
func clone(j batch.Job) batch.Job {
	b, err := json.Marshal(j)
	if err != nil {
		panic(fmt.Sprintf("encoding job %s: %v", j.JobID, err))
	}
	var c batch.Job
	if err := json.Unmarshal(b, &c); err != nil {
		panic(fmt.Sprintf("decoding job %s: %v", j.JobID, err))
	}
	c.Internal = j.Internal
	return c
}

func (c *fakeControl) put(j batch.Job) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.jobs[j.JobID] = clone(j)
}

// job reads a job as the control plane holds it.
func (c *fakeControl) job(id string) batch.Job {
	c.mu.Lock()
	defer c.mu.Unlock()
	return clone(c.jobs[id])
}

// terminate plays TerminateJob on an attempt in flight.
func (c *fakeControl) terminate(id, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	j := c.jobs[id]
	j.Internal.TerminateRequested = true
	j.Internal.CancelReason = reason
	c.jobs[id] = j
}

// loseLease plays the sweeper failing an attempt whose lease expired.
func (c *fakeControl) loseLease(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	j := c.jobs[id]
	j.Status = batch.Failed
	j.Internal.Instance = ""
	c.jobs[id] = j
}

// callsOf lists the calls of one operation (all when op is empty).
func (c *fakeControl) callsOf(op string) []call {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []call
	for _, cl := range c.calls {
		if op == "" || cl.Op == op {
			out = append(out, cl)
		}
	}
	return out
}

func (c *fakeControl) reported() []control.InstanceRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.reports)
}

func (c *fakeControl) record(cl call) {
	c.calls = append(c.calls, cl)
}

func (c *fakeControl) Job(_ context.Context, id string) (batch.Job, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if errs := c.jobErrs[id]; len(errs) > 0 {
		c.jobErrs[id] = errs[1:]
		return batch.Job{}, errs[0]
	}
	j, ok := c.jobs[id]
	if !ok {
		return batch.Job{}, fmt.Errorf("job %s: %w", id, batch.ErrNotFound)
	}
	return clone(j), nil
}

func (c *fakeControl) QueuesOf(_ context.Context, ce string) ([]batch.JobQueue, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.queues), nil
}

func (c *fakeControl) Claim(_ context.Context, jobID string, p control.Placement) (batch.Job, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	j, ok := c.jobs[jobID]
	if !ok {
		return batch.Job{}, fmt.Errorf("job %s: %w", jobID, batch.ErrNotFound)
	}
	if c.beforeClaim != nil {
		c.beforeClaim(&j)
		c.jobs[jobID] = j
	}
	cl := call{Op: "Claim", JobID: jobID, Placement: p}
	if j.Status != batch.Runnable {
		cl.Err = control.ErrNotClaimable
		c.record(cl)
		return batch.Job{}, control.ErrNotClaimable
	}
	j.Status = batch.Starting
	j.Internal.Attempt++
	j.Internal.Instance = p.InstanceID
	j.Internal.ComputeEnvironment = p.ComputeEnvironment
	j.Attempts = append(slices.Clone(j.Attempts), batch.AttemptDetail{Container: &batch.AttemptContainerDetail{
		LogStreamName: control.LogStreamName(j.Internal.DefinitionName, j.JobID, j.Internal.Attempt),
	}})
	c.jobs[jobID] = j
	cl.Attempt, cl.Instance = j.Internal.Attempt, p.InstanceID
	c.record(cl)
	return clone(j), nil
}

// fenced applies an attempt call to a job if the caller holds its attempt.
func (c *fakeControl) fenced(cl call, apply func(j *batch.Job)) (batch.Job, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	j, ok := c.jobs[cl.JobID]
	switch {
	case !ok:
		cl.Err = fmt.Errorf("job %s: %w", cl.JobID, batch.ErrNotFound)
	case !j.Status.Active() || j.Internal.Attempt != cl.Attempt || j.Internal.Instance != cl.Instance:
		cl.Err = fmt.Errorf("job %s attempt %d on %s: %w", cl.JobID, cl.Attempt, cl.Instance, control.ErrLeaseLost)
	}
	c.record(cl)
	if cl.Err != nil {
		return batch.Job{}, cl.Err
	}
	apply(&j)
	c.jobs[cl.JobID] = j
	return clone(j), nil
}

func (c *fakeControl) MarkRunning(_ context.Context, jobID string, attempt int, instance string) (batch.Job, error) {
	return c.fenced(call{Op: "MarkRunning", JobID: jobID, Attempt: attempt, Instance: instance}, func(j *batch.Job) {
		j.Status = batch.Running
	})
}

func (c *fakeControl) Heartbeat(_ context.Context, jobID string, attempt int, instance string) (batch.Job, error) {
	return c.fenced(call{Op: "Heartbeat", JobID: jobID, Attempt: attempt, Instance: instance}, func(*batch.Job) {})
}

func (c *fakeControl) FinishAttempt(_ context.Context, jobID string, attempt int, instance string, o batch.AttemptOutcome) (batch.Job, error) {
	if c.onFinish != nil {
		c.onFinish(jobID)
	}
	return c.fenced(call{Op: "FinishAttempt", JobID: jobID, Attempt: attempt, Instance: instance, Outcome: o}, func(j *batch.Job) {
		j.Status = batch.Failed
		if o.ExitCode != nil && *o.ExitCode == 0 && o.StatusReason == "" && !o.Terminated && !o.TimedOut {
			j.Status = batch.Succeeded
		}
		j.Internal.Instance = ""
	})
}

// The agent's calls take the job it holds; the fake applies them by id.

func (c *fakeControl) ClaimJob(ctx context.Context, job batch.Job, p control.Placement, doorbell batch.Delivery) (batch.Job, error) {
	claimed, err := c.Claim(ctx, job.JobID, p)
	if err == nil && c.queue != nil {
		err = c.queue.Delete(ctx, doorbell.Queue, doorbell.Receipt)
	}
	return claimed, err
}

func (c *fakeControl) MarkHeldRunning(ctx context.Context, held batch.Job) (batch.Job, error) {
	return c.MarkRunning(ctx, held.JobID, held.Internal.Attempt, held.Internal.Instance)
}

func (c *fakeControl) HeartbeatHeld(ctx context.Context, held batch.Job) (batch.Job, error) {
	return c.Heartbeat(ctx, held.JobID, held.Internal.Attempt, held.Internal.Instance)
}

func (c *fakeControl) FinishHeld(ctx context.Context, held batch.Job, o batch.AttemptOutcome) (batch.Job, error) {
	return c.FinishAttempt(ctx, held.JobID, held.Internal.Attempt, held.Internal.Instance, o)
}

func (c *fakeControl) ComputeEnvironment(_ context.Context, ref string) (batch.ComputeEnvironment, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return batch.ComputeEnvironment{ComputeEnvironmentName: ref, Tags: c.ceTags}, nil
}

func (c *fakeControl) HeldBy(_ context.Context, instanceID string) ([]batch.Job, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []batch.Job
	for _, j := range c.jobs {
		if j.Status.Active() && j.Internal.Instance == instanceID {
			out = append(out, clone(j))
		}
	}
	return out, nil
}

func (c *fakeControl) ReportInstance(_ context.Context, rec control.InstanceRecord) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reportErr != nil {
		return c.reportErr
	}
	c.reports = append(c.reports, rec)
	return nil
}

// message is a doorbell in a fake queue.
type message struct {
	id        string
	receipt   string
	visibleAt time.Time
}

// visibilityChange is one ChangeVisibility call.
type visibilityChange struct {
	Queue      string
	JobID      string
	Visibility time.Duration
}

// fakeQueue is in-memory ready queues with visibility and receipts.
type fakeQueue struct {
	mu      sync.Mutex
	msgs    map[string][]*message // by queue name
	seq     int
	deleted []string // job ids whose doorbell was deleted
	changes []visibilityChange
}

func newFakeQueue() *fakeQueue { return &fakeQueue{msgs: map[string][]*message{}} }

// send rings a job's doorbell on a queue.
func (q *fakeQueue) send(queue, jobID string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.msgs[queue] = append(q.msgs[queue], &message{id: jobID})
}

// holds lists the job ids with a doorbell on a queue, hidden or not.
func (q *fakeQueue) holds(queue string) []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var ids []string
	for _, m := range q.msgs[queue] {
		ids = append(ids, m.id)
	}
	return ids
}

func (q *fakeQueue) deletedIDs() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.deleted)
}

func (q *fakeQueue) visibilityChanges() []visibilityChange {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.changes)
}

// take hands out up to n visible messages of a queue, hiding them.
func (q *fakeQueue) take(queue string, n int, visibility time.Duration) []batch.Delivery {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	var out []batch.Delivery
	for _, m := range q.msgs[queue] {
		if len(out) == n {
			break
		}
		if m.visibleAt.After(now) {
			continue
		}
		q.seq++
		m.receipt = fmt.Sprintf("r%d", q.seq)
		m.visibleAt = now.Add(visibility)
		out = append(out, batch.Delivery{Message: batch.Message{Queue: queue, ID: m.id}, Receipt: m.receipt})
	}
	return out
}

func (q *fakeQueue) Receive(ctx context.Context, queue string, n int, visibility, wait time.Duration) ([]batch.Delivery, error) {
	deadline := time.Now().Add(wait)
	for {
		if ds := q.take(queue, n, visibility); len(ds) > 0 || !time.Now().Before(deadline) {
			return ds, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// find returns the index of the message a receipt names.
func (q *fakeQueue) find(queue, receipt string) (int, error) {
	for i, m := range q.msgs[queue] {
		if m.receipt == receipt {
			return i, nil
		}
	}
	return 0, fmt.Errorf("queue %s: no message with receipt %q", queue, receipt)
}

func (q *fakeQueue) Delete(_ context.Context, queue, receipt string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	i, err := q.find(queue, receipt)
	if err != nil {
		return err
	}
	q.deleted = append(q.deleted, q.msgs[queue][i].id)
	q.msgs[queue] = slices.Delete(q.msgs[queue], i, i+1)
	return nil
}

func (q *fakeQueue) ChangeVisibility(_ context.Context, queue, receipt string, visibility time.Duration) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	i, err := q.find(queue, receipt)
	if err != nil {
		return err
	}
	m := q.msgs[queue][i]
	m.visibleAt = time.Now().Add(visibility)
	q.changes = append(q.changes, visibilityChange{Queue: queue, JobID: m.id, Visibility: visibility})
	return nil
}

// fakeRuntime starts executions that end when the test says so.
type fakeRuntime struct {
	mu         sync.Mutex
	execs      map[string]*fakeExec // latest execution by job id
	starts     []string             // job ids in start order
	running    int
	maxRunning int
	// startErrs fail the start of a job.
	startErrs map[string]error
	// onStart runs when an execution has started, outside the lock.
	onStart func(spec bootstrap.RunSpec)
}

func newFakeRuntime() *fakeRuntime {
	return &fakeRuntime{execs: map[string]*fakeExec{}, startErrs: map[string]error{}}
}

func (r *fakeRuntime) Name() string { return "fake" }

func (r *fakeRuntime) Start(_ context.Context, spec bootstrap.RunSpec, logs bootstrap.LogFunc) (bootstrap.Execution, error) {
	r.mu.Lock()
	if err := r.startErrs[spec.JobID]; err != nil {
		r.mu.Unlock()
		return nil, err
	}
	e := &fakeExec{rt: r, spec: spec, logs: logs, done: make(chan struct{})}
	r.execs[spec.JobID] = e
	r.starts = append(r.starts, spec.JobID)
	r.running++
	r.maxRunning = max(r.maxRunning, r.running)
	hook := r.onStart
	r.mu.Unlock()
	if hook != nil {
		hook(spec)
	}
	return e, nil
}

// exec returns a job's latest execution, or nil.
func (r *fakeRuntime) exec(jobID string) *fakeExec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.execs[jobID]
}

func (r *fakeRuntime) started() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.starts)
}

// peak is the most executions that ran at once.
func (r *fakeRuntime) peak() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.maxRunning
}

func (r *fakeRuntime) ended() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running--
}

// exitStopped is how a fake execution ends when stopped: by SIGTERM.
const exitStopped = 143

// fakeExec is one execution of a fakeRuntime.
type fakeExec struct {
	rt   *fakeRuntime
	spec bootstrap.RunSpec
	logs bootstrap.LogFunc

	mu    sync.Mutex
	stops []time.Duration

	once   sync.Once
	done   chan struct{}
	result bootstrap.RunResult
}

// exit ends the execution with an exit code.
func (e *fakeExec) exit(code int) { e.end(bootstrap.RunResult{ExitCode: code}) }

func (e *fakeExec) end(res bootstrap.RunResult) {
	e.once.Do(func() {
		e.result = res
		e.rt.ended()
		close(e.done)
	})
}

// emit writes a line of output.
func (e *fakeExec) emit(text string) {
	e.logs(bootstrap.LogLine{Stream: "stdout", At: time.Now(), Text: text})
}

// running reports whether the execution has not ended.
func (e *fakeExec) running() bool {
	select {
	case <-e.done:
		return false
	default:
		return true
	}
}

// graces lists the grace of each Stop call.
func (e *fakeExec) graces() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.stops)
}

func (e *fakeExec) Wait() bootstrap.RunResult {
	<-e.done
	return e.result
}

// Stop ends the execution as a process that honours SIGTERM would.
func (e *fakeExec) Stop(grace time.Duration) {
	e.mu.Lock()
	e.stops = append(e.stops, grace)
	e.mu.Unlock()
	e.end(bootstrap.RunResult{ExitCode: exitStopped})
}

// fakeLogStore records the lines appended to each stream.
type fakeLogStore struct {
	mu      sync.Mutex
	streams map[string][]batch.LogEvent
}

func newFakeLogStore() *fakeLogStore {
	return &fakeLogStore{streams: map[string][]batch.LogEvent{}}
}

func (s *fakeLogStore) Append(_ context.Context, stream string, lines []batch.LogEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streams[stream] = append(s.streams[stream], lines...)
	return nil
}

// texts lists the text of a stream's lines.
func (s *fakeLogStore) texts(stream string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.streams[stream] {
		out = append(out, l.Message)
	}
	return out
}
