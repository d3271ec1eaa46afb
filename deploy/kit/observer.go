package kit

import (
	"context"
	"fmt"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/provisioner"
)

// InstanceLister lists a compute environment's instances; a
// provisioner.Fleet is one.
type InstanceLister interface {
	Instances(ctx context.Context, ce string) ([]provisioner.Instance, error)
}

// Observer shows the control plane to the provisioner
// (provisioner.Observer).
type Observer struct {
	Control *control.Service
	Fleet   InstanceLister
	Clock   batch.Clock
	// ForgetSilentAfter, when positive, makes Loads forget instances whose
	// agent has not reported for that long, ending their attempts as host
	// losses: the records of instances lost without a Terminate (Spot
	// reclaimed, crashed) do not stay forever, and such an instance, if it
	// still runs, looks unregistered and is retired. Zero keeps every
	// record, for fleets that forget their own instances.
	ForgetSilentAfter time.Duration
}

var _ provisioner.Observer = Observer{}

// ComputeEnvironments lists the compute environments. A DELETING one is
// shown DISABLED with minvCpus 0, so that it shrinks to nothing, and is
// forgotten once it has no instance left.
func (o Observer) ComputeEnvironments(ctx context.Context) ([]batch.ComputeEnvironment, error) {
	all, err := o.Control.ComputeEnvironments(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, ce := range all {
		if ce.Status == batch.StatusDeleting {
			insts, err := o.Fleet.Instances(ctx, ce.ComputeEnvironmentName)
			if err != nil {
				return nil, err
			}
			if len(insts) == 0 {
				if err := o.Control.ForgetComputeEnvironment(ctx, ce.ComputeEnvironmentName); err != nil {
					return nil, err
				}
				continue
			}
			ce.State = batch.StateDisabled
			if ce.ComputeResources != nil {
				zero := 0
				ce.ComputeResources.MinvCpus = &zero
			}
		}
		out = append(out, ce)
	}
	return out, nil
}

// Demand lists the RUNNABLE jobs a compute environment provides for.
func (o Observer) Demand(ctx context.Context, ce string, limit int) ([]provisioner.Job, error) {
	jobs, err := o.Control.Demand(ctx, ce, limit)
	if err != nil {
		return nil, err
	}
	out := make([]provisioner.Job, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, provisioner.Job{ID: j.JobID, VCPUs: j.Internal.VCPUs, MemoryMiB: j.Internal.MemoryMiB, GPUs: j.Internal.GPUs})
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
		if o.silent(r) {
			if err := o.Control.ForgetInstance(ctx, ce, r.ID); err != nil {
				return nil, fmt.Errorf("forgetting silent instance %s: %w", r.ID, err)
			}
			continue
		}
		l := provisioner.Load{UsedVCPUs: r.UsedVCPUs, UsedMemoryMiB: r.UsedMemoryMiB, RunningJobs: r.RunningJobs, Draining: r.Draining}
		if r.LastBusyAt > 0 {
			l.LastBusyAt = time.UnixMilli(r.LastBusyAt)
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

// silent reports whether an instance's agent has not reported for
// ForgetSilentAfter.
func (o Observer) silent(r control.InstanceRecord) bool {
	return o.ForgetSilentAfter > 0 && o.Clock.Now().Sub(time.UnixMilli(r.LastSeenAt)) > o.ForgetSilentAfter
}

// RecordDecision stores a pass's decision with its compute environment.
func (o Observer) RecordDecision(ctx context.Context, ce string, d batch.ScalingDecision) error {
	return o.Control.RecordDecision(ctx, ce, d)
}
