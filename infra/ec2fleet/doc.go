// Package ec2fleet is Tanda's fleet on Amazon EC2: it launches a compute
// environment's instances with CreateFleet (type instant) from the stack's
// launch template, finds them again by their tags with DescribeInstances,
// and retires them with TerminateInstances. It implements
// provisioner.Fleet.
//
// # Launching
//
// Each item of a LaunchRequest (a type and a count) is one CreateFleet
// call, so the types the planner chose for the jobs it packed are the
// types launched: one override for the type (and its alternatives) in each
// subnet (the compute environment's subnets, else Options.Subnets), and a
// target capacity of the count. The calls' client tokens are the
// request's ClientToken with the item's index, and the fleet also
// remembers, for TokenTTL, what each request launched, so a repeated
// request returns the first one's instances even against an endpoint that
// does not honour client tokens.
//
// # Images
//
// Each type gets its launch template and AMI in AWS Batch's order (AWS
// Batch User Guide, "AMI selection order"; see Fleet.imageFor): a
// launchTemplate override targeting the type or its family, with its
// image; computeResources.imageId; the imageIdOverride of the
// ec2Configuration entry for the type (the NVIDIA entry for GPU types);
// the image of the compute environment's launchTemplate, or of the stack's
// (Options) when it names none; and otherwise the current ECS-optimized
// AMI of the entry's imageType (ECS_AL2023 by default, ECS_AL2023_NVIDIA
// for GPU types) and the type's architecture, read from its public SSM
// parameter (ImageParameter) and kept for an hour. The types of a call are
// grouped by launch template and image: one LaunchTemplateConfig per
// group, each override carrying the group's ImageId when it replaces the
// template's (CreateFleet takes ImageId in overrides for instant fleets).
//
// Instances and their volumes are tagged tanda:stack (Options.Stack),
// tanda:compute-environment and tanda:managed-by=tanda, plus the compute
// environment's computeResources.tags (the tanda: tags win a clash).
//
// # Allocation strategies
//
// The compute environment's computeResources.type chooses the capacity
// type (EC2: on-demand, SPOT: spot) and its allocationStrategy the fleet's:
//
//	allocationStrategy             on-demand      spot
//	BEST_FIT (or unset)            lowest-price   lowest-price
//	BEST_FIT_PROGRESSIVE           lowest-price   lowest-price
//	SPOT_CAPACITY_OPTIMIZED        lowest-price   capacity-optimized
//	SPOT_PRICE_CAPACITY_OPTIMIZED  lowest-price   price-capacity-optimized
//
// BEST_FIT and BEST_FIT_PROGRESSIVE differ in which types the provisioner
// asks for (the one best type, or progressively larger ones), not in how
// EC2 fills the request. On-Demand fleets only know lowest-price (and
// prioritized), so the Spot strategies fall back to it. A Spot compute
// environment with bidPercentage caps each override's price at that
// percentage of the type's On-Demand price.
//
// # Errors
//
// Error codes that mean "no capacity for this offering now"
// (InsufficientInstanceCapacity, InsufficientCapacity, Unsupported,
// SpotMaxPriceTooLow, InstanceLimitExceeded, MaxSpotInstanceCountExceeded,
// VcpuLimitExceeded, ...) become *provisioner.InsufficientCapacityError,
// one per type and zone, joined with errors.Join, whether they come from
// CreateFleet's Errors list or fail the whole call. A partly fulfilled
// launch returns its instances and the error.
package ec2fleet
