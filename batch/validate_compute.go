package batch

import (
	"regexp"
	"slices"
	"strings"
)

// Compute resource types.
const (
	ComputeEC2         = "EC2"
	ComputeSpot        = "SPOT"
	ComputeFargate     = "FARGATE"
	ComputeFargateSpot = "FARGATE_SPOT"
)

// Allocation strategies (reference §4.2).
const (
	AllocationBestFit                          = "BEST_FIT"
	AllocationBestFitProgressive               = "BEST_FIT_PROGRESSIVE"
	AllocationBestFitProgressiveOrdered        = "BEST_FIT_PROGRESSIVE_ORDERED"
	AllocationSpotCapacityOptimized            = "SPOT_CAPACITY_OPTIMIZED"
	AllocationSpotPriceCapacityOptimized       = "SPOT_PRICE_CAPACITY_OPTIMIZED"
	AllocationSpotCapacityOptimizedPrioritized = "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED"
)

var (
	allocationStrategies = []string{
		AllocationBestFit, AllocationBestFitProgressive, AllocationBestFitProgressiveOrdered,
		AllocationSpotCapacityOptimized, AllocationSpotPriceCapacityOptimized, AllocationSpotCapacityOptimizedPrioritized,
	}
	spotOnlyStrategies = []string{
		AllocationSpotCapacityOptimized, AllocationSpotPriceCapacityOptimized, AllocationSpotCapacityOptimizedPrioritized,
	}
)

const (
	minScaleDownDelay  = 20
	maxScaleDownDelay  = 10080
	maxEC2Config       = 2
	maxUpdateTimeout   = 7200
	manualScaleDownMsg = "Manually scaling down compute environment is not supported. Disconnecting job queues from compute environment will cause it to scale-down to minvCpus."
)

// ValidateCreateComputeEnvironment checks CreateComputeEnvironment
// (reference §2.5): the name; type MANAGED or UNMANAGED; the state;
// computeResources for MANAGED only and unmanagedvCpus for UNMANAGED only;
// the compute resources' own rules; tags. EKS and Fargate compute
// environments are refused. serviceRole, instanceRole, subnets and
// spotIamFleetRole are accepted but not required, unlike AWS: Tanda's
// provisioner uses its own roles and network settings when none are given.
func ValidateCreateComputeEnvironment(in *CreateComputeEnvironmentInput) error {
	if err := validateName("computeEnvironmentName", in.ComputeEnvironmentName, resourceNamePattern, resourceNameRule); err != nil {
		return err
	}
	if err := validateState("state", in.State); err != nil {
		return err
	}
	if len(in.EksConfiguration) > 0 {
		return unsupportedf("eksConfiguration", "EKS compute environments")
	}
	if err := ValidateTags(in.Tags, "tags"); err != nil {
		return err
	}
	if err := validateServiceRole(in.ServiceRole); err != nil {
		return err
	}
	switch in.Type {
	case TypeUnmanaged:
		if in.ComputeResources != nil {
			return invalidf("computeResources", "must be omitted for an UNMANAGED compute environment")
		}
		if in.UnmanagedvCpus != nil && *in.UnmanagedvCpus < 0 {
			return invalidf("unmanagedvCpus", "must be at least 0 (got %d)", *in.UnmanagedvCpus)
		}
		return nil
	case TypeManaged:
		if in.UnmanagedvCpus != nil {
			return invalidf("unmanagedvCpus", "is only for UNMANAGED compute environments")
		}
		if in.ComputeResources == nil {
			return invalidf("computeResources", "is required for a MANAGED compute environment")
		}
		return validateComputeResource("computeResources", in.ComputeResources)
	case "":
		return invalidf("type", "is required: MANAGED or UNMANAGED")
	}
	return invalidf("type", "must be MANAGED or UNMANAGED (got %s)", quoteValue(in.Type))
}

// validateComputeResource checks a managed compute environment's resources.
func validateComputeResource(path string, cr *ComputeResource) error {
	if err := validateComputeType(memberPath(path, "type"), cr.Type, true); err != nil {
		return err
	}
	if cr.MaxvCpus == nil {
		return invalidf(memberPath(path, "maxvCpus"), "is required")
	}
	if err := validateVCPUBounds(path, cr.MinvCpus, cr.MaxvCpus, cr.DesiredvCpus); err != nil {
		return err
	}
	if err := validateAllocationStrategy(memberPath(path, "allocationStrategy"), cr.AllocationStrategy, cr.Type); err != nil {
		return err
	}
	if len(cr.InstanceTypes) == 0 {
		return invalidf(memberPath(path, "instanceTypes"), `is required for %s: list instance types or families, such as ["optimal"] or ["c5", "m5.large"]`, cr.Type)
	}
	if err := validateCommonResources(path, cr.InstanceTypes, cr.BidPercentage, cr.ScalingPolicy, cr.Tags); err != nil {
		return err
	}
	return validateImages(path, cr.ImageID, cr.Ec2Configuration, cr.LaunchTemplate)
}

// validateComputeType checks a compute resource type: EC2 or SPOT. Fargate
// is refused; an empty type is allowed only where it is optional.
func validateComputeType(path, typ string, required bool) error {
	switch typ {
	case ComputeEC2, ComputeSpot:
		return nil
	case ComputeFargate, ComputeFargateSpot:
		return unsupportedf(path, "Fargate compute environments (FARGATE, FARGATE_SPOT)")
	case "":
		if !required {
			return nil
		}
		return invalidf(path, "is required: EC2 or SPOT")
	}
	return invalidf(path, "must be EC2 or SPOT (got %s)", quoteValue(typ))
}

// validateVCPUBounds checks whichever of min, max and desired vCPUs are
// given: none negative, min ≤ max, min ≤ desired ≤ max.
func validateVCPUBounds(path string, minV, maxV, desired *int) error {
	for _, b := range []struct {
		name string
		v    *int
	}{{"minvCpus", minV}, {"maxvCpus", maxV}, {"desiredvCpus", desired}} {
		if b.v != nil && *b.v < 0 {
			return invalidf(memberPath(path, b.name), "must be at least 0 (got %d)", *b.v)
		}
	}
	if minV != nil && maxV != nil && *minV > *maxV {
		return invalidf(memberPath(path, "minvCpus"), "must not exceed maxvCpus (got minvCpus %d, maxvCpus %d)", *minV, *maxV)
	}
	if desired == nil {
		return nil
	}
	if minV != nil && *desired < *minV {
		return invalidf(memberPath(path, "desiredvCpus"), "must be at least minvCpus (got desiredvCpus %d, minvCpus %d)", *desired, *minV)
	}
	if maxV != nil && *desired > *maxV {
		return invalidf(memberPath(path, "desiredvCpus"), "must not exceed maxvCpus (got desiredvCpus %d, maxvCpus %d)", *desired, *maxV)
	}
	return nil
}

// validateAllocationStrategy checks a strategy and, when the compute type
// is known, that Spot-only strategies go with SPOT and
// BEST_FIT_PROGRESSIVE_ORDERED with EC2.
func validateAllocationStrategy(path, strategy, computeType string) error {
	if strategy == "" {
		return nil
	}
	if !slices.Contains(allocationStrategies, strategy) {
		return invalidf(path, "must be one of %s (got %s)", strings.Join(allocationStrategies, ", "), quoteValue(strategy))
	}
	if computeType == ComputeEC2 && slices.Contains(spotOnlyStrategies, strategy) {
		return invalidf(path, "%s is only for SPOT compute resources (type is EC2)", strategy)
	}
	if computeType == ComputeSpot && strategy == AllocationBestFitProgressiveOrdered {
		return invalidf(path, "%s is only for EC2 (On-Demand) compute resources (type is SPOT)", strategy)
	}
	return nil
}

// validateCommonResources checks the members create and update share.
func validateCommonResources(path string, instanceTypes []string, bid *int, sp *ScalingPolicy, tags map[string]string) error {
	for i, t := range instanceTypes {
		if t == "" {
			return invalidf(elemPath(memberPath(path, "instanceTypes"), i), "must not be empty")
		}
	}
	if err := validateIntRange(memberPath(path, "bidPercentage"), bid, 0, 100); err != nil {
		return err
	}
	if sp != nil && sp.MinScaleDownDelayMinutes != nil {
		if m := *sp.MinScaleDownDelayMinutes; m != 0 && (m < minScaleDownDelay || m > maxScaleDownDelay) {
			return invalidf(memberPath(path, "scalingPolicy.minScaleDownDelayMinutes"), "must be 0 (unset) or between %d and %d (got %d)", minScaleDownDelay, maxScaleDownDelay, m)
		}
	}
	return ValidateTags(tags, memberPath(path, "tags"))
}

// ValidateUpdateComputeEnvironment checks what UpdateComputeEnvironment can
// check without the current compute environment (reference §2.5): the
// reference, the state, and the given resources' own rules; allocationStrategy
// cannot become BEST_FIT. CheckComputeResourceUpdate then checks the update
// against the current resources.
func ValidateUpdateComputeEnvironment(in *UpdateComputeEnvironmentInput) error {
	if err := validateRef("computeEnvironment", in.ComputeEnvironment, ResourceTypeComputeEnvironment); err != nil {
		return err
	}
	if err := validateState("state", in.State); err != nil {
		return err
	}
	if in.UnmanagedvCpus != nil && *in.UnmanagedvCpus < 0 {
		return invalidf("unmanagedvCpus", "must be at least 0 (got %d)", *in.UnmanagedvCpus)
	}
	if err := validateServiceRole(in.ServiceRole); err != nil {
		return err
	}
	if in.UpdatePolicy != nil && in.UpdatePolicy.JobExecutionTimeoutMinutes != nil {
		if m := *in.UpdatePolicy.JobExecutionTimeoutMinutes; m < 1 || m > maxUpdateTimeout {
			return invalidf("updatePolicy.jobExecutionTimeoutMinutes", "must be between 1 and %d (got %d)", maxUpdateTimeout, m)
		}
	}
	u := in.ComputeResources
	if u == nil {
		return nil
	}
	const path = "computeResources"
	if err := validateComputeType(memberPath(path, "type"), u.Type, false); err != nil {
		return err
	}
	if err := validateVCPUBounds(path, u.MinvCpus, u.MaxvCpus, u.DesiredvCpus); err != nil {
		return err
	}
	if u.AllocationStrategy == AllocationBestFit {
		return invalidf(memberPath(path, "allocationStrategy"), "cannot be changed to BEST_FIT; choose BEST_FIT_PROGRESSIVE or a SPOT_* strategy")
	}
	if err := validateAllocationStrategy(memberPath(path, "allocationStrategy"), u.AllocationStrategy, u.Type); err != nil {
		return err
	}
	if err := validateCommonResources(path, u.InstanceTypes, u.BidPercentage, u.ScalingPolicy, u.Tags); err != nil {
		return err
	}
	return validateImages(path, u.ImageID, u.Ec2Configuration, u.LaunchTemplate)
}

// CheckComputeResourceUpdate checks an update against a compute
// environment's current resources: the resulting type and allocation
// strategy go together, and CheckDesiredUpdate's vCPU rules hold.
func CheckComputeResourceUpdate(current ComputeResource, upd ComputeResourceUpdate) error {
	typ, strategy := current.Type, current.AllocationStrategy
	if upd.Type != "" {
		typ = upd.Type
	}
	if upd.AllocationStrategy != "" {
		strategy = upd.AllocationStrategy
	}
	if upd.Type != "" || upd.AllocationStrategy != "" {
		if err := validateAllocationStrategy("computeResources.allocationStrategy", strategy, typ); err != nil {
			return err
		}
	}
	return CheckDesiredUpdate(current, upd)
}

// CheckDesiredUpdate checks an update's vCPUs against the current ones: the
// resulting minvCpus must not exceed maxvCpus, a given desiredvCpus must lie
// within them, and desiredvCpus may not go down: Batch lowers it itself once
// the demand is gone, and answers a manual decrease with AWS's "Manually
// scaling down…" message.
func CheckDesiredUpdate(current ComputeResource, upd ComputeResourceUpdate) error {
	minV, maxV := valueOr(upd.MinvCpus, valueOr(current.MinvCpus, 0)), valueOr(upd.MaxvCpus, valueOr(current.MaxvCpus, 0))
	if err := validateVCPUBounds("computeResources", &minV, &maxV, upd.DesiredvCpus); err != nil {
		return err
	}
	if upd.DesiredvCpus != nil && current.DesiredvCpus != nil && *upd.DesiredvCpus < *current.DesiredvCpus {
		return Clientf("computeResources.desiredvCpus: %s (current desiredvCpus %d, requested %d)", manualScaleDownMsg, *current.DesiredvCpus, *upd.DesiredvCpus)
	}
	return nil
}

// valueOr is *p, or def when p is nil.
func valueOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// roleNamePattern is an IAM role name, optionally after its path
// ("service-role/AWSBatchServiceRole"), as AWS Batch accepts in serviceRole.
var roleNamePattern = regexp.MustCompile(`^([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)

// roleARNPattern is an IAM role's ARN, with an optional path.
var roleARNPattern = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::\d{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)

// validateServiceRole checks serviceRole, when given: an IAM role's ARN, or
// its name (with its path, if any), which AWS Batch completes to an ARN.
func validateServiceRole(role string) error {
	if role == "" {
		return nil
	}
	if strings.HasPrefix(role, "arn:") {
		if !roleARNPattern.MatchString(role) {
			return invalidf("serviceRole", "must be an IAM role ARN (arn:aws:iam::<account>:role/<name>) or a role name (got %s)", quoteValue(role))
		}
		return nil
	}
	if len(role) > 512 || !roleNamePattern.MatchString(role) {
		return invalidf("serviceRole", "must be an IAM role ARN (arn:aws:iam::<account>:role/<name>) or a role name (got %s)", quoteValue(role))
	}
	return nil
}
