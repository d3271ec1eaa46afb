package httpapi

import (
	"context"
	"strings"
)

// operation is one POST /v1/<name> operation: its AWS name and how to serve
// it from a request body.
type operation struct {
	name  string
	serve func(ctx context.Context, b Backend, body []byte) (any, error)
}

// operations are the AWS Batch operations Tanda serves at POST /v1/<name>,
// keyed by the lowercased name that forms the path. Each lists the members
// the service model marks required.
var operations = indexOperations(
	withOutput("SubmitJob", Backend.SubmitJob, "jobName", "jobQueue", "jobDefinition"),
	withOutput("DescribeJobs", Backend.DescribeJobs, "jobs"),
	withOutput("ListJobs", Backend.ListJobs),
	noOutput("CancelJob", Backend.CancelJob, "jobId", "reason"),
	noOutput("TerminateJob", Backend.TerminateJob, "jobId", "reason"),
	withOutput("CancelJobs", Backend.CancelJobs, "jobs", "reason"),
	withOutput("TerminateJobs", Backend.TerminateJobs, "jobs", "reason"),

	withOutput("RegisterJobDefinition", Backend.RegisterJobDefinition, "jobDefinitionName", "type"),
	withOutput("DescribeJobDefinitions", Backend.DescribeJobDefinitions),
	noOutput("DeregisterJobDefinition", Backend.DeregisterJobDefinition, "jobDefinition"),

	withOutput("CreateComputeEnvironment", Backend.CreateComputeEnvironment, "computeEnvironmentName", "type"),
	withOutput("UpdateComputeEnvironment", Backend.UpdateComputeEnvironment, "computeEnvironment"),
	withOutput("DescribeComputeEnvironments", Backend.DescribeComputeEnvironments),
	noOutput("DeleteComputeEnvironment", Backend.DeleteComputeEnvironment, "computeEnvironment"),

	withOutput("CreateJobQueue", Backend.CreateJobQueue, "jobQueueName", "priority"),
	withOutput("UpdateJobQueue", Backend.UpdateJobQueue, "jobQueue"),
	withOutput("DescribeJobQueues", Backend.DescribeJobQueues),
	noOutput("DeleteJobQueue", Backend.DeleteJobQueue, "jobQueue"),

	withOutput("CreateSchedulingPolicy", Backend.CreateSchedulingPolicy, "name"),
	noOutput("UpdateSchedulingPolicy", Backend.UpdateSchedulingPolicy, "arn"),
	withOutput("DescribeSchedulingPolicies", Backend.DescribeSchedulingPolicies, "arns"),
	withOutput("ListSchedulingPolicies", Backend.ListSchedulingPolicies),
	noOutput("DeleteSchedulingPolicy", Backend.DeleteSchedulingPolicy, "arn"),

	withOutput("GetJobQueueSnapshot", Backend.GetJobQueueSnapshot, "jobQueue"),
)

// unimplemented are the real AWS Batch operations Tanda does not serve
// (consumable resources, service environments, service jobs and quota
// shares), keyed like operations, so callers are told so by name.
var unimplemented = indexNames(
	"CreateConsumableResource", "DescribeConsumableResource", "ListConsumableResources",
	"UpdateConsumableResource", "DeleteConsumableResource", "ListJobsByConsumableResource",
	"CreateServiceEnvironment", "DescribeServiceEnvironments", "UpdateServiceEnvironment",
	"DeleteServiceEnvironment",
	"SubmitServiceJob", "DescribeServiceJob", "ListServiceJobs", "TerminateServiceJob",
	"UpdateServiceJob",
	"CreateQuotaShare", "DescribeQuotaShare", "ListQuotaShares", "UpdateQuotaShare",
	"DeleteQuotaShare",
)

// withOutput adapts a Backend method that answers with an output.
func withOutput[In, Out any](name string, call func(Backend, context.Context, *In) (*Out, error), required ...string) operation {
	return operation{name: name, serve: func(ctx context.Context, b Backend, body []byte) (any, error) {
		in := new(In)
		if err := decode(body, in, required); err != nil {
			return nil, err
		}
		out, err := call(b, ctx, in)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return struct{}{}, nil
		}
		return out, nil
	}}
}

// noOutput adapts a Backend method whose operation answers {}.
func noOutput[In any](name string, call func(Backend, context.Context, *In) error, required ...string) operation {
	return operation{name: name, serve: func(ctx context.Context, b Backend, body []byte) (any, error) {
		in := new(In)
		if err := decode(body, in, required); err != nil {
			return nil, err
		}
		if err := call(b, ctx, in); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	}}
}

func indexOperations(ops ...operation) map[string]operation {
	m := make(map[string]operation, len(ops))
	for _, op := range ops {
		m[strings.ToLower(op.name)] = op
	}
	return m
}

func indexNames(names ...string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = n
	}
	return m
}
