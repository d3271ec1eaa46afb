package batch

// maxDescribe bounds the lists of the Describe operations and their pages.
const maxDescribe = 100

// ValidateDescribeJobDefinitions checks DescribeJobDefinitions (reference
// §2.4): at most 100 references, not combined with jobDefinitionName or
// status; status ACTIVE or INACTIVE; maxResults 1–100.
func ValidateDescribeJobDefinitions(in *DescribeJobDefinitionsInput) error {
	if err := validateRefList("jobDefinitions", in.JobDefinitions, validateDefinitionRef); err != nil {
		return err
	}
	if len(in.JobDefinitions) > 0 && (in.JobDefinitionName != "" || in.Status != "") {
		return invalidf("jobDefinitions", "cannot be combined with jobDefinitionName or status")
	}
	switch in.Status {
	case "", DefinitionActive, DefinitionInactive:
	default:
		return invalidf("status", "must be ACTIVE or INACTIVE (got %s)", quoteValue(in.Status))
	}
	return validateMaxResults(in.MaxResults, maxDescribe)
}

// ValidateDescribeComputeEnvironments checks DescribeComputeEnvironments:
// at most 100 names or ARNs; maxResults 1–100.
func ValidateDescribeComputeEnvironments(in *DescribeComputeEnvironmentsInput) error {
	if err := validateRefList("computeEnvironments", in.ComputeEnvironments, refValidator(ResourceTypeComputeEnvironment)); err != nil {
		return err
	}
	return validateMaxResults(in.MaxResults, maxDescribe)
}

// ValidateDescribeJobQueues checks DescribeJobQueues: at most 100 names or
// ARNs; maxResults 1–100.
func ValidateDescribeJobQueues(in *DescribeJobQueuesInput) error {
	if err := validateRefList("jobQueues", in.JobQueues, refValidator(ResourceTypeJobQueue)); err != nil {
		return err
	}
	return validateMaxResults(in.MaxResults, maxDescribe)
}

// ValidateDescribeSchedulingPolicies checks DescribeSchedulingPolicies:
// 1–100 policy ARNs.
func ValidateDescribeSchedulingPolicies(in *DescribeSchedulingPoliciesInput) error {
	if len(in.Arns) == 0 {
		return invalidf("arns", "must list at least one scheduling policy ARN")
	}
	return validateRefList("arns", in.Arns, func(path, ref string) error {
		return validateARN(path, ref, ResourceTypeSchedulingPolicy)
	})
}

// ValidateListSchedulingPolicies checks ListSchedulingPolicies' maxResults:
// 1–100.
func ValidateListSchedulingPolicies(in *ListSchedulingPoliciesInput) error {
	return validateMaxResults(in.MaxResults, maxDescribe)
}

// refValidator checks one name-or-ARN reference to resourceType.
func refValidator(resourceType string) func(path, ref string) error {
	return func(path, ref string) error { return validateRef(path, ref, resourceType) }
}

// validateRefList checks a list of at most 100 references with check.
func validateRefList(path string, refs []string, check func(path, ref string) error) error {
	if len(refs) > maxDescribe {
		return invalidf(path, "must list at most %d entries (got %d)", maxDescribe, len(refs))
	}
	for i, ref := range refs {
		if err := check(elemPath(path, i), ref); err != nil {
			return err
		}
	}
	return nil
}
