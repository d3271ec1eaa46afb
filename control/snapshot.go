package control

import (
	"context"
	"fmt"
	"sort"

	"github.com/tanda-batch/tanda/batch"
)

// GetJobQueueSnapshot shows the first 100 RUNNABLE jobs of a queue in
// dispatch order and the capacity its jobs use.
func (s *Service) GetJobQueueSnapshot(ctx context.Context, in *batch.GetJobQueueSnapshotInput) (*batch.GetJobQueueSnapshotOutput, error) {
	if in.JobQueue == "" {
		return nil, batch.Clientf("jobQueue is required")
	}
	q, err := s.JobQueue(ctx, in.JobQueue)
	if err != nil {
		return nil, err
	}
	pg, err := s.store.ListJobs(ctx, batch.JobQuery{Queue: q.JobQueueName, Statuses: []batch.Status{batch.Runnable}, Order: batch.QueueOrder, Limit: 100})
	if err != nil {
		return nil, fmt.Errorf("listing RUNNABLE jobs: %w", err)
	}
	now := s.nowMillis()
	usage, err := s.shareUsage(ctx, q.JobQueueName)
	if err != nil {
		return nil, err
	}
	front := pg.Jobs
	if q.SchedulingPolicyArn != "" {
		sp, err := s.SchedulingPolicy(ctx, q.SchedulingPolicyArn)
		if err != nil {
			return nil, err
		}
		front = batch.FairShareOrder(sp.FairsharePolicy, usage, pg.Jobs, len(pg.Jobs))
	}
	out := &batch.GetJobQueueSnapshotOutput{
		FrontOfQueue:     &batch.FrontOfQueueDetail{Jobs: make([]batch.FrontOfQueueJobSummary, 0, len(front)), LastUpdatedAt: now},
		QueueUtilization: &batch.QueueUtilization{LastUpdatedAt: now},
	}
	for _, j := range front {
		at := j.Internal.RunnableAt
		if j.Internal.LastProgressAt > at {
			at = j.Internal.LastProgressAt
		}
		out.FrontOfQueue.Jobs = append(out.FrontOfQueue.Jobs, batch.FrontOfQueueJobSummary{JobArn: j.JobArn, EarliestTimeAtPosition: at})
	}
	total := 0.0
	shares := make([]batch.ShareCapacityUsage, 0, len(usage))
	for share, v := range usage {
		total += v
		shares = append(shares, batch.ShareCapacityUsage{ShareIdentifier: share, CapacityUsage: []batch.CapacityUsage{{CapacityUnit: "VCPU", Quantity: v}}})
	}
	out.QueueUtilization.TotalCapacityUsage = []batch.CapacityUsage{{CapacityUnit: "VCPU", Quantity: total}}
	if q.SchedulingPolicyArn != "" {
		sort.Slice(shares, func(a, b int) bool {
			return shares[a].CapacityUsage[0].Quantity > shares[b].CapacityUsage[0].Quantity
		})
		if len(shares) > 20 {
			shares = shares[:20]
		}
		out.QueueUtilization.FairshareUtilization = &batch.FairshareUtilization{ActiveShareCount: len(usage), TopCapacityUtilization: shares}
	}
	return out, nil
}
