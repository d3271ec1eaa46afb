package explain_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/explain"
)

// fakeSource holds jobs, queues and compute environments by name.
type fakeSource struct {
	jobs   map[string]batch.Job
	queues map[string]batch.JobQueue
	ces    map[string]batch.ComputeEnvironment
}

func (f fakeSource) Job(_ context.Context, id string) (batch.Job, error) {
	j, ok := f.jobs[id]
	if !ok {
		return j, batch.ErrNotFound
	}
	return j, nil
}

func (f fakeSource) JobQueue(_ context.Context, ref string) (batch.JobQueue, error) {
	q, ok := f.queues[ref]
	if !ok {
		return q, batch.ErrNotFound
	}
	return q, nil
}

func (f fakeSource) ComputeEnvironment(_ context.Context, ref string) (batch.ComputeEnvironment, error) {
	ce, ok := f.ces[ref]
	if !ok {
		return ce, batch.ErrNotFound
	}
	return ce, nil
}

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func ms(d time.Duration) int64 { return now.Add(-d).UnixMilli() }

func world() fakeSource {
	return fakeSource{
		jobs: map[string]batch.Job{},
		queues: map[string]batch.JobQueue{
			"q": {JobQueueName: "q", State: batch.StateEnabled, Status: batch.StatusValid, Priority: 1,
				ComputeEnvironmentOrder: []batch.ComputeEnvironmentOrder{{Order: 1, ComputeEnvironment: "ce"}}},
		},
		ces: map[string]batch.ComputeEnvironment{
			"ce": {ComputeEnvironmentName: "ce", Type: batch.TypeManaged, State: batch.StateEnabled, Status: batch.StatusValid,
				ComputeResources: &batch.ComputeResource{Type: "EC2", MinvCpus: new(0), MaxvCpus: new(16)}},
		},
	}
}

func runnableJob() batch.Job {
	j := batch.Job{JobID: "j1", JobName: "train", Status: batch.Runnable, CreatedAt: ms(time.Minute)}
	j.Internal.QueueName = "q"
	j.Internal.RunnableAt = ms(90 * time.Second)
	j.Internal.VCPUs, j.Internal.MemoryMiB = 4, 8192
	return j
}

func why(t *testing.T, src fakeSource, id string) explain.Explanation {
	t.Helper()
	e, err := explain.Why(context.Background(), src, id, now)
	if err != nil {
		t.Fatalf("Why(%s): %v", id, err)
	}
	return e
}

// has reports whether some reason of a kind contains text, and whether
// that reason blocks.
func has(e explain.Explanation, kind, text string) (found, blocking bool) {
	for _, r := range e.Reasons {
		if r.Kind == kind && strings.Contains(r.Text, text) {
			return true, r.Blocking
		}
	}
	return false, false
}

func TestWhy(t *testing.T) {
	for _, tc := range []struct {
		name        string
		setup       func(*fakeSource)
		kind, text  string
		blocking    bool
		waiting     bool
		summaryText string
	}{
		{
			name: "runnable, healthy: the last decision",
			setup: func(s *fakeSource) {
				ce := s.ces["ce"]
				ce.Decision = &batch.ScalingDecision{At: ms(2 * time.Second), DesiredvCpus: 4, Reason: "1 RUNNABLE jobs need 4 vCPUs; launching 1 x c6i.xlarge"}
				s.ces["ce"] = ce
			},
			kind: explain.KindDecision, text: "wants 4 vCPUs: 1 RUNNABLE jobs need 4 vCPUs; launching 1 x c6i.xlarge",
			waiting: true, summaryText: "RUNNABLE since 1m30s ago, asking for 4 vCPUs and 8192 MiB",
		},
		{
			name: "queue disabled",
			setup: func(s *fakeSource) {
				q := s.queues["q"]
				q.State = batch.StateDisabled
				s.queues["q"] = q
			},
			kind: explain.KindQueue, text: "is DISABLED", blocking: true, waiting: true, summaryText: "job queue q is DISABLED",
		},
		{
			name: "compute environment disabled",
			setup: func(s *fakeSource) {
				ce := s.ces["ce"]
				ce.State = batch.StateDisabled
				s.ces["ce"] = ce
			},
			kind: explain.KindComputeEnvironment, text: "Compute environment ce is DISABLED", blocking: true, waiting: true,
		},
		{
			name: "capacity: offerings ran out, and at maxvCpus",
			setup: func(s *fakeSource) {
				ce := s.ces["ce"]
				ce.Decision = &batch.ScalingDecision{At: ms(time.Second), DesiredvCpus: 16, Reason: "c6i.xlarge had no capacity, hidden for 60s; re-planned: ..."}
				s.ces["ce"] = ce
			},
			kind: explain.KindCapacity, text: "EC2 had no capacity", blocking: true, waiting: true,
		},
		{
			name: "the job's own statusReason",
			setup: func(s *fakeSource) {
				j := s.jobs["j1"]
				j.StatusReason = "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (vCPU/memory/GPU) is higher than that can be met by the CE(s) attached to the job queue."
				s.jobs["j1"] = j
			},
			kind: explain.KindMisconfiguration, text: "JOB_RESOURCE_REQUIREMENT", blocking: true, waiting: true,
		},
		{
			name: "larger than maxvCpus",
			setup: func(s *fakeSource) {
				j := s.jobs["j1"]
				j.Internal.VCPUs = 32
				s.jobs["j1"] = j
			},
			kind: explain.KindMisconfiguration, text: "can never hold it: it asks for 32 vCPUs", blocking: true, waiting: true,
		},
		{
			name: "pending on a running dependency",
			setup: func(s *fakeSource) {
				dep := batch.Job{JobID: "d1", JobName: "prepare", Status: batch.Running}
				s.jobs["d1"] = dep
				j := s.jobs["j1"]
				j.Status = batch.Pending
				j.DependsOn = []batch.JobDependency{{JobID: "d1"}}
				s.jobs["j1"] = j
			},
			kind: explain.KindDependency, text: "It waits for job d1 (prepare), which is RUNNING", blocking: true, waiting: true,
			summaryText: "waits for job d1",
		},
		{
			name: "pending on a failed dependency",
			setup: func(s *fakeSource) {
				s.jobs["d1"] = batch.Job{JobID: "d1", JobName: "prepare", Status: batch.Failed}
				j := s.jobs["j1"]
				j.Status = batch.Pending
				j.DependsOn = []batch.JobDependency{{JobID: "d1"}}
				s.jobs["j1"] = j
			},
			kind: explain.KindDependency, text: "FAILED, so it will fail too", blocking: true, waiting: true,
		},
		{
			name: "array parent",
			setup: func(s *fakeSource) {
				j := s.jobs["j1"]
				j.Status = batch.Pending
				j.ArrayProperties = &batch.ArrayPropertiesDetail{Size: new(10), StatusSummary: map[string]int{"SUCCEEDED": 6, "FAILED": 1, "RUNNING": 3}}
				s.jobs["j1"] = j
			},
			kind: explain.KindArray, text: "7 of its 10 children have finished (3 RUNNING, 6 SUCCEEDED, 1 FAILED)", blocking: true, waiting: true,
		},
		{
			name: "running: not waiting",
			setup: func(s *fakeSource) {
				j := s.jobs["j1"]
				j.Status = batch.Running
				j.Internal.Instance, j.Internal.ComputeEnvironment, j.Internal.Attempt = "i-0abc", "ce", 1
				s.jobs["j1"] = j
			},
			kind: explain.KindStatus, text: "RUNNING on instance i-0abc in compute environment ce (attempt 1)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := world()
			src.jobs["j1"] = runnableJob()
			tc.setup(&src)
			e := why(t, src, "j1")
			found, blocking := has(e, tc.kind, tc.text)
			if !found {
				t.Fatalf("no %s reason with %q in %+v", tc.kind, tc.text, e.Reasons)
			}
			if blocking != tc.blocking {
				t.Errorf("blocking = %v, want %v", blocking, tc.blocking)
			}
			if e.Waiting != tc.waiting {
				t.Errorf("waiting = %v, want %v", e.Waiting, tc.waiting)
			}
			if tc.summaryText != "" && !strings.Contains(e.Summary, tc.summaryText) {
				t.Errorf("summary = %q, want it to say %q", e.Summary, tc.summaryText)
			}
		})
	}
}

func TestWhyUnknownJob(t *testing.T) {
	if _, err := explain.Why(context.Background(), world(), "nope", now); err == nil {
		t.Fatal("no error for an unknown job")
	}
}
