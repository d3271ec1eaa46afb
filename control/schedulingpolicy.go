package control

import (
	"context"
	"errors"
	"fmt"

	"github.com/tanda-batch/tanda/batch"
)

// CreateSchedulingPolicy creates a fair-share scheduling policy.
func (s *Service) CreateSchedulingPolicy(ctx context.Context, in *batch.CreateSchedulingPolicyInput) (*batch.CreateSchedulingPolicyOutput, error) {
	if err := batch.ValidateCreateSchedulingPolicy(in); err != nil {
		return nil, err
	}
	sp := batch.SchedulingPolicy{
		Name:            in.Name,
		Arn:             s.opts.Partition.SchedulingPolicyARN(in.Name),
		FairsharePolicy: in.FairsharePolicy,
		Tags:            in.Tags,
	}
	if _, err := putDoc(ctx, s.store, batch.KindSchedulingPolicy, sp.Name, sp, 0); err != nil {
		if errors.Is(err, batch.ErrConflict) {
			return nil, batch.Clientf("Object already exists: scheduling policy %s", sp.Name)
		}
		return nil, fmt.Errorf("creating scheduling policy: %w", err)
	}
	return &batch.CreateSchedulingPolicyOutput{Name: sp.Name, Arn: sp.Arn}, nil
}

// SchedulingPolicy reads a scheduling policy by ARN (or name).
func (s *Service) SchedulingPolicy(ctx context.Context, ref string) (batch.SchedulingPolicy, error) {
	name, err := s.resolveName(ref, resSchedulingPolicy, "SchedulingPolicy")
	if err != nil {
		return batch.SchedulingPolicy{}, err
	}
	sp, ver, err := getDoc[batch.SchedulingPolicy](ctx, s.store, batch.KindSchedulingPolicy, name)
	if errors.Is(err, batch.ErrNotFound) {
		return sp, batch.Clientf("SchedulingPolicy %s not found.", ref)
	}
	sp.Version = ver
	return sp, err
}

// DescribeSchedulingPolicies describes policies by ARN; unknown ARNs are left out.
func (s *Service) DescribeSchedulingPolicies(ctx context.Context, in *batch.DescribeSchedulingPoliciesInput) (*batch.DescribeSchedulingPoliciesOutput, error) {
	if err := batch.ValidateDescribeSchedulingPolicies(in); err != nil {
		return nil, err
	}
	out := &batch.DescribeSchedulingPoliciesOutput{SchedulingPolicies: []batch.SchedulingPolicy{}}
	for _, arn := range in.Arns {
		sp, err := s.SchedulingPolicy(ctx, arn)
		if batch.IsClientError(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		batch.PresentSchedulingPolicy(&sp)
		out.SchedulingPolicies = append(out.SchedulingPolicies, sp)
	}
	return out, nil
}

// ListSchedulingPolicies lists policy ARNs.
func (s *Service) ListSchedulingPolicies(ctx context.Context, in *batch.ListSchedulingPoliciesInput) (*batch.ListSchedulingPoliciesOutput, error) {
	if err := batch.ValidateListSchedulingPolicies(in); err != nil {
		return nil, err
	}
	limit, err := pageLimit(in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	all, _, err := listDocs[batch.SchedulingPolicy](ctx, s.store, batch.KindSchedulingPolicy, "")
	if err != nil {
		return nil, err
	}
	pg, next, err := page(all, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	out := &batch.ListSchedulingPoliciesOutput{SchedulingPolicies: make([]batch.SchedulingPolicyListingDetail, 0, len(pg)), NextToken: next}
	for _, sp := range pg {
		out.SchedulingPolicies = append(out.SchedulingPolicies, batch.SchedulingPolicyListingDetail{Arn: sp.Arn})
	}
	return out, nil
}

// UpdateSchedulingPolicy replaces a policy's fair-share settings.
func (s *Service) UpdateSchedulingPolicy(ctx context.Context, in *batch.UpdateSchedulingPolicyInput) error {
	if err := batch.ValidateUpdateSchedulingPolicy(in); err != nil {
		return err
	}
	name, err := s.resolveName(in.Arn, resSchedulingPolicy, "SchedulingPolicy")
	if err != nil {
		return err
	}
	_, err = updateDoc(ctx, s.store, batch.KindSchedulingPolicy, name, func(sp *batch.SchedulingPolicy) error {
		sp.FairsharePolicy = in.FairsharePolicy
		return nil
	})
	if errors.Is(err, batch.ErrNotFound) {
		return batch.Clientf("SchedulingPolicy %s not found.", in.Arn)
	}
	return err
}

// DeleteSchedulingPolicy deletes a policy no job queue uses.
func (s *Service) DeleteSchedulingPolicy(ctx context.Context, in *batch.DeleteSchedulingPolicyInput) error {
	if in.Arn == "" {
		return batch.Clientf("arn is required")
	}
	sp, err := s.SchedulingPolicy(ctx, in.Arn)
	if err != nil {
		return err
	}
	queues, err := s.JobQueues(ctx)
	if err != nil {
		return err
	}
	for _, q := range queues {
		if q.SchedulingPolicyArn == sp.Arn {
			return batch.Clientf("Cannot delete scheduling policy %s: job queue %s uses it", sp.Name, q.JobQueueName)
		}
	}
	return s.store.DeleteItem(ctx, batch.KindSchedulingPolicy, sp.Name, sp.Version)
}
