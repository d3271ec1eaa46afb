package batch

import (
	"github.com/google/uuid"
)

// AWS Batch returns some members on every resource even when they are empty
// ([] or {}, false), and clients index them without checking: a script's
// jd["containerProperties"]["environment"] or Nextflow's read of
// ecsClusterArn. The Present functions fill those members on a copy made for
// an answer; stored documents keep them unset (the fields are omitzero, so an
// unset member is left out of storage and an empty one is written on the wire).
//
// The lists follow AWS's documented example responses (the aws CLI's
// examples for DescribeJobs, DescribeJobDefinitions, DescribeComputeEnvironments
// and DescribeJobQueues) and what AWS is observed to return beyond them;
// docs/API.md lists them.

// PresentJob fills the members DescribeJobs always returns.
func PresentJob(j *Job) {
	j.Attempts = orEmpty(j.Attempts)
	if len(j.Attempts) > 0 {
		attempts := make([]AttemptDetail, len(j.Attempts))
		for i, a := range j.Attempts {
			if a.Container != nil {
				c := *a.Container
				c.NetworkInterfaces = orEmpty(c.NetworkInterfaces)
				a.Container = &c
			}
			attempts[i] = a
		}
		j.Attempts = attempts
	}
	j.DependsOn = orEmpty(j.DependsOn)
	j.Parameters = orEmptyMap(j.Parameters)
	j.Tags = orEmptyMap(j.Tags)
	j.PlatformCapabilities = orEmpty(j.PlatformCapabilities)
	j.EksAttempts = orEmpty(j.EksAttempts)
	if j.PropagateTags == nil {
		j.PropagateTags = new(bool)
	}
	if j.Container != nil {
		c := presentContainer(*j.Container)
		c.NetworkInterfaces = orEmpty(c.NetworkInterfaces)
		j.Container = &c
	}
}

// PresentJobDefinition fills the members DescribeJobDefinitions always
// returns.
func PresentJobDefinition(jd *JobDefinition) {
	jd.Parameters = orEmptyMap(jd.Parameters)
	jd.Tags = orEmptyMap(jd.Tags)
	jd.PlatformCapabilities = orEmpty(jd.PlatformCapabilities)
	if jd.PropagateTags == nil {
		jd.PropagateTags = new(bool)
	}
	if jd.ContainerOrchestrationType == "" {
		jd.ContainerOrchestrationType = OrchestrationECS
	}
	if jd.ContainerProperties != nil {
		c := presentContainer(*jd.ContainerProperties)
		jd.ContainerProperties = &c
	}
}

// presentContainer fills a container's lists, as both a job definition's
// containerProperties and a job's container show them.
func presentContainer(c ContainerProperties) ContainerProperties {
	c.Command = orEmpty(c.Command)
	c.Volumes = orEmpty(c.Volumes)
	c.Environment = orEmpty(c.Environment)
	c.MountPoints = orEmpty(c.MountPoints)
	c.Ulimits = orEmpty(c.Ulimits)
	c.ResourceRequirements = orEmpty(c.ResourceRequirements)
	c.Secrets = orEmpty(c.Secrets)
	return c
}

// OrchestrationECS is the containerOrchestrationType of every Tanda
// compute environment and job definition: ECS-kind, not EKS.
const OrchestrationECS = "ECS"

// Defaults of a managed compute environment's update policy, which AWS
// returns when none was set.
const (
	DefaultJobExecutionTimeoutMinutes = 30
)

// PresentComputeEnvironment fills the members DescribeComputeEnvironments
// always returns, among them ecsClusterArn: no ECS cluster stands behind a
// Tanda compute environment, but clients (Nextflow) read it, so it is a
// stable ARN of AWS's shape, <name>_Batch_<uuid>.
func PresentComputeEnvironment(ce *ComputeEnvironment) {
	ce.Tags = orEmptyMap(ce.Tags)
	if ce.ContainerOrchestrationType == "" {
		ce.ContainerOrchestrationType = OrchestrationECS
	}
	if ce.EcsClusterArn == "" && ce.ContainerOrchestrationType == OrchestrationECS {
		ce.EcsClusterArn = ecsClusterARN(ce)
	}
	if ce.Type == TypeManaged && ce.UpdatePolicy == nil {
		ce.UpdatePolicy = &UpdatePolicy{
			TerminateJobsOnUpdate:      new(bool),
			JobExecutionTimeoutMinutes: new(int64(DefaultJobExecutionTimeoutMinutes)),
		}
	}
	if ce.ComputeResources != nil {
		cr := *ce.ComputeResources
		cr.Tags = orEmptyMap(cr.Tags)
		cr.InstanceTypes = orEmpty(cr.InstanceTypes)
		cr.Subnets = orEmpty(cr.Subnets)
		cr.SecurityGroupIDs = orEmpty(cr.SecurityGroupIDs)
		ce.ComputeResources = &cr
	}
}

// ecsClusterARN is the ECS cluster ARN shown for a compute environment: in
// its partition, region and account, named after it and its uuid (or, for
// one stored without a uuid, a uuid derived from its ARN).
func ecsClusterARN(ce *ComputeEnvironment) string {
	a, err := ParseARN(ce.ComputeEnvironmentArn)
	if err != nil {
		return ""
	}
	id := ce.UUID
	if id == "" {
		id = uuid.NewSHA1(uuid.NameSpaceURL, []byte(ce.ComputeEnvironmentArn)).String()
	}
	a.Service = "ecs"
	a.ResourceType = "cluster"
	a.Resource = ce.ComputeEnvironmentName + "_Batch_" + id
	return a.String()
}

// PresentJobQueue fills the members DescribeJobQueues always returns.
func PresentJobQueue(q *JobQueue) {
	q.Tags = orEmptyMap(q.Tags)
	q.ComputeEnvironmentOrder = orEmpty(q.ComputeEnvironmentOrder)
	q.JobStateTimeLimitActions = orEmpty(q.JobStateTimeLimitActions)
}

// PresentSchedulingPolicy fills the members DescribeSchedulingPolicies
// always returns.
func PresentSchedulingPolicy(sp *SchedulingPolicy) {
	sp.Tags = orEmptyMap(sp.Tags)
	if sp.FairsharePolicy != nil {
		fp := *sp.FairsharePolicy
		fp.ShareDistribution = orEmpty(fp.ShareDistribution)
		sp.FairsharePolicy = &fp
	}
}

// orEmpty is s, or an empty list when s is nil.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// orEmptyMap is m, or an empty map when m is nil.
func orEmptyMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}
