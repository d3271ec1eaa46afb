package ec2agent_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/ec2agent"
	"github.com/tanda-batch/tanda/infra/sqlite"
	"github.com/tanda-batch/tanda/internal/controltest"
)

const (
	queueName = "q"
	defName   = "wait"
	lease     = 30 * time.Second
	// patience bounds every wait for the agent to act.
	patience = 5 * time.Second
)

// world is a control plane over the embedded store, one instance's fake
// IMDS, and its agent: the test plays the rest of the stack.
type world struct {
	t     *testing.T
	clock *batchtest.Clock
	ctl   *control.Service // the test's own view of the control plane
	imds  *fakeIMDS
	logs  *memLogs
	after *manualAfter
	gates string // a job waits for the file named after it here

	stop func() error
}

// newWorld creates the test's stack (see createStack) and starts the
// instance's agent.
func newWorld(t *testing.T) *world {
	t.Helper()
	clock := batchtest.NewClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	ctl, db := controltest.Open(t, control.Options{
		Partition: batch.Partition{Region: region, Account: account}, Clock: clock, LeaseDuration: lease,
	})
	w := &world{
		t: t, clock: clock, ctl: ctl, imds: newFakeIMDS(t, testSettings), logs: &memLogs{streams: map[string][]string{}},
		after: &manualAfter{waits: make(chan time.Duration, 10), fire: make(chan time.Time, 1)},
		gates: t.TempDir(),
	}
	createStack(t, w.ctl)
	w.startAgent(db)
	return w
}

// createStack creates the compute environment, a job queue over it and a
// job definition whose jobs wait for their gate file.
func createStack(t *testing.T, ctl *control.Service) {
	t.Helper()
	zero, maxV := 0, 16
	controltest.CreateStack(t, ctl, controltest.Stack{
		ComputeEnvironment: ceName, Queue: queueName, Definition: defName,
		Resources: &batch.ComputeResource{
			Type: batch.ComputeSpot, MinvCpus: &zero, DesiredvCpus: &zero, MaxvCpus: &maxV, InstanceTypes: []string{instanceType},
		},
		Container: controltest.Container("1", "128", "sh", "-c", `echo started; while [ ! -e "$GATE" ]; do sleep 0.01; done; echo finished`),
	})
}

// startAgent runs the instance's agent as `tanda agent` would, over the
// embedded store, until the test ends.
func (w *world) startAgent(db *sqlite.DB) {
	t := w.t
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	md := imds.New(w.imds.URL, imds.Options{})
	inst, err := ec2agent.Discover(t.Context(), md, ec2agent.DiscoverOptions{})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	agent, err := ec2agent.New(t.Context(), inst, ec2agent.Backend{Store: db, Queues: db, Logs: w.logs}, ec2agent.Config{
		WorkRoot: t.TempDir(),
		Notices:  imds.NewMonitor(md, imds.MonitorOptions{Every: 10 * time.Millisecond, Logger: quiet}),
		Clock:    w.clock,
		After:    w.after.After,
		Logger:   quiet,
		Tune: func(c *bootstrap.Config) {
			c.PollWait, c.ReportEvery, c.QueuesEvery = 20*time.Millisecond, 20*time.Millisecond, 20*time.Millisecond
		},
	})
	if err != nil {
		t.Fatalf("ec2agent.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx) }()
	var once sync.Once
	var runErr error
	w.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(patience):
				t.Fatalf("Run did not return within %v of its context ending", patience)
			}
		})
		return runErr
	}
	t.Cleanup(func() { _ = w.stop() })
}

// submit submits a job of the definition that waits for its gate, with
// a retry strategy of attempts, and returns its id.
func (w *world) submit(name string, attempts int) string {
	w.t.Helper()
	out, err := w.ctl.SubmitJob(w.t.Context(), &batch.SubmitJobInput{
		JobName: name, JobQueue: queueName, JobDefinition: defName,
		RetryStrategy: &batch.RetryStrategy{Attempts: &attempts},
		ContainerOverrides: &batch.ContainerOverrides{
			Environment: []batch.KeyValuePair{{Name: "GATE", Value: filepath.Join(w.gates, name)}},
		},
	})
	if err != nil {
		w.t.Fatalf("SubmitJob(%s): %v", name, err)
	}
	return out.JobID
}

// open lets a job's process finish.
func (w *world) open(name string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.gates, name), nil, 0o600); err != nil {
		w.t.Fatalf("opening gate %s: %v", name, err)
	}
}

func (w *world) job(id string) batch.Job {
	w.t.Helper()
	j, err := w.ctl.Job(w.t.Context(), id)
	if err != nil {
		w.t.Fatalf("reading job %s: %v", id, err)
	}
	return j
}

// waitStatus waits for a job to reach a status and returns it.
func (w *world) waitStatus(id string, want batch.Status) batch.Job {
	w.t.Helper()
	var j batch.Job
	waitFor(w.t, "job "+id+" to be "+want.String(), func() bool {
		j = w.job(id)
		return j.Status == want
	})
	return j
}

// record is the instance's record, as its agent reported it.
func (w *world) record() (control.InstanceRecord, bool) {
	w.t.Helper()
	recs, err := w.ctl.Instances(w.t.Context(), ceName)
	if err != nil {
		w.t.Fatalf("listing instances: %v", err)
	}
	i := slices.IndexFunc(recs, func(r control.InstanceRecord) bool { return r.ID == instanceID })
	if i < 0 {
		return control.InstanceRecord{}, false
	}
	return recs[i], true
}

func (w *world) waitDraining() {
	w.t.Helper()
	waitFor(w.t, "the instance to be reported draining", func() bool {
		r, ok := w.record()
		return ok && r.Draining
	})
}

// waitFor polls cond until it holds, failing the test after patience.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", patience, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// memLogs keeps job output in memory.
type memLogs struct {
	mu      sync.Mutex
	streams map[string][]string
}

func (m *memLogs) Append(_ context.Context, stream string, lines []batch.LogEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, l := range lines {
		m.streams[stream] = append(m.streams[stream], l.Message)
	}
	return nil
}

// has reports whether a stream has a line containing text.
func (m *memLogs) has(stream, text string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.ContainsFunc(m.streams[stream], func(l string) bool { return strings.Contains(l, text) })
}

// manualAfter records each wait asked for; the test ends it.
type manualAfter struct {
	waits chan time.Duration
	fire  chan time.Time
}

func (m *manualAfter) After(d time.Duration) <-chan time.Time {
	m.waits <- d
	return m.fire
}
