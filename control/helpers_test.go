package control_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/control"
)

// The resources every harness starts with.
const (
	ceName    = "ce"
	queueName = "q"
	defName   = "def"
	leaseTime = 30 * time.Second
)

var testPartition = batch.Partition{Region: "us-east-1", Account: "123456789012"}

// fakeClock is a clock tests move by hand.
type fakeClock = batchtest.Clock

// harness is a control plane over a real embedded store, driven by hand:
// the test plays the scheduler (drain) and the agents (Claim, MarkRunning,
// Heartbeat, FinishAttempt).
type harness struct {
	t     *testing.T
	ctx   context.Context
	clk   *fakeClock
	db    backend
	store *hookStore
	svc   *control.Service
}

// hookStore is the backend with a hook tests use to act between two of
// the service's writes.
type hookStore struct {
	backend
	// beforeCreate, when set, runs before CreateJobs writes jobs; an
	// error it returns is CreateJobs' and nothing is written.
	beforeCreate func(jobs []batch.Job) error
	// afterCreate, when set, runs after CreateJobs has written jobs.
	afterCreate func(jobs []batch.Job)
	// afterUpdate, when set, sees what UpdateJob returned and may
	// change it (an answer lost after the write was applied, say).
	afterUpdate func(written batch.Job, err error) (batch.Job, error)
	// gets counts GetJob calls.
	gets atomic.Int64
}

func (s *hookStore) GetJob(ctx context.Context, id string) (batch.Job, error) {
	s.gets.Add(1)
	return s.backend.GetJob(ctx, id)
}

func (s *hookStore) UpdateJob(ctx context.Context, job batch.Job, msgs []batch.Message) (batch.Job, error) {
	written, err := s.backend.UpdateJob(ctx, job, msgs)
	if s.afterUpdate != nil {
		return s.afterUpdate(written, err)
	}
	return written, err
}

func (s *hookStore) CreateJobs(ctx context.Context, jobs []batch.Job, msgs []batch.Message) error {
	if s.beforeCreate != nil {
		if err := s.beforeCreate(jobs); err != nil {
			return err
		}
	}
	if err := s.backend.CreateJobs(ctx, jobs, msgs); err != nil {
		return err
	}
	if s.afterCreate != nil {
		s.afterCreate(jobs)
	}
	return nil
}

// newHarness opens a backend (see openBackend) and creates a compute
// environment ceName, an ENABLED job queue queueName over it and revision 1
// of job definition defName (1 vCPU, 128 MiB). opts adjust the service's
// options.
func newHarness(t *testing.T, opts ...func(*control.Options)) *harness {
	t.Helper()
	clk := batchtest.NewClock(time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC))
	ctx := context.Background()
	db := openBackend(t, clk)
	var (
		mu sync.Mutex
		n  int
	)
	o := control.Options{
		Partition:     testPartition,
		Clock:         clk,
		LeaseDuration: leaseTime,
		Queues:        db,
		NewID: func() string {
			mu.Lock()
			defer mu.Unlock()
			n++
			return fmt.Sprintf("job%03d", n)
		},
	}
	for _, f := range opts {
		f(&o)
	}
	st := &hookStore{backend: db}
	h := &harness{t: t, ctx: ctx, clk: clk, db: db, store: st, svc: control.New(st, o)}
	h.createCE(ceName, 0, 16)
	h.createQueue(&batch.CreateJobQueueInput{JobQueueName: queueName})
	h.registerDef(defName, nil)
	return h
}

// with returns the harness reporting failures to t: subtests that share a
// harness must use it, as only a test's own goroutine may stop it.
func (h *harness) with(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}

// createCE creates a MANAGED EC2 compute environment.
func (h *harness) createCE(name string, desired, maxV int) {
	h.t.Helper()
	_, err := h.svc.CreateComputeEnvironment(h.ctx, &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: name,
		Type:                   batch.TypeManaged,
		ComputeResources: &batch.ComputeResource{
			Type:          batch.ComputeEC2,
			MinvCpus:      ptr(0),
			DesiredvCpus:  ptr(desired),
			MaxvCpus:      ptr(maxV),
			InstanceTypes: []string{"m5.large"},
		},
	})
	if err != nil {
		h.t.Fatalf("CreateComputeEnvironment(%s): %v", name, err)
	}
}

// createQueue creates a job queue; priority and compute environment
// default to 1 and ceName.
func (h *harness) createQueue(in *batch.CreateJobQueueInput) {
	h.t.Helper()
	if in.Priority == nil {
		in.Priority = ptr(1)
	}
	if in.ComputeEnvironmentOrder == nil {
		in.ComputeEnvironmentOrder = []batch.ComputeEnvironmentOrder{{Order: 1, ComputeEnvironment: ceName}}
	}
	if _, err := h.svc.CreateJobQueue(h.ctx, in); err != nil {
		h.t.Fatalf("CreateJobQueue(%s): %v", in.JobQueueName, err)
	}
}

// registerDef registers a revision of a container definition of 1 vCPU and
// 128 MiB; edit, if not nil, changes the request first.
func (h *harness) registerDef(name string, edit func(*batch.RegisterJobDefinitionInput)) *batch.RegisterJobDefinitionOutput {
	h.t.Helper()
	in := &batch.RegisterJobDefinitionInput{
		JobDefinitionName: name,
		Type:              batch.DefinitionTypeContainer,
		ContainerProperties: &batch.ContainerProperties{
			Image:   "busybox",
			Command: []string{"true"},
			ResourceRequirements: []batch.ResourceRequirement{
				{Type: batch.ResourceVCPU, Value: "1"},
				{Type: batch.ResourceMemory, Value: "128"},
			},
		},
	}
	if edit != nil {
		edit(in)
	}
	out, err := h.svc.RegisterJobDefinition(h.ctx, in)
	if err != nil {
		h.t.Fatalf("RegisterJobDefinition(%s): %v", name, err)
	}
	return out
}

// submit submits a job, defaulting its name, queue and definition, and
// returns its id.
func (h *harness) submit(in *batch.SubmitJobInput) string {
	h.t.Helper()
	if in.JobName == "" {
		in.JobName = "job"
	}
	if in.JobQueue == "" {
		in.JobQueue = queueName
	}
	if in.JobDefinition == "" {
		in.JobDefinition = defName
	}
	out, err := h.svc.SubmitJob(h.ctx, in)
	if err != nil {
		h.t.Fatalf("SubmitJob(%s): %v", in.JobName, err)
	}
	return out.JobID
}

// drain plays the scheduler: it evaluates every job whose doorbell rings
// on the submissions queue until the queue is empty.
func (h *harness) drain() {
	h.t.Helper()
	for range 1000 {
		ds, err := h.db.Receive(h.ctx, control.SubmissionsQueue, 10, time.Minute, 0)
		if err != nil {
			h.t.Fatalf("receiving submissions: %v", err)
		}
		if len(ds) == 0 {
			return
		}
		for _, d := range ds {
			if err := h.svc.Evaluate(h.ctx, d.ID); err != nil {
				h.t.Fatalf("Evaluate(%s): %v", d.ID, err)
			}
			if err := h.db.Delete(h.ctx, control.SubmissionsQueue, d.Receipt); err != nil {
				h.t.Fatalf("deleting submission %s: %v", d.ID, err)
			}
		}
	}
	h.t.Fatalf("the submissions queue did not drain after 1000 rounds")
}

// takeAll receives and deletes every visible message of a queue and
// returns their ids, sorted.
func (h *harness) takeAll(queue string) []string {
	h.t.Helper()
	var ids []string
	for {
		ds, err := h.db.Receive(h.ctx, queue, 10, time.Minute, 0)
		if err != nil {
			h.t.Fatalf("receiving from %s: %v", queue, err)
		}
		if len(ds) == 0 {
			slices.Sort(ids)
			return ids
		}
		for _, d := range ds {
			ids = append(ids, d.ID)
			if err := h.db.Delete(h.ctx, queue, d.Receipt); err != nil {
				h.t.Fatalf("deleting %s from %s: %v", d.ID, queue, err)
			}
		}
	}
}

// ready takes the doorbells of queueName's ready queue.
func (h *harness) ready() []string {
	h.t.Helper()
	return h.takeAll(control.ReadyQueue(queueName))
}

// job reads a job as DescribeJobs shows it.
func (h *harness) job(id string) batch.Job {
	h.t.Helper()
	j, err := h.svc.Job(h.ctx, id)
	if err != nil {
		h.t.Fatalf("reading job %s: %v", id, err)
	}
	return j
}

// wantStatus fails the test unless the job is in status want.
func (h *harness) wantStatus(id string, want batch.Status) batch.Job {
	h.t.Helper()
	j := h.job(id)
	if j.Status != want {
		h.t.Fatalf("job %s status = %v (reason %q), want %v", id, j.Status, j.StatusReason, want)
	}
	return j
}

// start plays an agent on instance: it claims a RUNNABLE job and marks it
// RUNNING, returning the attempt number.
func (h *harness) start(id, instance string) int {
	h.t.Helper()
	j, err := h.svc.Claim(h.ctx, id, control.Placement{InstanceID: instance, ComputeEnvironment: ceName})
	if err != nil {
		h.t.Fatalf("Claim(%s): %v", id, err)
	}
	if _, err := h.svc.MarkRunning(h.ctx, id, j.Internal.Attempt, instance); err != nil {
		h.t.Fatalf("MarkRunning(%s): %v", id, err)
	}
	return j.Internal.Attempt
}

// finish ends an attempt with an outcome.
func (h *harness) finish(id string, attempt int, instance string, o batch.AttemptOutcome) batch.Job {
	h.t.Helper()
	j, err := h.svc.FinishAttempt(h.ctx, id, attempt, instance, o)
	if err != nil {
		h.t.Fatalf("FinishAttempt(%s, %d): %v", id, attempt, err)
	}
	return j
}

// run starts a job on "i-run" and ends it with exit code, then drains.
func (h *harness) run(id string, exit int) batch.Job {
	h.t.Helper()
	a := h.start(id, "i-run")
	j := h.finish(id, a, "i-run", exited(exit))
	h.drain()
	return j
}

// countJobs counts every job of queueName, array children included.
func (h *harness) countJobs() int {
	h.t.Helper()
	list := func(q batch.JobQuery) []batch.Job {
		q.Limit = 1000
		pg, err := h.db.ListJobs(h.ctx, q)
		if err != nil {
			h.t.Fatalf("listing jobs: %v", err)
		}
		return pg.Jobs
	}
	top := list(batch.JobQuery{Queue: queueName, TopLevel: true})
	n := len(top)
	for _, j := range top {
		if j.ArrayProperties != nil {
			n += len(list(batch.JobQuery{ArrayParent: j.JobID, Order: batch.IndexOrder}))
		}
	}
	return n
}

// exited is the outcome of a container that exited with code.
func exited(code int) batch.AttemptOutcome { return batch.AttemptOutcome{ExitCode: ptr(code)} }

func ptr[T any](v T) *T { return &v }

// wantClientError fails the test unless err is a *batch.ClientError whose
// message contains substr.
func wantClientError(t *testing.T, err error, substr string) {
	t.Helper()
	var ce *batch.ClientError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (%T), want a *batch.ClientError", err, err)
	}
	if !strings.Contains(ce.Message, substr) {
		t.Fatalf("error message = %q, want it to contain %q", ce.Message, substr)
	}
}
