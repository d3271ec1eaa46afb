package control

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// Reasons a RUNNABLE job waits, as AWS Batch words them. The part before
// " - " is the key jobStateTimeLimitActions match.
const (
	BlockedMisconfiguredResources = "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement (vCPU/memory/GPU) is higher than that can be met by the CE(s) attached to the job queue."
	BlockedMaxResource            = "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - CE(s) associated with the job queue cannot meet the CPU requirement of the job."
	BlockedInvalid                = "ACTION_REQUIRED - CE(s) associated with the job queue are invalid."
	blockedCapacityFmt            = "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY - Service cannot fulfill the capacity requested: compute environment(s) %s are at maxvCpus"
)

// QueuePassOptions tune a pass over the job queues.
type QueuePassOptions struct {
	// Head is how many RUNNABLE jobs at the front of each queue are examined.
	Head int
	// FairShareWindow is how many jobs of a fair-share queue are offered to
	// agents at a time, in share order.
	FairShareWindow int
	// Every is the time between two passes, and ReringAfter how long a
	// RUNNABLE job at the front of its queue waits before its doorbell is
	// rung again (then twice that, and so on; see reringDue). Either 0: no
	// rings.
	Every, ReringAfter time.Duration
}

// QueuePass does the periodic per-queue work: explains why the front of
// each queue waits (statusReason), applies jobStateTimeLimitActions,
// offers fair-share queues' jobs to agents in share order, and rings again
// the doorbells of jobs at the front that may have lost theirs.
func (s *Service) QueuePass(ctx context.Context, o QueuePassOptions) error {
	queues, err := s.JobQueues(ctx)
	if err != nil {
		return err
	}
	ces, err := s.ComputeEnvironments(ctx)
	if err != nil {
		return err
	}
	byArn := make(map[string]batch.ComputeEnvironment, len(ces))
	for _, ce := range ces {
		byArn[ce.ComputeEnvironmentArn] = ce
	}
	gap := time.Duration(0)
	if o.Every > 0 {
		gap = s.gaps.since("queue pass", s.now(), o.Every)
	}
	var errs []error
	for _, q := range queues {
		if err := s.queuePass(ctx, q, byArn, o, gap); err != nil {
			errs = append(errs, fmt.Errorf("job queue %s: %w", q.JobQueueName, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Service) queuePass(ctx context.Context, q batch.JobQueue, byArn map[string]batch.ComputeEnvironment, o QueuePassOptions, gap time.Duration) error {
	pg, err := s.store.ListJobs(ctx, batch.JobQuery{Queue: q.JobQueueName, Statuses: []batch.Status{batch.Runnable}, Order: batch.QueueOrder, Limit: o.Head})
	if err != nil {
		return fmt.Errorf("listing RUNNABLE jobs: %w", err)
	}
	if len(pg.Jobs) == 0 {
		return nil
	}
	var ces []batch.ComputeEnvironment
	for _, ord := range q.ComputeEnvironmentOrder {
		if ce, ok := byArn[ord.ComputeEnvironment]; ok {
			ces = append(ces, ce)
		}
	}
	if q.SchedulingPolicyArn != "" && q.State == batch.StateEnabled {
		window, err := s.fairShareWindow(ctx, ces, pg.Jobs[0].Internal.VCPUs, o.FairShareWindow)
		if err != nil {
			return err
		}
		if err := s.dispatchFairShare(ctx, q, pg.Jobs, window); err != nil {
			return err
		}
	} else if err := s.reringHead(ctx, pg.Jobs, o, gap); err != nil {
		return err
	}
	now := s.nowMillis()
	for i, j := range pg.Jobs {
		reason := s.blockedReason(&j, ces, i == 0)
		if blockedChanges(j, reason) {
			if err := s.setBlocked(ctx, j.JobID, reason, now); err != nil {
				return err
			}
		}
		if reason == "" {
			continue
		}
		key, _, _ := strings.Cut(reason, " - ")
		for _, a := range q.JobStateTimeLimitActions {
			if a.State != batch.Runnable.String() || a.Reason != key || !strings.EqualFold(a.Action, "CANCEL") {
				continue
			}
			since := j.Internal.BlockedSince
			if j.StatusReason != reason || since == 0 {
				since = now
			}
			if now-since >= int64(a.MaxTimeSeconds)*1000 {
				if err := s.stopJob(ctx, j.JobID, fmt.Sprintf(reasonTimeLimitFmt, key), false); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// blockedReason says why a RUNNABLE job cannot start, or "" when it can
// expect capacity.
func (s *Service) blockedReason(j *batch.Job, ces []batch.ComputeEnvironment, head bool) string {
	var usable []batch.ComputeEnvironment
	invalid := 0
	for _, ce := range ces {
		switch {
		case ce.Status == batch.StatusInvalid || ce.Status == batch.StatusDeleting:
			invalid++
		case ce.State == batch.StateEnabled && ce.ComputeResources != nil:
			usable = append(usable, ce)
		}
	}
	if len(usable) == 0 {
		if invalid > 0 {
			return BlockedInvalid
		}
		return ""
	}
	fitsMax, fitsType := false, false
	for _, ce := range usable {
		cr := ce.ComputeResources
		if cr.MaxvCpus != nil && float64(*cr.MaxvCpus) >= j.Internal.VCPUs {
			fitsMax = true
		}
		if s.opts.InstanceTypes == nil || s.opts.InstanceTypes.Fits(cr.InstanceTypes, cr.Type, j.Internal.VCPUs, j.Internal.MemoryMiB, j.Internal.GPUs) {
			fitsType = true
		}
	}
	switch {
	case !fitsType:
		return BlockedMisconfiguredResources
	case !fitsMax:
		return BlockedMaxResource
	}
	if !head {
		return ""
	}
	var atMax []string
	for _, ce := range usable {
		cr := ce.ComputeResources
		if cr.MaxvCpus == nil || cr.DesiredvCpus == nil || *cr.DesiredvCpus < *cr.MaxvCpus {
			return ""
		}
		atMax = append(atMax, ce.ComputeEnvironmentName)
	}
	return fmt.Sprintf(blockedCapacityFmt, strings.Join(atMax, ", "))
}

// setBlocked records a RUNNABLE job's blocked reason and since when.
func (s *Service) setBlocked(ctx context.Context, id, reason string, now int64) error {
	_, err := s.mutateJob(ctx, id, func(j *batch.Job) ([]batch.Message, error) {
		if !blockedChanges(*j, reason) {
			return nil, errNoChange
		}
		j.StatusReason = reason
		j.Internal.BlockedSince = 0
		if reason != "" {
			j.Internal.BlockedSince = now
		}
		return nil, nil
	})
	if errors.Is(err, batch.ErrNotFound) {
		return nil
	}
	return err
}

// blockedChanges reports whether setBlocked would change the job as the
// pass listed it: most passes change nothing, and setBlocked reads the
// job again (a GetItem on DynamoDB) to find that out. A job changed since
// the listing is set right by the next pass.
func blockedChanges(j batch.Job, reason string) bool {
	if j.Status != batch.Runnable || j.StatusReason == reason {
		return false
	}
	return reason != "" || isBlockedReason(j.StatusReason)
}

func isBlockedReason(r string) bool {
	for _, p := range []string{"MISCONFIGURATION:", "CAPACITY:", "ACTION_REQUIRED", "UNDETERMINED"} {
		if strings.HasPrefix(r, p) {
			return true
		}
	}
	return false
}

// fairShareWindow is how many jobs of a fair-share queue to offer now:
// about as many as the free capacity of its compute environments can start
// (at least one, at most max), so that the order of the offers is the order
// in which jobs start. Free capacity comes from the agents' reports.
func (s *Service) fairShareWindow(ctx context.Context, ces []batch.ComputeEnvironment, jobVCPUs float64, max int) (int, error) {
	free := 0.0
	for _, ce := range ces {
		recs, err := s.Instances(ctx, ce.ComputeEnvironmentName)
		if err != nil {
			return 0, err
		}
		for _, r := range recs {
			if !r.Draining && r.VCPUs > r.UsedVCPUs {
				free += r.VCPUs - r.UsedVCPUs
			}
		}
	}
	n := 1
	if jobVCPUs > 0 {
		n = int(free / jobVCPUs)
	}
	return min(max, n+1), nil
}

// dispatchFairShare rings the ready doorbells of the next jobs of a
// fair-share queue in share order.
func (s *Service) dispatchFairShare(ctx context.Context, q batch.JobQueue, waiting []batch.Job, window int) error {
	sp, err := s.SchedulingPolicy(ctx, q.SchedulingPolicyArn)
	if err != nil {
		return err
	}
	running, err := s.shareUsage(ctx, q.JobQueueName)
	if err != nil {
		return err
	}
	next := batch.FairShareOrder(sp.FairsharePolicy, running, waiting, window)
	msgs := make([]batch.Message, 0, len(next))
	for _, j := range next {
		msgs = append(msgs, batch.Message{Queue: ReadyQueue(q.JobQueueName), ID: j.JobID})
	}
	return s.send(ctx, msgs...)
}

// shareUsage sums the vCPUs of a queue's STARTING and RUNNING jobs by share.
func (s *Service) shareUsage(ctx context.Context, queue string) (map[string]float64, error) {
	usage := map[string]float64{}
	q := batch.JobQuery{Queue: queue, Statuses: []batch.Status{batch.Starting, batch.Running}, Limit: 1000}
	for {
		pg, err := s.store.ListJobs(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("listing running jobs: %w", err)
		}
		for _, j := range pg.Jobs {
			usage[j.ShareIdentifier] += j.Internal.VCPUs
		}
		if pg.Cursor == "" {
			return usage, nil
		}
		q.Cursor = pg.Cursor
	}
}
