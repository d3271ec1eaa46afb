package bootstrap_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/control"
)

const (
	instanceID = "i-test"
	ceName     = "ce-test"
	// patience bounds every wait for the agent to act.
	patience = 2 * time.Second
)

// testConfig is a 2-vCPU instance with the agent's intervals shortened.
func testConfig(t *testing.T) bootstrap.Config {
	return bootstrap.Config{
		InstanceID:         instanceID,
		ComputeEnvironment: ceName,
		InstanceType:       "test.large",
		VCPUs:              2,
		MemoryMiB:          4096,
		WorkRoot:           t.TempDir(),
		HeartbeatEvery:     10 * time.Millisecond,
		PollWait:           20 * time.Millisecond,
		KillGrace:          50 * time.Millisecond,
		ReportEvery:        20 * time.Millisecond,
		Logger:             slog.New(slog.DiscardHandler),
	}
}

// quiet is how long a test watches for something that must not happen:
// several rounds of the agent's receive loop.
func quiet(cfg bootstrap.Config) time.Duration { return 5 * cfg.PollWait }

// harness runs an agent against fakes.
type harness struct {
	t     *testing.T
	cfg   bootstrap.Config
	ctl   *fakeControl
	queue *fakeQueue
	rt    *fakeRuntime
	logs  *fakeLogStore
	agent *bootstrap.Agent

	cancel context.CancelFunc
	done   chan error
}

// newHarness builds an agent whose compute environment serves the job
// queues given, highest priority first. It does not start it.
func newHarness(t *testing.T, cfg bootstrap.Config, queues ...string) *harness {
	t.Helper()
	h := &harness{t: t, cfg: cfg, ctl: newFakeControl(queues...), queue: newFakeQueue(), rt: newFakeRuntime(), logs: newFakeLogStore()}
	h.ctl.queue = h.queue
	h.agent = bootstrap.New(h.ctl, h.queue, h.rt, h.logs, cfg)
	return h
}

// start runs the agent until the test ends.
func (h *harness) start() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.agent.Run(ctx) }()
	h.t.Cleanup(func() { h.stop() })
}

// stop cancels Run and waits for it to return; it fails the test if Run
// does not return in time.
func (h *harness) stop() error {
	h.t.Helper()
	h.cancel()
	select {
	case err := <-h.done:
		h.done <- err // a later stop sees the same result
		return err
	case <-time.After(patience):
		h.t.Fatalf("Run did not return within %v of its context ending", patience)
		return nil
	}
}

// submit stores a RUNNABLE job and rings its doorbell.
func (h *harness) submit(j batch.Job) {
	h.ctl.put(j)
	h.queue.send(control.ReadyQueue(j.Internal.QueueName), j.JobID)
}

// started waits for a job's execution to start.
func (h *harness) started(jobID string) *fakeExec {
	h.t.Helper()
	var e *fakeExec
	waitFor(h.t, "job "+jobID+" to start", func() bool {
		e = h.rt.exec(jobID)
		return e != nil
	})
	return e
}

// finished waits for a job's attempt to be reported and returns the report.
func (h *harness) finished(jobID string) call {
	h.t.Helper()
	var got call
	waitFor(h.t, "job "+jobID+" to be reported", func() bool {
		for _, c := range h.ctl.callsOf("FinishAttempt") {
			if c.JobID == jobID {
				got = c
				return true
			}
		}
		return false
	})
	return got
}

// idle waits until the agent runs nothing.
func (h *harness) idle() {
	h.t.Helper()
	waitFor(h.t, "the agent to run nothing", func() bool { return h.agent.Running() == 0 })
}

// callsFor lists a job's calls of one operation.
func (h *harness) callsFor(op, jobID string) []call {
	var out []call
	for _, c := range h.ctl.callsOf(op) {
		if c.JobID == jobID {
			out = append(out, c)
		}
	}
	return out
}

// waitFor polls cond until it holds, failing the test after patience.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", patience, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// resources is what a job needs.
type resources struct {
	vcpus  float64
	memory int64
	gpus   int64
}

// newJob is a RUNNABLE job of a queue.
func newJob(id, queue string, r resources) batch.Job {
	return batch.Job{
		JobID:   id,
		JobName: id,
		Status:  batch.Runnable,
		Container: &batch.ContainerProperties{
			Image:   "busybox",
			Command: []string{"true"},
		},
		Internal: batch.JobInternal{
			QueueName:      queue,
			DefinitionName: "def",
			VCPUs:          r.vcpus,
			MemoryMiB:      r.memory,
			GPUs:           r.gpus,
		},
	}
}

// small is a 1-vCPU job.
var small = resources{vcpus: 1, memory: 256}

func intPtr(v int) *int       { return &v }
func int64Ptr(v int64) *int64 { return &v }

func contains(list []string, s string) bool { return slices.Contains(list, s) }
