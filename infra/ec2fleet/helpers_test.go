package ec2fleet

import (
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/provisioner"
)

var _ ec2API = (*ec2.Client)(nil)

// fakeClock is a clock tests move by hand.
type fakeClock = batchtest.Clock

var (
	m5large  = provisioner.InstanceType{Name: "m5.large", Family: "m5", VCPUs: 2, MemoryMiB: 8192, PricePerHour: 0.096}
	c5xlarge = provisioner.InstanceType{Name: "c5.xlarge", Family: "c5", VCPUs: 4, MemoryMiB: 8192, PricePerHour: 0.17}
)

// computeEnvironment is a managed compute environment of type typ (EC2 or
// SPOT) with strategy and tags.
func computeEnvironment(name, typ, strategy string, tags map[string]string) batch.ComputeEnvironment {
	return batch.ComputeEnvironment{
		ComputeEnvironmentName: name,
		ComputeResources:       &batch.ComputeResource{Type: typ, AllocationStrategy: strategy, Tags: tags},
	}
}
