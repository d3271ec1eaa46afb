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
	// Demand lists at most limit RUNNABLE jobs that may run on the compute
	// environment (jobs of ENABLED queues attached to it), in dispatch order.
	// A job of a queue with several compute environments should be listed
	// for one of them at a time (the first in the queue's order that is
	// ENABLED and below maxvCpus): each compute environment it is listed
	// for provisions capacity for it.
	Demand(ctx context.Context, ce string, limit int) ([]Job, error)
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
