package control

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/tanda-batch/tanda/batch"
)

// Resource types, as they appear in ARNs.
const (
	resComputeEnvironment = "compute-environment"
	resJobQueue           = "job-queue"
	resJobDefinition      = "job-definition"
	resSchedulingPolicy   = "scheduling-policy"
	resJob                = "job"
)

// CreateComputeEnvironment creates a compute environment. Tanda's compute
// environments are VALID as soon as they exist: there is no cluster to wait for.
func (s *Service) CreateComputeEnvironment(ctx context.Context, in *batch.CreateComputeEnvironmentInput) (*batch.ComputeEnvironmentOutput, error) {
	if err := batch.ValidateCreateComputeEnvironment(in); err != nil {
		return nil, err
	}
	cr := in.ComputeResources
	if cr != nil {
		if err := s.checkInstanceTypes(cr.InstanceTypes, cr.Type); err != nil {
			return nil, err
		}
		cr = cloneComputeResource(cr)
		if cr.MinvCpus == nil {
			cr.MinvCpus = intPtr(0)
		}
		if cr.DesiredvCpus == nil {
			cr.DesiredvCpus = intPtr(*cr.MinvCpus)
		}
		if cr.AllocationStrategy == "" {
			cr.AllocationStrategy = "BEST_FIT"
		}
	}
	state := in.State
	if state == "" {
		state = batch.StateEnabled
	}
	ce := batch.ComputeEnvironment{
		ComputeEnvironmentName:     in.ComputeEnvironmentName,
		ComputeEnvironmentArn:      s.opts.Partition.ComputeEnvironmentARN(in.ComputeEnvironmentName),
		UnmanagedvCpus:             in.UnmanagedvCpus,
		Tags:                       in.Tags,
		Type:                       in.Type,
		State:                      state,
		Status:                     batch.StatusValid,
		StatusReason:               "ComputeEnvironment Healthy",
		ComputeResources:           cr,
		ServiceRole:                in.ServiceRole,
		ContainerOrchestrationType: batch.OrchestrationECS,
		UUID:                       uuid.NewString(),
		Context:                    in.Context,
	}
	if _, err := putDoc(ctx, s.store, batch.KindComputeEnvironment, ce.ComputeEnvironmentName, ce, 0); err != nil {
		if errors.Is(err, batch.ErrConflict) {
			return nil, batch.Clientf("Object already exists: compute environment %s", ce.ComputeEnvironmentName)
		}
		return nil, fmt.Errorf("creating compute environment: %w", err)
	}
	return &batch.ComputeEnvironmentOutput{ComputeEnvironmentName: ce.ComputeEnvironmentName, ComputeEnvironmentArn: ce.ComputeEnvironmentArn}, nil
}

func (s *Service) checkInstanceTypes(types []string, crType string) error {
	if s.opts.InstanceTypes == nil || len(types) == 0 {
		return nil
	}
	if err := s.opts.InstanceTypes.Check(types, crType); err != nil {
		return batch.Clientf("computeResources.instanceTypes: %v", err)
	}
	return nil
}

// ComputeEnvironment reads a compute environment by name or ARN.
func (s *Service) ComputeEnvironment(ctx context.Context, ref string) (batch.ComputeEnvironment, error) {
	name, err := s.resolveName(ref, resComputeEnvironment, "ComputeEnvironment")
	if err != nil {
		return batch.ComputeEnvironment{}, err
	}
	ce, ver, err := getDoc[batch.ComputeEnvironment](ctx, s.store, batch.KindComputeEnvironment, name)
	if errors.Is(err, batch.ErrNotFound) {
		return ce, batch.Clientf("ComputeEnvironment %s not found.", ref)
	}
	ce.Version = ver
	return ce, err
}

// UpdateComputeEnvironment changes a compute environment's state or capacity.
func (s *Service) UpdateComputeEnvironment(ctx context.Context, in *batch.UpdateComputeEnvironmentInput) (*batch.ComputeEnvironmentOutput, error) {
	if err := batch.ValidateUpdateComputeEnvironment(in); err != nil {
		return nil, err
	}
	name, err := s.resolveName(in.ComputeEnvironment, resComputeEnvironment, "ComputeEnvironment")
	if err != nil {
		return nil, err
	}
	ce, err := updateDoc(ctx, s.store, batch.KindComputeEnvironment, name, func(ce *batch.ComputeEnvironment) error {
		if ce.Status == batch.StatusDeleting {
			return batch.Clientf("ComputeEnvironment %s is being deleted.", name)
		}
		if in.State != "" {
			ce.State = in.State
		}
		if in.UnmanagedvCpus != nil {
			ce.UnmanagedvCpus = in.UnmanagedvCpus
		}
		if in.ServiceRole != "" {
			ce.ServiceRole = in.ServiceRole
		}
		if in.UpdatePolicy != nil {
			ce.UpdatePolicy = in.UpdatePolicy
		}
		if in.Context != "" {
			ce.Context = in.Context
		}
		if u := in.ComputeResources; u != nil {
			if ce.ComputeResources == nil {
				return batch.Clientf("computeResources cannot be updated on an UNMANAGED compute environment")
			}
			if err := batch.CheckComputeResourceUpdate(*ce.ComputeResources, *u); err != nil {
				return err
			}
			applyComputeResourceUpdate(ce.ComputeResources, u)
			if u.InstanceTypes != nil || u.Type != "" {
				if err := s.checkInstanceTypes(ce.ComputeResources.InstanceTypes, ce.ComputeResources.Type); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if errors.Is(err, batch.ErrNotFound) {
		return nil, batch.Clientf("ComputeEnvironment %s not found.", in.ComputeEnvironment)
	}
	if err != nil {
		return nil, err
	}
	return &batch.ComputeEnvironmentOutput{ComputeEnvironmentName: ce.ComputeEnvironmentName, ComputeEnvironmentArn: ce.ComputeEnvironmentArn}, nil
}

func applyComputeResourceUpdate(cr *batch.ComputeResource, u *batch.ComputeResourceUpdate) {
	if u.MinvCpus != nil {
		cr.MinvCpus = u.MinvCpus
	}
	if u.MaxvCpus != nil {
		cr.MaxvCpus = u.MaxvCpus
	}
	if u.DesiredvCpus != nil {
		cr.DesiredvCpus = u.DesiredvCpus
	}
	if cr.MinvCpus != nil && cr.DesiredvCpus != nil && *cr.DesiredvCpus < *cr.MinvCpus {
		cr.DesiredvCpus = intPtr(*cr.MinvCpus)
	}
	if cr.MaxvCpus != nil && cr.DesiredvCpus != nil && *cr.DesiredvCpus > *cr.MaxvCpus {
		cr.DesiredvCpus = intPtr(*cr.MaxvCpus)
	}
	if u.Subnets != nil {
		cr.Subnets = u.Subnets
	}
	if u.SecurityGroupIDs != nil {
		cr.SecurityGroupIDs = u.SecurityGroupIDs
	}
	if u.AllocationStrategy != "" {
		cr.AllocationStrategy = u.AllocationStrategy
	}
	if u.InstanceTypes != nil {
		cr.InstanceTypes = u.InstanceTypes
	}
	if u.Ec2KeyPair != "" {
		cr.Ec2KeyPair = u.Ec2KeyPair
	}
	if u.InstanceRole != "" {
		cr.InstanceRole = u.InstanceRole
	}
	if u.Tags != nil {
		cr.Tags = u.Tags
	}
	if u.PlacementGroup != "" {
		cr.PlacementGroup = u.PlacementGroup
	}
	if u.BidPercentage != nil {
		cr.BidPercentage = u.BidPercentage
	}
	if u.LaunchTemplate != nil {
		cr.LaunchTemplate = u.LaunchTemplate
	}
	if u.Ec2Configuration != nil {
		cr.Ec2Configuration = u.Ec2Configuration
	}
	if u.Type != "" {
		cr.Type = u.Type
	}
	if u.ImageID != "" {
		cr.ImageID = u.ImageID
	}
	if u.ScalingPolicy != nil {
		cr.ScalingPolicy = u.ScalingPolicy
	}
}

// DescribeComputeEnvironments lists compute environments by name.
func (s *Service) DescribeComputeEnvironments(ctx context.Context, in *batch.DescribeComputeEnvironmentsInput) (*batch.DescribeComputeEnvironmentsOutput, error) {
	if err := batch.ValidateDescribeComputeEnvironments(in); err != nil {
		return nil, err
	}
	limit, err := pageLimit(in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	all, err := s.ComputeEnvironments(ctx)
	if err != nil {
		return nil, err
	}
	if len(in.ComputeEnvironments) > 0 {
		want, err := s.nameSet(in.ComputeEnvironments, resComputeEnvironment)
		if err != nil {
			return nil, err
		}
		all = filter(all, func(ce batch.ComputeEnvironment) bool { return want[ce.ComputeEnvironmentName] })
	}
	pg, next, err := page(all, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	for i := range pg {
		batch.PresentComputeEnvironment(&pg[i])
	}
	return &batch.DescribeComputeEnvironmentsOutput{ComputeEnvironments: pg, NextToken: next}, nil
}

// ComputeEnvironments lists every compute environment, by name.
func (s *Service) ComputeEnvironments(ctx context.Context) ([]batch.ComputeEnvironment, error) {
	all, versions, err := listDocs[batch.ComputeEnvironment](ctx, s.store, batch.KindComputeEnvironment, "")
	for i := range all {
		all[i].Version = versions[i]
	}
	return all, err
}

// DeleteComputeEnvironment deletes a DISABLED compute environment that no
// job queue uses. It goes to DELETING while the provisioner retires its
// instances, then disappears.
func (s *Service) DeleteComputeEnvironment(ctx context.Context, in *batch.DeleteComputeEnvironmentInput) error {
	if in.ComputeEnvironment == "" {
		return batch.Clientf("computeEnvironment is required")
	}
	ce, err := s.ComputeEnvironment(ctx, in.ComputeEnvironment)
	if err != nil {
		return err
	}
	if ce.State != batch.StateDisabled {
		return batch.Clientf("Cannot delete compute environment %s: it must be DISABLED first (UpdateComputeEnvironment --state DISABLED).", ce.ComputeEnvironmentName)
	}
	queues, err := s.JobQueues(ctx)
	if err != nil {
		return err
	}
	for _, q := range queues {
		for _, o := range q.ComputeEnvironmentOrder {
			if o.ComputeEnvironment == ce.ComputeEnvironmentArn {
				return batch.Clientf("Cannot delete, found existing JobQueue relationship (job queue %s)", q.JobQueueName)
			}
		}
	}
	_, err = updateDoc(ctx, s.store, batch.KindComputeEnvironment, ce.ComputeEnvironmentName, func(c *batch.ComputeEnvironment) error {
		if c.Status == batch.StatusDeleting {
			return errNoChange
		}
		c.Status = batch.StatusDeleting
		c.StatusReason = "deleting: retiring its instances"
		return nil
	})
	return err
}

// ForgetComputeEnvironment removes a DELETING compute environment once its
// instances are gone.
func (s *Service) ForgetComputeEnvironment(ctx context.Context, name string) error {
	ce, err := s.ComputeEnvironment(ctx, name)
	if err != nil {
		return err
	}
	if ce.Status != batch.StatusDeleting {
		return nil
	}
	return s.store.DeleteItem(ctx, batch.KindComputeEnvironment, name, ce.Version)
}

func cloneComputeResource(cr *batch.ComputeResource) *batch.ComputeResource {
	c := *cr
	c.InstanceTypes = append([]string(nil), cr.InstanceTypes...)
	return &c
}

func intPtr(v int) *int { return &v }

func filter[T any](in []T, keep func(T) bool) []T {
	out := in[:0:0]
	for _, v := range in {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

// nameSet resolves names or ARNs of one resource type into a set of names.
func (s *Service) nameSet(refs []string, resource string) (map[string]bool, error) {
	set := make(map[string]bool, len(refs))
	for _, r := range refs {
		n, err := batch.ResolveName(r, resource)
		if err != nil {
			return nil, err
		}
		if s.opts.Partition.Owns(r) {
			set[n] = true
		}
	}
	return set, nil
}

// resolveName is batch.ResolveName for a reference to one of this
// deployment's resources. An ARN of another region, account or partition
// names nothing here: it is answered as an unknown resource is, with
// "<label> <ref> not found.".
func (s *Service) resolveName(ref, resourceType, label string) (string, error) {
	name, err := batch.ResolveName(ref, resourceType)
	if err != nil {
		return "", err
	}
	if !s.opts.Partition.Owns(ref) {
		return "", batch.Clientf("%s %s not found.", label, ref)
	}
	return name, nil
}
