package batch

// Inputs and outputs of the AWS Batch operations Tanda serves, in the API's
// member names. Unknown members are ignored when decoding, as AWS does.

// SubmitJobInput is SubmitJob's request.
type SubmitJobInput struct {
	JobName                    string              `json:"jobName"`
	JobQueue                   string              `json:"jobQueue"`
	JobDefinition              string              `json:"jobDefinition"`
	ArrayProperties            *ArrayProperties    `json:"arrayProperties,omitempty"`
	DependsOn                  []JobDependency     `json:"dependsOn,omitempty"`
	Parameters                 map[string]string   `json:"parameters,omitempty"`
	ContainerOverrides         *ContainerOverrides `json:"containerOverrides,omitempty"`
	NodeOverrides              map[string]any      `json:"nodeOverrides,omitempty"`
	RetryStrategy              *RetryStrategy      `json:"retryStrategy,omitempty"`
	Timeout                    *JobTimeout         `json:"timeout,omitempty"`
	PropagateTags              *bool               `json:"propagateTags,omitempty"`
	Tags                       map[string]string   `json:"tags,omitempty"`
	ShareIdentifier            string              `json:"shareIdentifier,omitempty"`
	SchedulingPriorityOverride *int                `json:"schedulingPriorityOverride,omitempty"`
	EcsPropertiesOverride      map[string]any      `json:"ecsPropertiesOverride,omitempty"`
	EksPropertiesOverride      map[string]any      `json:"eksPropertiesOverride,omitempty"`
}

// SubmitJobOutput is SubmitJob's answer.
type SubmitJobOutput struct {
	JobArn  string `json:"jobArn"`
	JobName string `json:"jobName"`
	JobID   string `json:"jobId"`
}

// DescribeJobsInput is DescribeJobs' request.
type DescribeJobsInput struct {
	Jobs []string `json:"jobs"`
}

// DescribeJobsOutput is DescribeJobs' answer.
type DescribeJobsOutput struct {
	Jobs []Job `json:"jobs"`
}

// KeyValuesPair is a ListJobs filter.
type KeyValuesPair struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// ListJobs filter names.
const (
	FilterJobName         = "JOB_NAME"
	FilterJobDefinition   = "JOB_DEFINITION"
	FilterBeforeCreatedAt = "BEFORE_CREATED_AT"
	FilterAfterCreatedAt  = "AFTER_CREATED_AT"
	FilterShareIdentifier = "SHARE_IDENTIFIER"
)

// ListJobsInput is ListJobs' request.
type ListJobsInput struct {
	JobQueue       string          `json:"jobQueue,omitempty"`
	ArrayJobID     string          `json:"arrayJobId,omitempty"`
	MultiNodeJobID string          `json:"multiNodeJobId,omitempty"`
	JobStatus      string          `json:"jobStatus,omitempty"`
	MaxResults     *int            `json:"maxResults,omitempty"`
	NextToken      string          `json:"nextToken,omitempty"`
	Filters        []KeyValuesPair `json:"filters,omitempty"`
}

// ContainerSummary is the container part of a JobSummary.
type ContainerSummary struct {
	ExitCode *int   `json:"exitCode,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// JobSummary is one ListJobs entry.
type JobSummary struct {
	JobArn          string                 `json:"jobArn"`
	JobID           string                 `json:"jobId"`
	JobName         string                 `json:"jobName"`
	CreatedAt       int64                  `json:"createdAt"`
	Status          Status                 `json:"status"`
	StatusReason    string                 `json:"statusReason,omitempty"`
	StartedAt       int64                  `json:"startedAt,omitempty"`
	StoppedAt       int64                  `json:"stoppedAt,omitempty"`
	Container       *ContainerSummary      `json:"container,omitempty"`
	ArrayProperties *ArrayPropertiesDetail `json:"arrayProperties,omitempty"`
	JobDefinition   string                 `json:"jobDefinition,omitempty"`
	ShareIdentifier string                 `json:"shareIdentifier,omitempty"`
}

// ListJobsOutput is ListJobs' answer.
type ListJobsOutput struct {
	JobSummaryList []JobSummary `json:"jobSummaryList"`
	NextToken      *string      `json:"nextToken,omitempty"`
}

// JobActionInput is CancelJob's and TerminateJob's request.
type JobActionInput struct {
	JobID  string `json:"jobId"`
	Reason string `json:"reason"`
}

// BulkJobActionInput is CancelJobs' and TerminateJobs' request.
type BulkJobActionInput struct {
	Jobs   []string `json:"jobs"`
	Reason string   `json:"reason"`
}

// BulkJobError is one failure of a bulk action.
type BulkJobError struct {
	Job     string `json:"job"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// BulkJobActionOutput is CancelJobs' and TerminateJobs' answer.
type BulkJobActionOutput struct {
	Successful []string       `json:"successful"`
	Errors     []BulkJobError `json:"errors"`
}

// RegisterJobDefinitionInput is RegisterJobDefinition's request.
type RegisterJobDefinitionInput struct {
	JobDefinitionName    string               `json:"jobDefinitionName"`
	Type                 string               `json:"type"`
	Parameters           map[string]string    `json:"parameters,omitempty"`
	SchedulingPriority   *int                 `json:"schedulingPriority,omitempty"`
	ContainerProperties  *ContainerProperties `json:"containerProperties,omitempty"`
	NodeProperties       map[string]any       `json:"nodeProperties,omitempty"`
	RetryStrategy        *RetryStrategy       `json:"retryStrategy,omitempty"`
	PropagateTags        *bool                `json:"propagateTags,omitempty"`
	Timeout              *JobTimeout          `json:"timeout,omitempty"`
	Tags                 map[string]string    `json:"tags,omitempty"`
	PlatformCapabilities []string             `json:"platformCapabilities,omitempty"`
	EksProperties        map[string]any       `json:"eksProperties,omitempty"`
	EcsProperties        map[string]any       `json:"ecsProperties,omitempty"`
}

// RegisterJobDefinitionOutput is RegisterJobDefinition's answer.
type RegisterJobDefinitionOutput struct {
	JobDefinitionName string `json:"jobDefinitionName"`
	JobDefinitionArn  string `json:"jobDefinitionArn"`
	Revision          int    `json:"revision"`
}

// DescribeJobDefinitionsInput is DescribeJobDefinitions' request.
type DescribeJobDefinitionsInput struct {
	JobDefinitions    []string `json:"jobDefinitions,omitempty"`
	MaxResults        *int     `json:"maxResults,omitempty"`
	JobDefinitionName string   `json:"jobDefinitionName,omitempty"`
	Status            string   `json:"status,omitempty"`
	NextToken         string   `json:"nextToken,omitempty"`
}

// DescribeJobDefinitionsOutput is DescribeJobDefinitions' answer.
type DescribeJobDefinitionsOutput struct {
	JobDefinitions []JobDefinition `json:"jobDefinitions"`
	NextToken      *string         `json:"nextToken,omitempty"`
}

// DeregisterJobDefinitionInput is DeregisterJobDefinition's request.
type DeregisterJobDefinitionInput struct {
	JobDefinition string `json:"jobDefinition"`
}

// CreateComputeEnvironmentInput is CreateComputeEnvironment's request.
type CreateComputeEnvironmentInput struct {
	ComputeEnvironmentName string            `json:"computeEnvironmentName"`
	Type                   string            `json:"type"`
	State                  string            `json:"state,omitempty"`
	UnmanagedvCpus         *int              `json:"unmanagedvCpus,omitempty"`
	ComputeResources       *ComputeResource  `json:"computeResources,omitempty"`
	ServiceRole            string            `json:"serviceRole,omitempty"`
	Tags                   map[string]string `json:"tags,omitempty"`
	EksConfiguration       map[string]any    `json:"eksConfiguration,omitempty"`
	Context                string            `json:"context,omitempty"`
}

// ComputeEnvironmentOutput is the answer of Create/UpdateComputeEnvironment.
type ComputeEnvironmentOutput struct {
	ComputeEnvironmentName string `json:"computeEnvironmentName"`
	ComputeEnvironmentArn  string `json:"computeEnvironmentArn"`
}

// ComputeResourceUpdate is UpdateComputeEnvironment's computeResources.
type ComputeResourceUpdate struct {
	MinvCpus                   *int              `json:"minvCpus,omitempty"`
	MaxvCpus                   *int              `json:"maxvCpus,omitempty"`
	DesiredvCpus               *int              `json:"desiredvCpus,omitempty"`
	Subnets                    []string          `json:"subnets,omitempty"`
	SecurityGroupIDs           []string          `json:"securityGroupIds,omitempty"`
	AllocationStrategy         string            `json:"allocationStrategy,omitempty"`
	InstanceTypes              []string          `json:"instanceTypes,omitempty"`
	Ec2KeyPair                 string            `json:"ec2KeyPair,omitempty"`
	InstanceRole               string            `json:"instanceRole,omitempty"`
	Tags                       map[string]string `json:"tags,omitempty"`
	PlacementGroup             string            `json:"placementGroup,omitempty"`
	BidPercentage              *int              `json:"bidPercentage,omitempty"`
	LaunchTemplate             map[string]any    `json:"launchTemplate,omitempty"`
	Ec2Configuration           []map[string]any  `json:"ec2Configuration,omitempty"`
	UpdateToLatestImageVersion *bool             `json:"updateToLatestImageVersion,omitempty"`
	Type                       string            `json:"type,omitempty"`
	ImageID                    string            `json:"imageId,omitempty"`
	ScalingPolicy              *ScalingPolicy    `json:"scalingPolicy,omitempty"`
}

// UpdateComputeEnvironmentInput is UpdateComputeEnvironment's request.
type UpdateComputeEnvironmentInput struct {
	ComputeEnvironment string                 `json:"computeEnvironment"`
	State              string                 `json:"state,omitempty"`
	UnmanagedvCpus     *int                   `json:"unmanagedvCpus,omitempty"`
	ComputeResources   *ComputeResourceUpdate `json:"computeResources,omitempty"`
	ServiceRole        string                 `json:"serviceRole,omitempty"`
	UpdatePolicy       *UpdatePolicy          `json:"updatePolicy,omitempty"`
	Context            string                 `json:"context,omitempty"`
}

// DescribeComputeEnvironmentsInput is DescribeComputeEnvironments' request.
type DescribeComputeEnvironmentsInput struct {
	ComputeEnvironments []string `json:"computeEnvironments,omitempty"`
	MaxResults          *int     `json:"maxResults,omitempty"`
	NextToken           string   `json:"nextToken,omitempty"`
}

// DescribeComputeEnvironmentsOutput is DescribeComputeEnvironments' answer.
type DescribeComputeEnvironmentsOutput struct {
	ComputeEnvironments []ComputeEnvironment `json:"computeEnvironments"`
	NextToken           *string              `json:"nextToken,omitempty"`
}

// DeleteComputeEnvironmentInput is DeleteComputeEnvironment's request.
type DeleteComputeEnvironmentInput struct {
	ComputeEnvironment string `json:"computeEnvironment"`
}

// CreateJobQueueInput is CreateJobQueue's request.
type CreateJobQueueInput struct {
	JobQueueName             string                    `json:"jobQueueName"`
	State                    string                    `json:"state,omitempty"`
	SchedulingPolicyArn      string                    `json:"schedulingPolicyArn,omitempty"`
	Priority                 *int                      `json:"priority"`
	ComputeEnvironmentOrder  []ComputeEnvironmentOrder `json:"computeEnvironmentOrder,omitempty"`
	ServiceEnvironmentOrder  []map[string]any          `json:"serviceEnvironmentOrder,omitempty"`
	JobQueueType             string                    `json:"jobQueueType,omitempty"`
	Tags                     map[string]string         `json:"tags,omitempty"`
	JobStateTimeLimitActions []JobStateTimeLimitAction `json:"jobStateTimeLimitActions,omitempty"`
}

// JobQueueOutput is the answer of Create/UpdateJobQueue.
type JobQueueOutput struct {
	JobQueueName string `json:"jobQueueName"`
	JobQueueArn  string `json:"jobQueueArn"`
}

// UpdateJobQueueInput is UpdateJobQueue's request.
type UpdateJobQueueInput struct {
	JobQueue                 string                    `json:"jobQueue"`
	State                    string                    `json:"state,omitempty"`
	SchedulingPolicyArn      string                    `json:"schedulingPolicyArn,omitempty"`
	Priority                 *int                      `json:"priority,omitempty"`
	ComputeEnvironmentOrder  []ComputeEnvironmentOrder `json:"computeEnvironmentOrder,omitempty"`
	ServiceEnvironmentOrder  []map[string]any          `json:"serviceEnvironmentOrder,omitempty"`
	JobStateTimeLimitActions []JobStateTimeLimitAction `json:"jobStateTimeLimitActions,omitempty"`
}

// DescribeJobQueuesInput is DescribeJobQueues' request.
type DescribeJobQueuesInput struct {
	JobQueues  []string `json:"jobQueues,omitempty"`
	MaxResults *int     `json:"maxResults,omitempty"`
	NextToken  string   `json:"nextToken,omitempty"`
}

// DescribeJobQueuesOutput is DescribeJobQueues' answer.
type DescribeJobQueuesOutput struct {
	JobQueues []JobQueue `json:"jobQueues"`
	NextToken *string    `json:"nextToken,omitempty"`
}

// DeleteJobQueueInput is DeleteJobQueue's request.
type DeleteJobQueueInput struct {
	JobQueue string `json:"jobQueue"`
}

// CreateSchedulingPolicyInput is CreateSchedulingPolicy's request.
type CreateSchedulingPolicyInput struct {
	Name             string            `json:"name"`
	FairsharePolicy  *FairsharePolicy  `json:"fairsharePolicy,omitempty"`
	QuotaSharePolicy map[string]any    `json:"quotaSharePolicy,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
}

// CreateSchedulingPolicyOutput is CreateSchedulingPolicy's answer.
type CreateSchedulingPolicyOutput struct {
	Name string `json:"name"`
	Arn  string `json:"arn"`
}

// DescribeSchedulingPoliciesInput is DescribeSchedulingPolicies' request.
type DescribeSchedulingPoliciesInput struct {
	Arns []string `json:"arns"`
}

// DescribeSchedulingPoliciesOutput is DescribeSchedulingPolicies' answer.
type DescribeSchedulingPoliciesOutput struct {
	SchedulingPolicies []SchedulingPolicy `json:"schedulingPolicies"`
}

// ListSchedulingPoliciesInput is ListSchedulingPolicies' request.
type ListSchedulingPoliciesInput struct {
	MaxResults *int   `json:"maxResults,omitempty"`
	NextToken  string `json:"nextToken,omitempty"`
}

// SchedulingPolicyListingDetail is one ListSchedulingPolicies entry.
type SchedulingPolicyListingDetail struct {
	Arn string `json:"arn"`
}

// ListSchedulingPoliciesOutput is ListSchedulingPolicies' answer.
type ListSchedulingPoliciesOutput struct {
	SchedulingPolicies []SchedulingPolicyListingDetail `json:"schedulingPolicies"`
	NextToken          *string                         `json:"nextToken,omitempty"`
}

// UpdateSchedulingPolicyInput is UpdateSchedulingPolicy's request.
type UpdateSchedulingPolicyInput struct {
	Arn              string           `json:"arn"`
	FairsharePolicy  *FairsharePolicy `json:"fairsharePolicy,omitempty"`
	QuotaSharePolicy map[string]any   `json:"quotaSharePolicy,omitempty"`
}

// DeleteSchedulingPolicyInput is DeleteSchedulingPolicy's request.
type DeleteSchedulingPolicyInput struct {
	Arn string `json:"arn"`
}

// TagResourceInput is TagResource's body.
type TagResourceInput struct {
	Tags map[string]string `json:"tags"`
}

// TagsOutput is ListTagsForResource's answer.
type TagsOutput struct {
	Tags map[string]string `json:"tags"`
}

// GetJobQueueSnapshotInput is GetJobQueueSnapshot's request.
type GetJobQueueSnapshotInput struct {
	JobQueue string `json:"jobQueue"`
}

// FrontOfQueueJobSummary is one job at the front of a queue.
type FrontOfQueueJobSummary struct {
	JobArn                 string `json:"jobArn"`
	EarliestTimeAtPosition int64  `json:"earliestTimeAtPosition"`
}

// FrontOfQueueDetail lists the first RUNNABLE jobs in dispatch order.
type FrontOfQueueDetail struct {
	Jobs          []FrontOfQueueJobSummary `json:"jobs"`
	LastUpdatedAt int64                    `json:"lastUpdatedAt"`
}

// CapacityUsage is an amount of capacity in use.
type CapacityUsage struct {
	CapacityUnit string  `json:"capacityUnit"`
	Quantity     float64 `json:"quantity"`
}

// ShareCapacityUsage is one share's usage.
type ShareCapacityUsage struct {
	ShareIdentifier string          `json:"shareIdentifier"`
	CapacityUsage   []CapacityUsage `json:"capacityUsage"`
}

// FairshareUtilization is a fair-share queue's usage by share.
type FairshareUtilization struct {
	ActiveShareCount       int                  `json:"activeShareCount"`
	TopCapacityUtilization []ShareCapacityUsage `json:"topCapacityUtilization"`
}

// QueueUtilization is a queue's capacity in use.
type QueueUtilization struct {
	TotalCapacityUsage   []CapacityUsage       `json:"totalCapacityUsage"`
	FairshareUtilization *FairshareUtilization `json:"fairshareUtilization,omitempty"`
	LastUpdatedAt        int64                 `json:"lastUpdatedAt"`
}

// GetJobQueueSnapshotOutput is GetJobQueueSnapshot's answer.
type GetJobQueueSnapshotOutput struct {
	FrontOfQueue     *FrontOfQueueDetail `json:"frontOfQueue,omitempty"`
	QueueUtilization *QueueUtilization   `json:"queueUtilization,omitempty"`
}
