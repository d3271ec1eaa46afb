package control

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/tanda-batch/tanda/batch"
)

// QueueCreator is met by Queues that must create a queue before it is
// used (SQS, where *sqsqueue.Queues has Ensure): CreateJobQueue creates the
// job queue's ready queue first, as DeleteJobQueue deletes it.
type QueueCreator interface {
	// Ensure creates a queue unless it exists.
	Ensure(ctx context.Context, queue string) error
}

// CreateJobQueue creates a job queue over up to three compute environments.
// With Queues that are a QueueCreator, its ready queue is created before
// the job queue is written, so a failure leaves no job queue behind.
func (s *Service) CreateJobQueue(ctx context.Context, in *batch.CreateJobQueueInput) (*batch.JobQueueOutput, error) {
	if err := batch.ValidateCreateJobQueue(in); err != nil {
		return nil, err
	}
	order, err := s.resolveCEOrder(ctx, in.ComputeEnvironmentOrder)
	if err != nil {
		return nil, err
	}
	if in.SchedulingPolicyArn != "" {
		if _, err := s.SchedulingPolicy(ctx, in.SchedulingPolicyArn); err != nil {
			return nil, err
		}
	}
	state := in.State
	if state == "" {
		state = batch.StateEnabled
	}
	q := batch.JobQueue{
		JobQueueName:             in.JobQueueName,
		JobQueueArn:              s.opts.Partition.JobQueueARN(in.JobQueueName),
		State:                    state,
		SchedulingPolicyArn:      in.SchedulingPolicyArn,
		Status:                   batch.StatusValid,
		StatusReason:             "JobQueue Healthy",
		Priority:                 *in.Priority,
		ComputeEnvironmentOrder:  order,
		Tags:                     in.Tags,
		JobQueueType:             in.JobQueueType,
		JobStateTimeLimitActions: in.JobStateTimeLimitActions,
	}
	if q.JobQueueType == "" {
		q.JobQueueType = "ECS"
	}
	if c, ok := s.opts.Queues.(QueueCreator); ok {
		if err := c.Ensure(ctx, ReadyQueue(q.JobQueueName)); err != nil {
			return nil, fmt.Errorf("creating the ready queue of %s: %w", q.JobQueueName, err)
		}
	}
	if _, err := putDoc(ctx, s.store, batch.KindJobQueue, q.JobQueueName, q, 0); err != nil {
		if errors.Is(err, batch.ErrConflict) {
			return nil, batch.Clientf("Object already exists: job queue %s", q.JobQueueName)
		}
		return nil, fmt.Errorf("creating job queue: %w", err)
	}
	return &batch.JobQueueOutput{JobQueueName: q.JobQueueName, JobQueueArn: q.JobQueueArn}, nil
}

// resolveCEOrder checks that each compute environment exists and is usable
// and returns the order with ARNs, sorted by order.
func (s *Service) resolveCEOrder(ctx context.Context, in []batch.ComputeEnvironmentOrder) ([]batch.ComputeEnvironmentOrder, error) {
	out := make([]batch.ComputeEnvironmentOrder, 0, len(in))
	for i, o := range in {
		ce, err := s.ComputeEnvironment(ctx, o.ComputeEnvironment)
		if err != nil {
			return nil, fmt.Errorf("computeEnvironmentOrder[%d]: %w", i, err)
		}
		if ce.Status == batch.StatusDeleting {
			return nil, batch.Clientf("computeEnvironmentOrder[%d]: compute environment %s is being deleted", i, ce.ComputeEnvironmentName)
		}
		out = append(out, batch.ComputeEnvironmentOrder{Order: o.Order, ComputeEnvironment: ce.ComputeEnvironmentArn})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Order < out[b].Order })
	return out, nil
}

// JobQueue reads a job queue by name or ARN.
func (s *Service) JobQueue(ctx context.Context, ref string) (batch.JobQueue, error) {
	name, err := s.resolveName(ref, resJobQueue, "JobQueue")
	if err != nil {
		return batch.JobQueue{}, err
	}
	q, ver, err := getDoc[batch.JobQueue](ctx, s.store, batch.KindJobQueue, name)
	if errors.Is(err, batch.ErrNotFound) {
		return q, batch.Clientf("JobQueue %s not found.", ref)
	}
	q.Version = ver
	return q, err
}

// JobQueues lists every job queue, by name.
func (s *Service) JobQueues(ctx context.Context) ([]batch.JobQueue, error) {
	all, versions, err := listDocs[batch.JobQueue](ctx, s.store, batch.KindJobQueue, "")
	for i := range all {
		all[i].Version = versions[i]
	}
	return all, err
}

// UpdateJobQueue changes a job queue.
func (s *Service) UpdateJobQueue(ctx context.Context, in *batch.UpdateJobQueueInput) (*batch.JobQueueOutput, error) {
	if err := batch.ValidateUpdateJobQueue(in); err != nil {
		return nil, err
	}
	name, err := s.resolveName(in.JobQueue, resJobQueue, "JobQueue")
	if err != nil {
		return nil, err
	}
	var order []batch.ComputeEnvironmentOrder
	if in.ComputeEnvironmentOrder != nil {
		if order, err = s.resolveCEOrder(ctx, in.ComputeEnvironmentOrder); err != nil {
			return nil, err
		}
	}
	if in.SchedulingPolicyArn != "" {
		if _, err := s.SchedulingPolicy(ctx, in.SchedulingPolicyArn); err != nil {
			return nil, err
		}
	}
	q, err := updateDoc(ctx, s.store, batch.KindJobQueue, name, func(q *batch.JobQueue) error {
		if err := batch.CheckJobQueueUpdate(q, in); err != nil {
			return err
		}
		if in.State != "" {
			q.State = in.State
		}
		if in.SchedulingPolicyArn != "" {
			q.SchedulingPolicyArn = in.SchedulingPolicyArn
		}
		if in.Priority != nil {
			q.Priority = *in.Priority
		}
		if order != nil {
			q.ComputeEnvironmentOrder = order
		}
		if in.JobStateTimeLimitActions != nil {
			q.JobStateTimeLimitActions = in.JobStateTimeLimitActions
		}
		return nil
	})
	if errors.Is(err, batch.ErrNotFound) {
		return nil, batch.Clientf("JobQueue %s not found.", in.JobQueue)
	}
	if err != nil {
		return nil, err
	}
	return &batch.JobQueueOutput{JobQueueName: q.JobQueueName, JobQueueArn: q.JobQueueArn}, nil
}

// DescribeJobQueues lists job queues.
func (s *Service) DescribeJobQueues(ctx context.Context, in *batch.DescribeJobQueuesInput) (*batch.DescribeJobQueuesOutput, error) {
	if err := batch.ValidateDescribeJobQueues(in); err != nil {
		return nil, err
	}
	limit, err := pageLimit(in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	all, err := s.JobQueues(ctx)
	if err != nil {
		return nil, err
	}
	if len(in.JobQueues) > 0 {
		want, err := s.nameSet(in.JobQueues, resJobQueue)
		if err != nil {
			return nil, err
		}
		all = filter(all, func(q batch.JobQueue) bool { return want[q.JobQueueName] })
	}
	pg, next, err := page(all, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	for i := range pg {
		batch.PresentJobQueue(&pg[i])
	}
	return &batch.DescribeJobQueuesOutput{JobQueues: pg, NextToken: next}, nil
}

// DeleteJobQueue deletes a DISABLED job queue. Its unfinished jobs are
// cancelled or terminated with the reason "JobQueue deleted".
func (s *Service) DeleteJobQueue(ctx context.Context, in *batch.DeleteJobQueueInput) error {
	if in.JobQueue == "" {
		return batch.Clientf("jobQueue is required")
	}
	q, err := s.JobQueue(ctx, in.JobQueue)
	if err != nil {
		return err
	}
	if q.State != batch.StateDisabled {
		return batch.Clientf("Cannot delete job queue %s: it must be DISABLED first (UpdateJobQueue --state DISABLED).", q.JobQueueName)
	}
	if err := s.endQueueJobs(ctx, q.JobQueueName); err != nil {
		return err
	}
	if err := s.store.DeleteItem(ctx, batch.KindJobQueue, q.JobQueueName, 0); err != nil && !errors.Is(err, batch.ErrNotFound) {
		return fmt.Errorf("deleting job queue %s: %w", q.JobQueueName, err)
	}
	if s.opts.Queues != nil {
		if err := s.opts.Queues.DeleteQueue(ctx, ReadyQueue(q.JobQueueName)); err != nil {
			return fmt.Errorf("deleting ready queue of %s: %w", q.JobQueueName, err)
		}
	}
	return nil
}

// endQueueJobs stops every unfinished job of a queue.
func (s *Service) endQueueJobs(ctx context.Context, queue string) error {
	q := batch.JobQuery{Queue: queue, TopLevel: true, Limit: 500,
		Statuses: []batch.Status{batch.Submitted, batch.Pending, batch.Runnable, batch.Starting, batch.Running}}
	for {
		pg, err := s.store.ListJobs(ctx, q)
		if err != nil {
			return fmt.Errorf("listing jobs of %s: %w", queue, err)
		}
		for _, j := range pg.Jobs {
			if err := s.stopJob(ctx, j.JobID, "JobQueue deleted", true); err != nil {
				return err
			}
		}
		if pg.Cursor == "" {
			return nil
		}
		q.Cursor = pg.Cursor
	}
}
