package batch

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

const (
	minArraySize          = 2
	maxArraySize          = 10000
	maxDependencies       = 20
	maxSchedulingPriority = 9999
	// maxDescribeJobs bounds DescribeJobs' jobs.
	maxDescribeJobs = 100
	// maxBulkJobs bounds CancelJobs' and TerminateJobs' jobs.
	maxBulkJobs = 50
)

// submitShareIDPattern is a job's share identifier: a concrete id, so,
// unlike a scheduling policy's shareDistribution entries, it may not end in
// "*" (a policy's prefix entries match the job's id; a job's id is no
// pattern).
var submitShareIDPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,255}$`)

// ValidateSubmitJob checks what SubmitJob can check without stored state
// (reference §2.1): required members, the job name, the array size, the
// dependencies, retry strategy, timeout, priority, share identifier, tags
// and container overrides. Multi-node, ECS and EKS overrides are refused:
// Tanda runs single-container jobs only. The checks against the queue and
// the job definition are CheckSubmitQueue's and ValidateJobResources'.
func ValidateSubmitJob(in *SubmitJobInput) error {
	var arraySize *int
	if in.ArrayProperties != nil {
		arraySize = in.ArrayProperties.Size
	}
	return firstError(
		validateName("jobName", in.JobName, jobNamePattern, jobNameRule),
		validateRef("jobQueue", in.JobQueue, ResourceTypeJobQueue),
		validateDefinitionRef("jobDefinition", in.JobDefinition),
		validateSubmitCompute(in),
		validateIntRange("arrayProperties.size", arraySize, minArraySize, maxArraySize),
		validateDependsOn(in.DependsOn, IsArraySubmission(in)),
		validateRetryStrategy("retryStrategy", in.RetryStrategy),
		validateTimeout("timeout", in.Timeout),
		validateIntRange("schedulingPriorityOverride", in.SchedulingPriorityOverride, 0, maxSchedulingPriority),
		validateSubmitShareID(in.ShareIdentifier),
		ValidateTags(in.Tags, "tags"),
		validateContainerOverrides("containerOverrides", in.ContainerOverrides),
	)
}

// validateSubmitCompute refuses the overrides of job kinds Tanda does not
// run: multi-node, ECS (multi-container) and EKS jobs.
func validateSubmitCompute(in *SubmitJobInput) error {
	switch {
	case len(in.NodeOverrides) > 0:
		return unsupportedf("nodeOverrides", "multi-node parallel jobs")
	case len(in.EcsPropertiesOverride) > 0:
		return unsupportedf("ecsPropertiesOverride", "ECS properties (multi-container jobs)")
	case len(in.EksPropertiesOverride) > 0:
		return unsupportedf("eksPropertiesOverride", "EKS jobs")
	}
	return nil
}

// validateSubmitShareID checks an optional share identifier.
func validateSubmitShareID(id string) error {
	if id != "" && !submitShareIDPattern.MatchString(id) {
		return invalidf("shareIdentifier", "must be 1-255 letters and numbers (got %s)", quoteValue(id))
	}
	return nil
}

// IsArraySubmission reports whether a SubmitJob request asks for an array
// job: arrayProperties with a size. An empty arrayProperties asks for an
// ordinary job.
func IsArraySubmission(in *SubmitJobInput) bool {
	return in.ArrayProperties != nil && in.ArrayProperties.Size != nil
}

// validateDependsOn checks dependsOn (reference §2.1, §3.5): at most 20
// entries; type N_TO_N, SEQUENTIAL or none; a jobId on every entry but
// SEQUENTIAL, which takes none and appears at most once; SEQUENTIAL and
// N_TO_N only on array jobs. That an N_TO_N dependency is an array of the
// same size is the caller's check, against the stored job.
func validateDependsOn(deps []JobDependency, array bool) error {
	if len(deps) > maxDependencies {
		return invalidf("dependsOn", "must have at most %d entries (got %d)", maxDependencies, len(deps))
	}
	sequential := false
	for i, d := range deps {
		p := elemPath("dependsOn", i)
		switch d.Type {
		case "":
			if d.JobID == "" {
				return invalidf(memberPath(p, "jobId"), "is required")
			}
		case DependencyNToN:
			if d.JobID == "" {
				return invalidf(memberPath(p, "jobId"), "is required for an N_TO_N dependency")
			}
			if !array {
				return invalidf(memberPath(p, "type"), "N_TO_N is only valid for array jobs (set arrayProperties.size)")
			}
		case DependencySequential:
			if d.JobID != "" {
				return invalidf(memberPath(p, "jobId"), "must be omitted for a SEQUENTIAL dependency, which orders the job's own children")
			}
			if !array {
				return invalidf(memberPath(p, "type"), "SEQUENTIAL is only valid for array jobs (set arrayProperties.size)")
			}
			if sequential {
				return invalidf(memberPath(p, "type"), "SEQUENTIAL may be given only once")
			}
			sequential = true
		default:
			return invalidf(memberPath(p, "type"), "must be N_TO_N or SEQUENTIAL, or omitted (got %s)", quoteValue(d.Type))
		}
	}
	return nil
}

// CheckSubmitQueue checks a submission against the queue it names
// (reference §2.1): the queue must be ENABLED, and shareIdentifier is
// required when the queue has a scheduling policy and forbidden otherwise.
func CheckSubmitQueue(q *JobQueue, shareIdentifier string) error {
	if q.State != StateEnabled {
		return Clientf("jobQueue: JobQueue %s is %s and accepts no new jobs; enable it with UpdateJobQueue", q.JobQueueName, q.State)
	}
	switch {
	case q.SchedulingPolicyArn != "" && shareIdentifier == "":
		return invalidf("shareIdentifier", "is required: job queue %s has a fair-share scheduling policy", q.JobQueueName)
	case q.SchedulingPolicyArn == "" && shareIdentifier != "":
		return invalidf("shareIdentifier", "must be omitted: job queue %s has no scheduling policy", q.JobQueueName)
	}
	return nil
}

// ValidateDescribeJobs checks DescribeJobs' job count n: 1–100.
func ValidateDescribeJobs(n int) error {
	switch {
	case n == 0:
		return invalidf("jobs", "must list at least one job id")
	case n > maxDescribeJobs:
		return Clientf("jobs: Maximum number of jobs supported is %d (got %d)", maxDescribeJobs, n)
	}
	return nil
}

// listFilterNames are ListJobs' filter names.
var listFilterNames = []string{FilterJobName, FilterJobDefinition, FilterBeforeCreatedAt, FilterAfterCreatedAt, FilterShareIdentifier}

// ValidateListJobs checks ListJobs (reference §2.2): exactly one of
// jobQueue, arrayJobId and multiNodeJobId; a known jobStatus; at most one
// filter, with one value fit for its name; maxResults at least 1 (the caller
// caps the page size). A multiNodeJobId passes: no such job exists in Tanda.
func ValidateListJobs(in *ListJobsInput) error {
	given := 0
	for _, s := range []string{in.JobQueue, in.ArrayJobID, in.MultiNodeJobID} {
		if s != "" {
			given++
		}
	}
	if given != 1 {
		return Clientf("exactly one of jobQueue, arrayJobId and multiNodeJobId must be given (got %d)", given)
	}
	if in.JobQueue != "" {
		if err := validateRef("jobQueue", in.JobQueue, ResourceTypeJobQueue); err != nil {
			return err
		}
	}
	if in.JobStatus != "" {
		if _, ok := ParseStatus(in.JobStatus); !ok {
			return invalidf("jobStatus", "must be one of SUBMITTED, PENDING, RUNNABLE, STARTING, RUNNING, SUCCEEDED, FAILED (got %s)", quoteValue(in.JobStatus))
		}
	}
	if in.MaxResults != nil && *in.MaxResults < 1 {
		return invalidf("maxResults", "must be at least 1 (got %d)", *in.MaxResults)
	}
	if len(in.Filters) > 1 {
		return invalidf("filters", "must hold at most one filter (got %d)", len(in.Filters))
	}
	for i, f := range in.Filters {
		if err := validateListFilter(elemPath("filters", i), f); err != nil {
			return err
		}
	}
	return nil
}

func validateListFilter(path string, f KeyValuesPair) error {
	if !slices.Contains(listFilterNames, f.Name) {
		return invalidf(memberPath(path, "name"), "must be one of %s (got %s)", strings.Join(listFilterNames, ", "), quoteValue(f.Name))
	}
	if len(f.Values) != 1 {
		return invalidf(memberPath(path, "values"), "must hold exactly one value (got %d)", len(f.Values))
	}
	p, v := elemPath(memberPath(path, "values"), 0), f.Values[0]
	if v == "" {
		return invalidf(p, "must not be empty")
	}
	switch f.Name {
	case FilterBeforeCreatedAt, FilterAfterCreatedAt:
		if ms, err := strconv.ParseInt(v, 10, 64); err != nil || ms < 0 {
			return invalidf(p, "must be a time in epoch milliseconds, such as 1700000000000 (got %s)", quoteValue(v))
		}
	case FilterJobDefinition:
		if !strings.HasPrefix(v, "arn:") {
			return nil
		}
		if strings.HasSuffix(v, "*") {
			return invalidf(p, "must not end in * when it is an ARN; use the bare name with * for a prefix match (got %s)", quoteValue(v))
		}
		if _, rev, err := ParseJobDefinitionRef(v); err != nil || rev == 0 {
			return invalidf(p, "must be a job definition name or an ARN with its revision (…:job-definition/<name>:<revision>) (got %s)", quoteValue(v))
		}
	}
	return nil
}

// ValidateJobAction checks CancelJob and TerminateJob: a jobId and a reason
// of at most 1,024 characters.
func ValidateJobAction(in *JobActionInput) error {
	if in.JobID == "" {
		return invalidf("jobId", "is required")
	}
	return validateReason(in.Reason)
}

// ValidateBulkJobAction checks CancelJobs and TerminateJobs: 1–50 job ids
// and a reason of at most 1,024 characters.
func ValidateBulkJobAction(in *BulkJobActionInput) error {
	if len(in.Jobs) == 0 || len(in.Jobs) > maxBulkJobs {
		return invalidf("jobs", "must list 1-%d job ids (got %d)", maxBulkJobs, len(in.Jobs))
	}
	for i, id := range in.Jobs {
		if id == "" {
			return invalidf(elemPath("jobs", i), "must not be empty")
		}
	}
	return validateReason(in.Reason)
}
