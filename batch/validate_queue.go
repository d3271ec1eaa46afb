package batch

import (
	"slices"
	"strings"
)

// Job state time limit actions (reference §5.2).
const (
	TimeLimitStateRunnable = "RUNNABLE"
	TimeLimitActionCancel  = "CANCEL"

	ReasonInsufficientCapacity   = "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY"
	ReasonComputeEnvironmentMax  = "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE"
	ReasonJobResourceRequirement = "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"
)

const (
	minTimeLimitSeconds         = 600
	maxTimeLimitSeconds         = 86400
	maxQueueComputeEnvironments = 3
	// jobQueueTypeECS is the one jobQueueType Tanda serves (jobs on EC2).
	jobQueueTypeECS = "ECS"
)

// TimeLimitReasons are the blocked-queue reasons a jobStateTimeLimitAction
// may act on: the ones a change in capacity or configuration can resolve.
var TimeLimitReasons = []string{ReasonInsufficientCapacity, ReasonComputeEnvironmentMax, ReasonJobResourceRequirement}

// ValidateCreateJobQueue checks CreateJobQueue (reference §2.6): the name; a
// priority of at least 0 (AWS's console offers 0–1,000; the API sets no
// maximum, nor does Tanda); the state; a scheduling policy ARN; 1–3 compute
// environments with distinct orders; jobQueueType ECS or none; the time
// limit actions; tags. Service environments (SageMaker) are refused.
func ValidateCreateJobQueue(in *CreateJobQueueInput) error {
	if err := validateName("jobQueueName", in.JobQueueName, resourceNamePattern, resourceNameRule); err != nil {
		return err
	}
	if in.Priority == nil {
		return invalidf("priority", "is required: an integer of at least 0; higher runs first")
	}
	if len(in.ComputeEnvironmentOrder) == 0 && len(in.ServiceEnvironmentOrder) == 0 {
		return invalidf("computeEnvironmentOrder", "is required: 1-%d compute environments", maxQueueComputeEnvironments)
	}
	switch in.JobQueueType {
	case "", jobQueueTypeECS:
	default:
		return unsupportedf("jobQueueType", "EKS, Fargate and SageMaker job queues")
	}
	if err := ValidateTags(in.Tags, "tags"); err != nil {
		return err
	}
	return validateQueueSettings(in.State, in.SchedulingPolicyArn, in.Priority, in.ComputeEnvironmentOrder, in.ServiceEnvironmentOrder, in.JobStateTimeLimitActions)
}

// ValidateUpdateJobQueue checks UpdateJobQueue: the queue reference and the
// given members, by CreateJobQueue's rules. An empty computeEnvironmentOrder
// detaches every compute environment. CheckJobQueueUpdate checks the update
// against the current queue.
func ValidateUpdateJobQueue(in *UpdateJobQueueInput) error {
	if err := validateRef("jobQueue", in.JobQueue, ResourceTypeJobQueue); err != nil {
		return err
	}
	return validateQueueSettings(in.State, in.SchedulingPolicyArn, in.Priority, in.ComputeEnvironmentOrder, in.ServiceEnvironmentOrder, in.JobStateTimeLimitActions)
}

// validateQueueSettings checks the members CreateJobQueue and
// UpdateJobQueue share.
func validateQueueSettings(state, policyArn string, priority *int, order []ComputeEnvironmentOrder, serviceOrder []map[string]any, actions []JobStateTimeLimitAction) error {
	if err := validateState("state", state); err != nil {
		return err
	}
	if priority != nil && *priority < 0 {
		return invalidf("priority", "must be at least 0 (got %d)", *priority)
	}
	if policyArn != "" {
		if err := validateARN("schedulingPolicyArn", policyArn, ResourceTypeSchedulingPolicy); err != nil {
			return err
		}
	}
	if len(serviceOrder) > 0 {
		return unsupportedf("serviceEnvironmentOrder", "service environments (SageMaker)")
	}
	if err := validateComputeEnvironmentOrder(order); err != nil {
		return err
	}
	return validateTimeLimitActions(actions)
}

// validateComputeEnvironmentOrder checks at most 3 entries, each naming a
// compute environment once, with distinct orders of at least 0.
func validateComputeEnvironmentOrder(order []ComputeEnvironmentOrder) error {
	const path = "computeEnvironmentOrder"
	if len(order) > maxQueueComputeEnvironments {
		return invalidf(path, "must have at most %d compute environments (got %d)", maxQueueComputeEnvironments, len(order))
	}
	orders := map[int]bool{}
	names := map[string]bool{}
	for i, o := range order {
		p := elemPath(path, i)
		if err := validateRef(memberPath(p, "computeEnvironment"), o.ComputeEnvironment, ResourceTypeComputeEnvironment); err != nil {
			return err
		}
		name, _ := nameFromRef(o.ComputeEnvironment, ResourceTypeComputeEnvironment)
		if names[name] {
			return invalidf(memberPath(p, "computeEnvironment"), "lists compute environment %s twice", name)
		}
		names[name] = true
		if o.Order < 0 {
			return invalidf(memberPath(p, "order"), "must be at least 0 (got %d)", o.Order)
		}
		if orders[o.Order] {
			return invalidf(memberPath(p, "order"), "repeats order %d; each compute environment needs its own order", o.Order)
		}
		orders[o.Order] = true
	}
	return nil
}

// validateTimeLimitActions checks each action: state RUNNABLE, action
// CANCEL, maxTimeSeconds 600–86,400 and one of TimeLimitReasons, each
// reason at most once.
func validateTimeLimitActions(actions []JobStateTimeLimitAction) error {
	const path = "jobStateTimeLimitActions"
	reasons := map[string]bool{}
	for i, a := range actions {
		p := elemPath(path, i)
		if a.State != TimeLimitStateRunnable {
			return invalidf(memberPath(p, "state"), "must be RUNNABLE (got %s)", quoteValue(a.State))
		}
		switch a.Action {
		case TimeLimitActionCancel:
		case "TERMINATE":
			return invalidf(memberPath(p, "action"), "TERMINATE is only for SageMaker job queues, which Tanda does not support; use CANCEL")
		default:
			return invalidf(memberPath(p, "action"), "must be CANCEL (got %s)", quoteValue(a.Action))
		}
		if a.MaxTimeSeconds < minTimeLimitSeconds || a.MaxTimeSeconds > maxTimeLimitSeconds {
			return invalidf(memberPath(p, "maxTimeSeconds"), "must be between %d and %d (got %d)", minTimeLimitSeconds, maxTimeLimitSeconds, a.MaxTimeSeconds)
		}
		if !slices.Contains(TimeLimitReasons, a.Reason) {
			return invalidf(memberPath(p, "reason"), "must be one of %s (got %s)", strings.Join(TimeLimitReasons, ", "), quoteValue(a.Reason))
		}
		if reasons[a.Reason] {
			return invalidf(memberPath(p, "reason"), "repeats %s; give each reason one action", a.Reason)
		}
		reasons[a.Reason] = true
	}
	return nil
}

// CheckJobQueueUpdate checks an update against the current queue: a queue
// without a scheduling policy (FIFO) can never gain one. (Removing a
// policy cannot be expressed: an empty schedulingPolicyArn changes nothing.)
func CheckJobQueueUpdate(current *JobQueue, in *UpdateJobQueueInput) error {
	if current.SchedulingPolicyArn == "" && in.SchedulingPolicyArn != "" {
		return invalidf("schedulingPolicyArn", "cannot be set on job queue %s, which was created without a scheduling policy (FIFO); create a new queue with the policy", current.JobQueueName)
	}
	return nil
}
