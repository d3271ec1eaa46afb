package kit

import (
	"context"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/provisioner"
)

// Observer shows the control plane to the provisioner
// (provisioner.Observer). It decides nothing: which compute environments
// and instances to forget is the provisioner's decision.
type Observer struct {
	Control *control.Service
	Clock   batch.Clock
}

var _ provisioner.Observer = Observer{}

// ComputeEnvironments lists the compute environments.
func (o Observer) ComputeEnvironments(ctx context.Context) ([]batch.ComputeEnvironment, error) {
	return o.Control.ComputeEnvironments(ctx)
}

// Demand summarizes the RUNNABLE jobs a compute environment provides for,
// from the store's summary: no job is read.
func (o Observer) Demand(ctx context.Context, ce string, limit int, waitedSince time.Time) ([]provisioner.DemandRun, error) {
	runs, err := o.Control.Demand(ctx, ce, limit, waitedSince)
	if err != nil {
		return nil, err
	}
	out := make([]provisioner.DemandRun, 0, len(runs))
	for _, r := range runs {
		job := provisioner.Job{VCPUs: r.VCPUs, MemoryMiB: r.MemoryMiB, GPUs: r.GPUs}
		if r.RunnableAt > 0 {
			job.RunnableSince = time.UnixMilli(r.RunnableAt)
		}
		out = append(out, provisioner.DemandRun{Job: job, Count: r.Count})
	}
	return out, nil
}

// Loads gives the use of each registered instance. The job rows are the
// truth: an instance holding attempts is busy now, with their resources,
// whatever its agent last reported.
func (o Observer) Loads(ctx context.Context, ce string) (map[string]provisioner.Load, error) {
	recs, err := o.Control.Instances(ctx, ce)
	if err != nil {
		return nil, err
	}
	out := make(map[string]provisioner.Load, len(recs))
	for _, r := range recs {
		l := provisioner.Load{UsedVCPUs: r.UsedVCPUs, UsedMemoryMiB: r.UsedMemoryMiB, RunningJobs: r.RunningJobs, Draining: r.Draining}
		if r.LastBusyAt > 0 {
			l.LastBusyAt = time.UnixMilli(r.LastBusyAt)
		}
		if r.LastSeenAt > 0 {
			l.LastSeenAt = time.UnixMilli(r.LastSeenAt)
		}
		held, err := o.Control.HeldBy(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		if len(held) > 0 {
			l.RunningJobs, l.UsedVCPUs, l.UsedMemoryMiB = len(held), 0, 0
			for _, j := range held {
				l.UsedVCPUs += j.Internal.VCPUs
				l.UsedMemoryMiB += j.Internal.MemoryMiB
				l.UsedGPUs += j.Internal.GPUs
			}
			l.LastBusyAt = o.Clock.Now()
		}
		out[r.ID] = l
	}
	return out, nil
}

// RecordDecision stores a pass's decision with its compute environment.
func (o Observer) RecordDecision(ctx context.Context, ce string, d batch.ScalingDecision) error {
	return o.Control.RecordDecision(ctx, ce, d)
}

// ForgetComputeEnvironment removes a deleted compute environment.
func (o Observer) ForgetComputeEnvironment(ctx context.Context, ce string) error {
	return o.Control.ForgetComputeEnvironment(ctx, ce)
}

// ForgetInstance drops an instance's record, ending its attempts.
func (o Observer) ForgetInstance(ctx context.Context, ce, id string) error {
	return o.Control.ForgetInstance(ctx, ce, id)
}
