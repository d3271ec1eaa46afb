package ec2fleet

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// describeTypesBatch is the most types one DescribeInstanceTypes call may
// name.
const describeTypesBatch = 100

// capacity is what an instance type offers to jobs.
type capacity struct {
	vcpus     float64
	memoryMiB int64
	gpus      int64
}

// capacities returns the capacity of each named type, asking
// DescribeInstanceTypes only about types it has not seen yet: instance
// types do not change, so the catalogue is kept for the fleet's life.
func (f *Fleet) capacities(ctx context.Context, names []string) (map[string]capacity, error) {
	out := make(map[string]capacity, len(names))
	var missing []ec2types.InstanceType
	f.mu.Lock()
	for _, n := range names {
		if c, ok := f.types[n]; ok {
			out[n] = c
		} else if !slices.Contains(missing, ec2types.InstanceType(n)) {
			missing = append(missing, ec2types.InstanceType(n))
		}
	}
	f.mu.Unlock()
	for chunk := range slices.Chunk(missing, describeTypesBatch) {
		found, err := f.describeTypes(ctx, chunk)
		if err != nil {
			return out, err
		}
		f.mu.Lock()
		for n, c := range found {
			f.types[n] = c
			out[n] = c
		}
		f.mu.Unlock()
	}
	return out, nil
}

// describeTypes asks EC2 about types, following pages.
func (f *Fleet) describeTypes(ctx context.Context, types []ec2types.InstanceType) (map[string]capacity, error) {
	found := map[string]capacity{}
	pages := ec2.NewDescribeInstanceTypesPaginator(f.api, &ec2.DescribeInstanceTypesInput{InstanceTypes: types})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing instance types %v: %w", types, err)
		}
		for _, it := range page.InstanceTypes {
			found[string(it.InstanceType)] = capacityOf(it)
		}
	}
	return found, nil
}

// capacityOf reads an instance type's vCPUs, memory and GPUs.
func capacityOf(it ec2types.InstanceTypeInfo) capacity {
	var c capacity
	if it.VCpuInfo != nil {
		c.vcpus = float64(aws.ToInt32(it.VCpuInfo.DefaultVCpus))
	}
	if it.MemoryInfo != nil {
		c.memoryMiB = aws.ToInt64(it.MemoryInfo.SizeInMiB)
	}
	if it.GpuInfo != nil {
		for _, g := range it.GpuInfo.Gpus {
			c.gpus += int64(aws.ToInt32(g.Count))
		}
	}
	return c
}
