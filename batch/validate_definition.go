package batch

// Job definition types and platform capabilities.
const (
	DefinitionTypeContainer = "container"
	DefinitionTypeMultinode = "multinode"

	PlatformEC2     = "EC2"
	PlatformFargate = "FARGATE"
)

// ValidateRegisterJobDefinition checks RegisterJobDefinition (reference
// §2.4): the name; type container (multinode, ECS and EKS properties are
// refused: Tanda runs single-container jobs only); platformCapabilities EC2
// or FARGATE; containerProperties with an image of at most 255 characters,
// at least 1 vCPU (a whole number on EC2) and 4 MiB of memory through
// resourceRequirements or the deprecated vcpus and memory; environment
// names outside AWS_BATCH; mount points that name declared volumes; known
// ulimits; schedulingPriority 0–9999; the retry, timeout and tag rules.
//
// privileged and host-path volumes are accepted: the compute environment
// decides at placement whether it runs them.
func ValidateRegisterJobDefinition(in *RegisterJobDefinitionInput) error {
	if err := validateName("jobDefinitionName", in.JobDefinitionName, resourceNamePattern, resourceNameRule); err != nil {
		return err
	}
	switch in.Type {
	case DefinitionTypeContainer:
	case DefinitionTypeMultinode:
		return unsupportedf("type", "multi-node parallel (multinode) job definitions")
	case "":
		return invalidf("type", "is required: container")
	default:
		return invalidf("type", "must be container (got %s)", quoteValue(in.Type))
	}
	switch {
	case len(in.NodeProperties) > 0:
		return unsupportedf("nodeProperties", "multi-node parallel jobs")
	case len(in.EcsProperties) > 0:
		return unsupportedf("ecsProperties", "ECS properties (multi-container jobs)")
	case len(in.EksProperties) > 0:
		return unsupportedf("eksProperties", "EKS jobs")
	case in.ContainerProperties == nil:
		return invalidf("containerProperties", "is required for a container job definition")
	}
	fargate, err := validatePlatformCapabilities(in.PlatformCapabilities)
	if err != nil {
		return err
	}
	return firstError(
		validateContainerProperties("containerProperties", in.ContainerProperties, fargate),
		validateIntRange("schedulingPriority", in.SchedulingPriority, 0, maxSchedulingPriority),
		validateRetryStrategy("retryStrategy", in.RetryStrategy),
		validateTimeout("timeout", in.Timeout),
		ValidateTags(in.Tags, "tags"),
	)
}

// validatePlatformCapabilities accepts [], [EC2] or [FARGATE] and reports
// whether the definition is for Fargate.
func validatePlatformCapabilities(pc []string) (fargate bool, err error) {
	if len(pc) > 1 {
		return false, invalidf("platformCapabilities", "must hold one entry, EC2 or FARGATE (got %d)", len(pc))
	}
	for i, p := range pc {
		switch p {
		case PlatformEC2:
		case PlatformFargate:
			fargate = true
		default:
			return false, invalidf(elemPath("platformCapabilities", i), "must be EC2 or FARGATE (got %s)", quoteValue(p))
		}
	}
	return fargate, nil
}

// ValidateDeregisterJobDefinition checks DeregisterJobDefinition: a job
// definition reference. Whether it must carry a revision is the caller's
// choice.
func ValidateDeregisterJobDefinition(in *DeregisterJobDefinitionInput) error {
	return validateDefinitionRef("jobDefinition", in.JobDefinition)
}
