package provisionfn

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
)

// ec2API is the part of EC2 the locator uses (*ec2.Client).
type ec2API interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
}

// InstanceRecords are the control plane's records of registered instances
// (*control.Service).
type InstanceRecords interface {
	ComputeEnvironments(ctx context.Context) ([]batch.ComputeEnvironment, error)
	Instances(ctx context.Context, ce string) ([]control.InstanceRecord, error)
}

// TagLocator finds an instance's compute environment in its
// tanda:compute-environment tag, among the instances tagged with the
// stack, and, for instances EC2 no longer shows, in the control plane's
// instance records.
type TagLocator struct {
	EC2     ec2API
	Stack   string
	Records InstanceRecords
}

var _ Locator = TagLocator{}

// Locate maps the stack's instances among ids to their compute
// environments.
func (l TagLocator) Locate(ctx context.Context, ids []string) (map[string]string, error) {
	found := make(map[string]string, len(ids))
	seen := make(map[string]bool, len(ids))
	pages := ec2.NewDescribeInstancesPaginator(l.EC2, &ec2.DescribeInstancesInput{
		// A filter, unlike InstanceIds, does not fail on unknown ids.
		Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: ids}},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing instances %v: %w", ids, err)
		}
		for _, r := range page.Reservations {
			for _, inst := range r.Instances {
				id := aws.ToString(inst.InstanceId)
				seen[id] = true
				tags := tagMap(inst.Tags)
				if ce := tags[ec2fleet.TagComputeEnvironment]; ce != "" && tags[ec2fleet.TagStack] == l.Stack {
					found[id] = ce
				}
			}
		}
	}
	var unseen []string
	for _, id := range ids {
		if !seen[id] {
			unseen = append(unseen, id)
		}
	}
	if len(unseen) == 0 || l.Records == nil {
		return found, nil
	}
	if err := l.fromRecords(ctx, unseen, found); err != nil {
		return nil, err
	}
	return found, nil
}

// fromRecords adds the compute environments of the registered instances
// among ids to found.
func (l TagLocator) fromRecords(ctx context.Context, ids []string, found map[string]string) error {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	ces, err := l.Records.ComputeEnvironments(ctx)
	if err != nil {
		return fmt.Errorf("listing compute environments: %w", err)
	}
	for _, ce := range ces {
		recs, err := l.Records.Instances(ctx, ce.ComputeEnvironmentName)
		if err != nil {
			return fmt.Errorf("listing the instances of compute environment %s: %w", ce.ComputeEnvironmentName, err)
		}
		for _, r := range recs {
			if want[r.ID] {
				found[r.ID] = r.ComputeEnvironment
			}
		}
	}
	return nil
}

// tagMap is an instance's tags by key.
func tagMap(tags []ec2types.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
