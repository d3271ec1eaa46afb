package httpapi

import (
	"context"
	"net/http"

	"github.com/tanda-batch/tanda/batch"
)

// Backend carries out the AWS Batch operations. Its errors decide the answer:
// a *batch.ClientError becomes 400 ClientException with its message, an error
// wrapping batch.ErrThrottled becomes 429 TooManyRequestsException, and any
// other error becomes 500 ServerException (the detail is logged, not sent).
// A nil output with a nil error is answered with {}.
type Backend interface {
	SubmitJob(ctx context.Context, in *batch.SubmitJobInput) (*batch.SubmitJobOutput, error)
	DescribeJobs(ctx context.Context, in *batch.DescribeJobsInput) (*batch.DescribeJobsOutput, error)
	ListJobs(ctx context.Context, in *batch.ListJobsInput) (*batch.ListJobsOutput, error)
	CancelJob(ctx context.Context, in *batch.JobActionInput) error
	TerminateJob(ctx context.Context, in *batch.JobActionInput) error
	CancelJobs(ctx context.Context, in *batch.BulkJobActionInput) (*batch.BulkJobActionOutput, error)
	TerminateJobs(ctx context.Context, in *batch.BulkJobActionInput) (*batch.BulkJobActionOutput, error)

	RegisterJobDefinition(ctx context.Context, in *batch.RegisterJobDefinitionInput) (*batch.RegisterJobDefinitionOutput, error)
	DescribeJobDefinitions(ctx context.Context, in *batch.DescribeJobDefinitionsInput) (*batch.DescribeJobDefinitionsOutput, error)
	DeregisterJobDefinition(ctx context.Context, in *batch.DeregisterJobDefinitionInput) error

	CreateComputeEnvironment(ctx context.Context, in *batch.CreateComputeEnvironmentInput) (*batch.ComputeEnvironmentOutput, error)
	UpdateComputeEnvironment(ctx context.Context, in *batch.UpdateComputeEnvironmentInput) (*batch.ComputeEnvironmentOutput, error)
	DescribeComputeEnvironments(ctx context.Context, in *batch.DescribeComputeEnvironmentsInput) (*batch.DescribeComputeEnvironmentsOutput, error)
	DeleteComputeEnvironment(ctx context.Context, in *batch.DeleteComputeEnvironmentInput) error

	CreateJobQueue(ctx context.Context, in *batch.CreateJobQueueInput) (*batch.JobQueueOutput, error)
	UpdateJobQueue(ctx context.Context, in *batch.UpdateJobQueueInput) (*batch.JobQueueOutput, error)
	DescribeJobQueues(ctx context.Context, in *batch.DescribeJobQueuesInput) (*batch.DescribeJobQueuesOutput, error)
	DeleteJobQueue(ctx context.Context, in *batch.DeleteJobQueueInput) error

	CreateSchedulingPolicy(ctx context.Context, in *batch.CreateSchedulingPolicyInput) (*batch.CreateSchedulingPolicyOutput, error)
	UpdateSchedulingPolicy(ctx context.Context, in *batch.UpdateSchedulingPolicyInput) error
	DescribeSchedulingPolicies(ctx context.Context, in *batch.DescribeSchedulingPoliciesInput) (*batch.DescribeSchedulingPoliciesOutput, error)
	ListSchedulingPolicies(ctx context.Context, in *batch.ListSchedulingPoliciesInput) (*batch.ListSchedulingPoliciesOutput, error)
	DeleteSchedulingPolicy(ctx context.Context, in *batch.DeleteSchedulingPolicyInput) error

	TagResource(ctx context.Context, arn string, tags map[string]string) error
	UntagResource(ctx context.Context, arn string, keys []string) error
	ListTagsForResource(ctx context.Context, arn string) (map[string]string, error)

	GetJobQueueSnapshot(ctx context.Context, in *batch.GetJobQueueSnapshotInput) (*batch.GetJobQueueSnapshotOutput, error)
}

// Authenticator verifies a request's signature. It gets the request and the
// exact body bytes received, and returns the signer's access key id. A
// failure the client caused (bad, expired or unknown signature) must
// implement AuthCode() and AuthMessage() string: it is answered 403 with that
// code (for example "InvalidSignatureException") and message. Any other
// error is treated like a backend error (429 if it wraps batch.ErrThrottled,
// else 500).
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request, body []byte) (accessKeyID string, err error)
}

// authCoder is implemented by authentication failures: the error type and
// the message to answer with.
type authCoder interface {
	AuthCode() string
	AuthMessage() string
}
