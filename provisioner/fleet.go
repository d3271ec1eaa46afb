package provisioner

import (
	"context"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// Fleet launches and retires instances: the embedded local fleet on one
// machine, EC2 CreateFleet on AWS.
type Fleet interface {
	// Instances lists the compute environment's instances that are not yet
	// terminated (found by their tags on EC2).
	Instances(ctx context.Context, ce string) ([]Instance, error)
	// Launch starts the requested instances in one call. A request repeated
	// with the same ClientToken must not start instances twice. It returns
	// the instances it started even when it also returns an error (partial
	// fulfilment); an offering without capacity is reported as an
	// *InsufficientCapacityError, possibly several joined with errors.Join.
	Launch(ctx context.Context, req LaunchRequest) ([]Instance, error)
	// Terminate retires instances. Instances already gone are not an error,
	// or are reported as *InstanceNotFoundError.
	Terminate(ctx context.Context, ce string, ids []string) error
}

// Instance states.
const (
	InstancePending     = "pending"
	InstanceRunning     = "running"
	InstanceTerminating = "terminating"
)

// Instance is one instance of a compute environment.
type Instance struct {
	ID         string
	Type       string
	VCPUs      float64
	MemoryMiB  int64
	GPUs       int64
	Spot       bool
	LaunchedAt time.Time
	State      string // InstancePending, InstanceRunning or InstanceTerminating
}

func (i Instance) capacity() resources {
	return resources{vcpus: i.VCPUs, mem: i.MemoryMiB, gpus: i.GPUs}
}

// LaunchItem asks for Count instances of one type.
type LaunchItem struct {
	Type  InstanceType
	Count int
	// Alternatives, when set, are the types EC2 may launch instead of
	// Type, Type first: each holds at least what Type holds. The planner
	// offers them for the Spot strategies that let EC2 choose among
	// capacity pools (SPOT_CAPACITY_OPTIMIZED, SPOT_PRICE_CAPACITY_OPTIMIZED).
	Alternatives []InstanceType
}

// LaunchRequest is one launch call for a compute environment. The compute
// environment carries what a backend needs besides the types: Spot or
// On-Demand, subnets, security groups, launch template, tags.
type LaunchRequest struct {
	CE          batch.ComputeEnvironment
	Items       []LaunchItem
	ClientToken string
}
