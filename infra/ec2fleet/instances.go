package ec2fleet

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/tanda-batch/tanda/provisioner"
)

// liveStates are the instance states Instances reports.
var liveStates = []string{"pending", "running", "stopping", "shutting-down"}

// Instances lists the compute environment's instances that are not yet
// terminated, found by their tanda:stack and tanda:compute-environment
// tags, by id.
func (f *Fleet) Instances(ctx context.Context, ce string) ([]provisioner.Instance, error) {
	in := &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + TagStack), Values: []string{f.opts.Stack}},
		{Name: aws.String("tag:" + TagComputeEnvironment), Values: []string{ce}},
		{Name: aws.String("instance-state-name"), Values: liveStates},
	}}
	var found []ec2types.Instance
	pages := ec2.NewDescribeInstancesPaginator(f.api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing instances of compute environment %s: %w", ce, err)
		}
		for _, r := range page.Reservations {
			found = append(found, r.Instances...)
		}
	}
	names := make([]string, 0, len(found))
	for _, i := range found {
		names = append(names, string(i.InstanceType))
	}
	caps, err := f.capacities(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("listing instances of compute environment %s: %w", ce, err)
	}
	out := make([]provisioner.Instance, 0, len(found))
	for _, i := range found {
		c := caps[string(i.InstanceType)]
		out = append(out, provisioner.Instance{
			ID: aws.ToString(i.InstanceId), Type: string(i.InstanceType),
			VCPUs: c.vcpus, MemoryMiB: c.memoryMiB, GPUs: c.gpus,
			Spot:       i.InstanceLifecycle == ec2types.InstanceLifecycleTypeSpot,
			LaunchedAt: aws.ToTime(i.LaunchTime),
			State:      stateOf(i.State),
		})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out, nil
}

// stateOf maps an EC2 instance state onto the provisioner's.
func stateOf(s *ec2types.InstanceState) string {
	if s == nil {
		return provisioner.InstancePending
	}
	switch s.Name {
	case ec2types.InstanceStateNameRunning:
		return provisioner.InstanceRunning
	case ec2types.InstanceStateNamePending:
		return provisioner.InstancePending
	}
	return provisioner.InstanceTerminating
}
