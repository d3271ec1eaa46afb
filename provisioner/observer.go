package provisioner

import (
	"context"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// Observer tells the provisioner what it needs to know. The control plane
// implements it over its store.
type Observer interface {
	// ComputeEnvironments lists every compute environment.
	ComputeEnvironments(ctx context.Context) ([]batch.ComputeEnvironment, error)
	// Demand summarizes at most limit RUNNABLE jobs that may run on the
	// compute environment (jobs of ENABLED queues attached to it), in
	// dispatch order, as runs of jobs alike (DemandRun), split at
	// waitedSince: a run holds only jobs RUNNABLE since then or earlier,
	// or only others. A job of a queue with several compute environments
	// should be counted for one of them at a time (the first in the
	// queue's order that is ENABLED and below maxvCpus): each compute
	// environment it is counted for provisions capacity for it.
	Demand(ctx context.Context, ce string, limit int, waitedSince time.Time) ([]DemandRun, error)
	// Loads gives the use of each registered instance of the compute
	// environment, as its agent last reported it, keyed by instance id. An
	// instance without an entry has not registered (yet).
	Loads(ctx context.Context, ce string) (map[string]Load, error)
	// RecordDecision stores the pass's decision with the compute environment
	// and sets its computeResources.desiredvCpus to d.DesiredvCpus.
	RecordDecision(ctx context.Context, ce string, d batch.ScalingDecision) error
	// ForgetComputeEnvironment removes a DELETING compute environment,
	// once the provisioner has seen its last instance go.
	ForgetComputeEnvironment(ctx context.Context, ce string) error
	// ForgetInstance drops the record of an instance whose agent went
	// silent, ending the attempts it held as host losses.
	ForgetInstance(ctx context.Context, ce, id string) error
}

// Job is a RUNNABLE job's request for capacity.
type Job struct {
	// ID names the job where it is known; a summarized demand (DemandRun)
	// does not name its jobs.
	ID        string
	VCPUs     float64
	MemoryMiB int64
	GPUs      int64
	// InstanceType, when set, pins the job to that type.
	InstanceType string
	// RunnableSince is the job's place in its queue (batch.Job's
	// Internal.RunnableAt): when it became RUNNABLE, or, for an attempt
	// retried to the front of the queue, when the job was created. The
	// packing rule's patience counts from it, so a retried job goes on any
	// instance it fits at once. Zero if unknown (see PackingPatience).
	RunnableSince time.Time
}

// DemandRun is Count RUNNABLE jobs in a row of dispatch order that the
// planner cannot tell apart: Job's resources and pin, and RunnableSince on
// the same side of the bound Observer.Demand splits at. Job.ID is empty;
// Job.RunnableSince is the earliest of the jobs'. Planning reads what it
// needs from the runs, so a pass over a long backlog reads no job.
type DemandRun struct {
	Job   Job
	Count int
}

// RunsOf summarizes jobs, in dispatch order, as Observer.Demand does, for
// an observer that holds its jobs.
func RunsOf(jobs []Job, waitedSince time.Time) []DemandRun {
	var out []DemandRun
	for _, j := range jobs {
		j.ID = ""
		if n := len(out); n > 0 {
			last := &out[n-1]
			if alike(last.Job, j, waitedSince) {
				last.Count++
				if !j.RunnableSince.IsZero() && (last.Job.RunnableSince.IsZero() || j.RunnableSince.Before(last.Job.RunnableSince)) {
					last.Job.RunnableSince = j.RunnableSince
				}
				continue
			}
		}
		out = append(out, DemandRun{Job: j, Count: 1})
	}
	return out
}

// alike reports whether the planner treats a and b alike: the same
// request and pin, and both or neither RUNNABLE since waitedSince or
// earlier.
func alike(a, b Job, waitedSince time.Time) bool {
	return a.need() == b.need() && a.InstanceType == b.InstanceType && waited(a, waitedSince) == waited(b, waitedSince)
}

// waited reports whether j is RUNNABLE since a known time no later than
// waitedSince.
func waited(j Job, waitedSince time.Time) bool {
	return !j.RunnableSince.IsZero() && !j.RunnableSince.After(waitedSince)
}

// expand lists the jobs of runs one by one, as PlanInput.Demand does.
func expand(runs []DemandRun) []Job {
	n := 0
	for _, r := range runs {
		n += r.Count
	}
	out := make([]Job, 0, n)
	for _, r := range runs {
		for range r.Count {
			out = append(out, r.Job)
		}
	}
	return out
}

func (j Job) need() resources {
	return resources{vcpus: j.VCPUs, mem: j.MemoryMiB, gpus: j.GPUs}
}

// Load is a registered instance's use, reported by its agent.
type Load struct {
	UsedVCPUs     float64
	UsedMemoryMiB int64
	UsedGPUs      int64
	RunningJobs   int
	// LastBusyAt is when the instance last ran a job; zero if it never has.
	LastBusyAt time.Time
	// Draining instances take no new jobs (Spot interruption, shutdown).
	Draining bool
	// LastSeenAt is when the instance's agent last reported; zero if
	// unknown, which never counts as silent.
	LastSeenAt time.Time
}
