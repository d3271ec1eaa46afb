package control

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// InstanceRecord is what an agent reports about its instance: its size and
// how much of it its jobs use. The provisioner reads these as loads.
type InstanceRecord struct {
	ID                 string  `json:"id"`
	ComputeEnvironment string  `json:"computeEnvironment"`
	InstanceType       string  `json:"instanceType,omitempty"`
	VCPUs              float64 `json:"vcpus"`
	MemoryMiB          int64   `json:"memoryMiB"`
	GPUs               int64   `json:"gpus,omitempty"`
	UsedVCPUs          float64 `json:"usedVcpus"`
	UsedMemoryMiB      int64   `json:"usedMemoryMiB"`
	RunningJobs        int     `json:"runningJobs"`
	RegisteredAt       int64   `json:"registeredAt"`
	LastSeenAt         int64   `json:"lastSeenAt"`
	LastBusyAt         int64   `json:"lastBusyAt,omitempty"`
	Draining           bool    `json:"draining,omitempty"`
}

func instanceKey(ce, id string) string { return ce + "/" + id }

// ReportInstance registers an instance or refreshes its load. The record
// is written by its own agent only.
func (s *Service) ReportInstance(ctx context.Context, rec InstanceRecord) error {
	now := s.nowMillis()
	rec.LastSeenAt = now
	key := instanceKey(rec.ComputeEnvironment, rec.ID)
	for range maxConflictRetries {
		prev, ver, err := getDoc[InstanceRecord](ctx, s.store, batch.KindInstance, key)
		switch {
		case errors.Is(err, batch.ErrNotFound):
			rec.RegisteredAt = now
		case err != nil:
			return fmt.Errorf("reading instance %s: %w", rec.ID, err)
		default:
			rec.RegisteredAt = prev.RegisteredAt
			if rec.LastBusyAt == 0 {
				rec.LastBusyAt = prev.LastBusyAt
			}
			rec.Draining = rec.Draining || prev.Draining
		}
		if _, err := putDoc(ctx, s.store, batch.KindInstance, key, rec, ver); err != nil {
			if errors.Is(err, batch.ErrConflict) {
				continue
			}
			return fmt.Errorf("writing instance %s: %w", rec.ID, err)
		}
		return nil
	}
	return fmt.Errorf("writing instance %s: %w", rec.ID, batch.ErrConflict)
}

// DrainInstance asks an instance's agent to take no more work.
func (s *Service) DrainInstance(ctx context.Context, ce, id string) error {
	_, err := updateDoc(ctx, s.store, batch.KindInstance, instanceKey(ce, id), func(r *InstanceRecord) error {
		if r.Draining {
			return errNoChange
		}
		r.Draining = true
		return nil
	})
	if errors.Is(err, batch.ErrNotFound) {
		return nil
	}
	return err
}

// ForgetInstance removes a retired instance's record and ends the attempts
// it still held, as a host loss.
func (s *Service) ForgetInstance(ctx context.Context, ce, id string) error {
	if _, err := s.ReleaseInstance(ctx, id); err != nil {
		return err
	}
	err := s.store.DeleteItem(ctx, batch.KindInstance, instanceKey(ce, id), 0)
	if err != nil && !errors.Is(err, batch.ErrNotFound) {
		return fmt.Errorf("forgetting instance %s: %w", id, err)
	}
	return nil
}

// Instances lists the instances registered in a compute environment.
func (s *Service) Instances(ctx context.Context, ce string) ([]InstanceRecord, error) {
	recs, _, err := listDocs[InstanceRecord](ctx, s.store, batch.KindInstance, ce+"/")
	return recs, err
}

// Demand summarizes the RUNNABLE jobs a compute environment should provide
// capacity for: those of the ENABLED queues it serves, highest queue
// priority first, each queue in its own order, at most limit, as runs of
// jobs alike (Store.SummarizeRunnable; waitedSince splits the runs). A
// queue's demand counts towards one compute environment at a time, the
// first in its order that can grow, so two environments never launch for
// the same jobs.
func (s *Service) Demand(ctx context.Context, ceName string, limit int, waitedSince time.Time) ([]batch.DemandRun, error) {
	queues, err := s.QueuesOf(ctx, ceName)
	if err != nil {
		return nil, err
	}
	ces, err := s.ComputeEnvironments(ctx)
	if err != nil {
		return nil, err
	}
	byArn := make(map[string]batch.ComputeEnvironment, len(ces))
	for _, ce := range ces {
		byArn[ce.ComputeEnvironmentArn] = ce
	}
	var out []batch.DemandRun
	n := 0
	for _, q := range queues {
		if n >= limit {
			break
		}
		if growing(q, byArn) != ceName {
			continue
		}
		runs, err := s.store.SummarizeRunnable(ctx, batch.DemandQuery{Queue: q.JobQueueName, Limit: limit - n, WaitedSince: batch.Millis(waitedSince)})
		if err != nil {
			return nil, fmt.Errorf("reading demand of %s: %w", q.JobQueueName, err)
		}
		for _, r := range runs {
			n += r.Count
		}
		out = append(out, runs...)
	}
	return out, nil
}

// growing names the compute environment a queue's demand goes to: the first
// in the queue's order that is usable and below maxvCpus, or else the first
// usable one.
func growing(q batch.JobQueue, byArn map[string]batch.ComputeEnvironment) string {
	first := ""
	for _, o := range q.ComputeEnvironmentOrder {
		ce, ok := byArn[o.ComputeEnvironment]
		if !ok || ce.State != batch.StateEnabled || ce.Status != batch.StatusValid || ce.ComputeResources == nil {
			continue
		}
		if first == "" {
			first = ce.ComputeEnvironmentName
		}
		cr := ce.ComputeResources
		if cr.MaxvCpus == nil || cr.DesiredvCpus == nil || *cr.DesiredvCpus < *cr.MaxvCpus {
			return ce.ComputeEnvironmentName
		}
	}
	return first
}

// QueuesOf lists the ENABLED job queues a compute environment serves,
// highest priority first. A DISABLED compute environment takes no new
// jobs, so it serves none.
func (s *Service) QueuesOf(ctx context.Context, ceName string) ([]batch.JobQueue, error) {
	ce, err := s.ComputeEnvironment(ctx, ceName)
	if batch.IsClientError(err) {
		return nil, nil // deleted
	}
	if err != nil {
		return nil, err
	}
	if ce.State != batch.StateEnabled || ce.Status == batch.StatusDeleting {
		return nil, nil
	}
	all, err := s.JobQueues(ctx)
	if err != nil {
		return nil, err
	}
	arn := s.opts.Partition.ComputeEnvironmentARN(ceName)
	var out []batch.JobQueue
	for _, q := range all {
		if q.State != batch.StateEnabled {
			continue
		}
		for _, o := range q.ComputeEnvironmentOrder {
			if o.ComputeEnvironment == arn {
				out = append(out, q)
				break
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Priority > out[b].Priority })
	return out, nil
}

// RecordDecision stores the provisioner's latest decision for a compute
// environment and its desiredvCpus, for DescribeComputeEnvironments: in
// tandaLastScalingDecision (and, if it launched or retired instances, in
// tandaLastScalingChange), and in words in statusReason, which every
// client shows: the latest decision, and the last change if it was earlier.
func (s *Service) RecordDecision(ctx context.Context, ceName string, d batch.ScalingDecision) error {
	_, err := updateDoc(ctx, s.store, batch.KindComputeEnvironment, ceName, func(ce *batch.ComputeEnvironment) error {
		if ce.ComputeResources == nil {
			return errNoChange
		}
		if ce.Decision != nil && ce.Decision.Reason == d.Reason && ce.Decision.DesiredvCpus == d.DesiredvCpus &&
			len(d.Launch) == 0 && len(d.Retire) == 0 && ce.ComputeResources.DesiredvCpus != nil && *ce.ComputeResources.DesiredvCpus == d.DesiredvCpus {
			return errNoChange // nothing new to say: spare the write
		}
		ce.Decision = &d
		if len(d.Launch) > 0 || len(d.Retire) > 0 {
			ce.LastChange = &d
		}
		ce.ComputeResources.DesiredvCpus = intPtr(d.DesiredvCpus)
		if ce.Status == batch.StatusValid {
			// statusReason is what every client shows; the decision
			// itself is tandaLastScalingDecision. A pass that changes
			// nothing does not hide the last one that did: a retirement
			// is followed a pass later by "no RUNNABLE jobs".
			ce.StatusReason = fmt.Sprintf("ComputeEnvironment Healthy. Last scaling decision (%s): %s",
				time.UnixMilli(d.At).UTC().Format(time.RFC3339), d.Reason)
			if c := ce.LastChange; c != nil && c.At != d.At {
				ce.StatusReason += fmt.Sprintf(". Last change (%s): %s", time.UnixMilli(c.At).UTC().Format(time.RFC3339), c.Reason)
			}
		}
		return nil
	})
	if errors.Is(err, batch.ErrNotFound) {
		return nil
	}
	return err
}
