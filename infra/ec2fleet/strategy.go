package ec2fleet

import (
	"fmt"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/tanda-batch/tanda/batch"
)

// allocation is how one CreateFleet call asks for capacity.
type allocation struct {
	capacityType ec2types.DefaultTargetCapacityType
	onDemand     ec2types.FleetOnDemandAllocationStrategy // when on-demand
	spot         ec2types.SpotAllocationStrategy          // when spot
}

// spotStrategies maps AWS Batch allocation strategies onto Spot fleet
// strategies (see the package documentation).
var spotStrategies = map[string]ec2types.SpotAllocationStrategy{
	"":                              ec2types.SpotAllocationStrategyLowestPrice,
	"BEST_FIT":                      ec2types.SpotAllocationStrategyLowestPrice,
	"BEST_FIT_PROGRESSIVE":          ec2types.SpotAllocationStrategyLowestPrice,
	"SPOT_CAPACITY_OPTIMIZED":       ec2types.SpotAllocationStrategyCapacityOptimized,
	"SPOT_PRICE_CAPACITY_OPTIMIZED": ec2types.SpotAllocationStrategyPriceCapacityOptimized,
	// The ordered strategies: the provisioner picks the type by the
	// compute environment's list order and offers that type alone.
	"SPOT_CAPACITY_OPTIMIZED_PRIORITIZED": ec2types.SpotAllocationStrategyCapacityOptimizedPrioritized,
	"BEST_FIT_PROGRESSIVE_ORDERED":        ec2types.SpotAllocationStrategyLowestPrice, // On-Demand only
}

// allocationFor maps a compute environment's type and allocation strategy
// onto the fleet's capacity type and allocation strategy.
func allocationFor(cr *batch.ComputeResource) (allocation, error) {
	spot, known := spotStrategies[cr.AllocationStrategy]
	if !known {
		return allocation{}, fmt.Errorf("unknown allocation strategy %q", cr.AllocationStrategy)
	}
	switch cr.Type {
	case "EC2":
		return allocation{capacityType: ec2types.DefaultTargetCapacityTypeOnDemand, onDemand: ec2types.FleetOnDemandAllocationStrategyLowestPrice}, nil
	case "SPOT":
		return allocation{capacityType: ec2types.DefaultTargetCapacityTypeSpot, spot: spot}, nil
	}
	return allocation{}, fmt.Errorf("compute resources of type %q are not EC2 instances", cr.Type)
}
