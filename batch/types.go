package batch

// The types below are both Tanda's domain model and the AWS Batch wire shapes
// (restJson1): their JSON names are the API's member names, times are epoch
// milliseconds, and optional members are omitted when unset.

// KeyValuePair is an environment variable.
type KeyValuePair struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ResourceRequirement is one of VCPU, MEMORY (MiB) or GPU.
type ResourceRequirement struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Resource requirement types.
const (
	ResourceVCPU   = "VCPU"
	ResourceMemory = "MEMORY"
	ResourceGPU    = "GPU"
)

// Host is a volume's host path.
type Host struct {
	SourcePath string `json:"sourcePath,omitempty"`
}

// Volume is a data volume of a container.
type Volume struct {
	Name                   string         `json:"name,omitempty"`
	Host                   *Host          `json:"host,omitempty"`
	EFSVolumeConfiguration map[string]any `json:"efsVolumeConfiguration,omitempty"`
}

// MountPoint mounts a volume in a container.
type MountPoint struct {
	ContainerPath string `json:"containerPath,omitempty"`
	ReadOnly      bool   `json:"readOnly,omitempty"`
	SourceVolume  string `json:"sourceVolume,omitempty"`
}

// Ulimit is a container ulimit.
type Ulimit struct {
	Name      string `json:"name"`
	SoftLimit int64  `json:"softLimit"`
	HardLimit int64  `json:"hardLimit"`
}

// Device maps a host device into a container.
type Device struct {
	HostPath      string   `json:"hostPath"`
	ContainerPath string   `json:"containerPath,omitempty"`
	Permissions   []string `json:"permissions,omitempty"`
}

// Tmpfs is a tmpfs mount.
type Tmpfs struct {
	ContainerPath string   `json:"containerPath"`
	Size          int64    `json:"size"`
	MountOptions  []string `json:"mountOptions,omitempty"`
}

// LinuxParameters are Linux-specific container settings.
type LinuxParameters struct {
	Devices            []Device `json:"devices,omitempty"`
	InitProcessEnabled *bool    `json:"initProcessEnabled,omitempty"`
	SharedMemorySize   *int64   `json:"sharedMemorySize,omitempty"`
	Tmpfs              []Tmpfs  `json:"tmpfs,omitempty"`
	MaxSwap            *int64   `json:"maxSwap,omitempty"`
	Swappiness         *int64   `json:"swappiness,omitempty"`
}

// LogConfiguration selects a log driver.
type LogConfiguration struct {
	LogDriver     string            `json:"logDriver"`
	Options       map[string]string `json:"options,omitempty"`
	SecretOptions []Secret          `json:"secretOptions,omitempty"`
}

// Secret references a secret by ARN; its value is resolved on the instance.
type Secret struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

// NetworkInterface describes an attempt's network interface.
type NetworkInterface struct {
	AttachmentID       string `json:"attachmentId,omitempty"`
	IPv6Address        string `json:"ipv6Address,omitempty"`
	PrivateIPv4Address string `json:"privateIpv4Address,omitempty"`
}

// ContainerProperties is a job definition's container, and, with the runtime
// fields of the latest attempt, a job's merged container (ContainerDetail).
type ContainerProperties struct {
	Image                        string                `json:"image,omitempty"`
	Vcpus                        *int64                `json:"vcpus,omitempty"`
	Memory                       *int64                `json:"memory,omitempty"`
	Command                      []string              `json:"command,omitzero"`
	JobRoleArn                   string                `json:"jobRoleArn,omitempty"`
	ExecutionRoleArn             string                `json:"executionRoleArn,omitempty"`
	Volumes                      []Volume              `json:"volumes,omitzero"`
	Environment                  []KeyValuePair        `json:"environment,omitzero"`
	MountPoints                  []MountPoint          `json:"mountPoints,omitzero"`
	ReadonlyRootFilesystem       *bool                 `json:"readonlyRootFilesystem,omitempty"`
	Privileged                   *bool                 `json:"privileged,omitempty"`
	Ulimits                      []Ulimit              `json:"ulimits,omitzero"`
	User                         string                `json:"user,omitempty"`
	InstanceType                 string                `json:"instanceType,omitempty"`
	ResourceRequirements         []ResourceRequirement `json:"resourceRequirements,omitzero"`
	LinuxParameters              *LinuxParameters      `json:"linuxParameters,omitempty"`
	LogConfiguration             *LogConfiguration     `json:"logConfiguration,omitempty"`
	Secrets                      []Secret              `json:"secrets,omitzero"`
	NetworkConfiguration         map[string]any        `json:"networkConfiguration,omitempty"`
	FargatePlatformConfiguration map[string]any        `json:"fargatePlatformConfiguration,omitempty"`
	EphemeralStorage             map[string]any        `json:"ephemeralStorage,omitempty"`
	RuntimePlatform              map[string]any        `json:"runtimePlatform,omitempty"`
	RepositoryCredentials        map[string]any        `json:"repositoryCredentials,omitempty"`
	EnableExecuteCommand         *bool                 `json:"enableExecuteCommand,omitempty"`

	// Runtime fields of the latest attempt (ContainerDetail only).
	ExitCode             *int               `json:"exitCode,omitempty"`
	Reason               string             `json:"reason,omitempty"`
	ContainerInstanceArn string             `json:"containerInstanceArn,omitempty"`
	TaskArn              string             `json:"taskArn,omitempty"`
	LogStreamName        string             `json:"logStreamName,omitempty"`
	NetworkInterfaces    []NetworkInterface `json:"networkInterfaces,omitzero"`
}

// ContainerOverrides are SubmitJob's changes to the job definition's container.
type ContainerOverrides struct {
	Vcpus                *int64                `json:"vcpus,omitempty"`
	Memory               *int64                `json:"memory,omitempty"`
	Command              []string              `json:"command,omitempty"`
	InstanceType         string                `json:"instanceType,omitempty"`
	Environment          []KeyValuePair        `json:"environment,omitempty"`
	ResourceRequirements []ResourceRequirement `json:"resourceRequirements,omitempty"`
	// LogConfiguration is not an override AWS Batch takes; it is read
	// only to be refused, rather than silently ignored.
	LogConfiguration *LogConfiguration `json:"logConfiguration,omitempty"`
}

// EvaluateOnExit is one retry-strategy rule.
type EvaluateOnExit struct {
	OnStatusReason string `json:"onStatusReason,omitempty"`
	OnReason       string `json:"onReason,omitempty"`
	OnExitCode     string `json:"onExitCode,omitempty"`
	Action         string `json:"action"`
}

// Retry actions.
const (
	ActionRetry = "RETRY"
	ActionExit  = "EXIT"
)

// RetryStrategy says how often and when a failed attempt is retried.
type RetryStrategy struct {
	Attempts       *int             `json:"attempts,omitempty"`
	EvaluateOnExit []EvaluateOnExit `json:"evaluateOnExit,omitempty"`
}

// JobTimeout bounds each attempt.
type JobTimeout struct {
	AttemptDurationSeconds *int64 `json:"attemptDurationSeconds,omitempty"`
}

// JobDependency is one dependsOn entry.
type JobDependency struct {
	JobID string `json:"jobId,omitempty"`
	Type  string `json:"type,omitempty"`
}

// Dependency types.
const (
	DependencyNToN       = "N_TO_N"
	DependencySequential = "SEQUENTIAL"
)

// ArrayProperties are SubmitJob's array request.
type ArrayProperties struct {
	Size *int `json:"size,omitempty"`
}

// ArrayPropertiesDetail is a job's array state: the parent's size and
// statusSummary, or a child's index.
type ArrayPropertiesDetail struct {
	StatusSummary              map[string]int `json:"statusSummary,omitempty"`
	StatusSummaryLastUpdatedAt int64          `json:"statusSummaryLastUpdatedAt,omitempty"`
	Size                       *int           `json:"size,omitempty"`
	Index                      *int           `json:"index,omitempty"`
}

// AttemptContainerDetail is the container part of an attempt.
type AttemptContainerDetail struct {
	ContainerInstanceArn string             `json:"containerInstanceArn,omitempty"`
	TaskArn              string             `json:"taskArn,omitempty"`
	ExitCode             *int               `json:"exitCode,omitempty"`
	Reason               string             `json:"reason,omitempty"`
	LogStreamName        string             `json:"logStreamName,omitempty"`
	NetworkInterfaces    []NetworkInterface `json:"networkInterfaces,omitzero"`
}

// AttemptDetail records one placement of a job.
type AttemptDetail struct {
	Container    *AttemptContainerDetail `json:"container,omitempty"`
	StartedAt    int64                   `json:"startedAt,omitempty"`
	StoppedAt    int64                   `json:"stoppedAt,omitempty"`
	StatusReason string                  `json:"statusReason,omitempty"`
}

// EksAttemptDetail is an attempt of a job on EKS, which Tanda never makes.
type EksAttemptDetail struct{}

// JobDefinition is one revision of a job definition.
type JobDefinition struct {
	JobDefinitionName          string               `json:"jobDefinitionName"`
	JobDefinitionArn           string               `json:"jobDefinitionArn"`
	Revision                   int                  `json:"revision"`
	Status                     string               `json:"status,omitempty"`
	Type                       string               `json:"type"`
	SchedulingPriority         *int                 `json:"schedulingPriority,omitempty"`
	Parameters                 map[string]string    `json:"parameters,omitzero"`
	RetryStrategy              *RetryStrategy       `json:"retryStrategy,omitempty"`
	ContainerProperties        *ContainerProperties `json:"containerProperties,omitempty"`
	Timeout                    *JobTimeout          `json:"timeout,omitempty"`
	NodeProperties             map[string]any       `json:"nodeProperties,omitempty"`
	Tags                       map[string]string    `json:"tags,omitzero"`
	PropagateTags              *bool                `json:"propagateTags,omitempty"`
	PlatformCapabilities       []string             `json:"platformCapabilities,omitzero"`
	EcsProperties              map[string]any       `json:"ecsProperties,omitempty"`
	EksProperties              map[string]any       `json:"eksProperties,omitempty"`
	ContainerOrchestrationType string               `json:"containerOrchestrationType,omitempty"`
}

// Job definition statuses.
const (
	DefinitionActive   = "ACTIVE"
	DefinitionInactive = "INACTIVE"
)

// Job is a submitted job: the JobDetail of DescribeJobs plus Tanda's own
// bookkeeping (unexported on the wire through JobDetail's omissions).
type Job struct {
	JobArn               string                 `json:"jobArn"`
	JobName              string                 `json:"jobName"`
	JobID                string                 `json:"jobId"`
	JobQueue             string                 `json:"jobQueue"`
	Status               Status                 `json:"status"`
	ShareIdentifier      string                 `json:"shareIdentifier,omitempty"`
	SchedulingPriority   *int                   `json:"schedulingPriority,omitempty"`
	Attempts             []AttemptDetail        `json:"attempts"`
	StatusReason         string                 `json:"statusReason,omitempty"`
	CreatedAt            int64                  `json:"createdAt"`
	RetryStrategy        *RetryStrategy         `json:"retryStrategy,omitempty"`
	StartedAt            int64                  `json:"startedAt,omitempty"`
	StoppedAt            int64                  `json:"stoppedAt,omitempty"`
	DependsOn            []JobDependency        `json:"dependsOn"`
	JobDefinition        string                 `json:"jobDefinition"`
	Parameters           map[string]string      `json:"parameters,omitzero"`
	Container            *ContainerProperties   `json:"container,omitempty"`
	ArrayProperties      *ArrayPropertiesDetail `json:"arrayProperties,omitempty"`
	Timeout              *JobTimeout            `json:"timeout,omitempty"`
	Tags                 map[string]string      `json:"tags,omitzero"`
	PropagateTags        *bool                  `json:"propagateTags,omitempty"`
	PlatformCapabilities []string               `json:"platformCapabilities,omitzero"`
	IsCancelled          *bool                  `json:"isCancelled,omitempty"`
	IsTerminated         *bool                  `json:"isTerminated,omitempty"`
	// EksAttempts is always empty: Tanda runs no EKS jobs, but AWS returns
	// the member on every job.
	EksAttempts []EksAttemptDetail `json:"eksAttempts,omitzero"`

	// Tanda's bookkeeping, stored with the job and left off the wire.
	Internal JobInternal `json:"-"`
}

// JobInternal is the part of a job that is Tanda's own state.
type JobInternal struct {
	// Version rises by one on every write; conditional writes are fenced by it.
	Version int64 `json:"version"`
	// QueueName is the job queue's name (JobQueue holds its ARN).
	QueueName string `json:"queueName"`
	// DefinitionName is the job definition's name, for filters and log streams.
	DefinitionName string `json:"definitionName"`
	// ArrayParent is the parent's id for an array child.
	ArrayParent string `json:"arrayParent,omitempty"`
	// Attempt counts the placements made so far (the fencing token).
	Attempt int `json:"attempt"`
	// Instance holds the lease of the current attempt.
	Instance string `json:"instance,omitempty"`
	// ComputeEnvironment is where the current attempt runs.
	ComputeEnvironment string `json:"computeEnvironment,omitempty"`
	// LeaseExpiresAt is when the current attempt's lease runs out (ms).
	LeaseExpiresAt int64 `json:"leaseExpiresAt,omitempty"`
	// TerminateRequested asks the agent to stop the running attempt.
	TerminateRequested bool `json:"terminateRequested,omitempty"`
	// CancelRequested cancels a PENDING job once its dependencies finish.
	CancelRequested bool `json:"cancelRequested,omitempty"`
	// CancelReason is the reason given to CancelJob or TerminateJob.
	CancelReason string `json:"cancelReason,omitempty"`
	// RunnableAt is when the job last became RUNNABLE (ms); queue order.
	RunnableAt int64 `json:"runnableAt,omitempty"`
	// UpdatedAt is the time of the last write (ms).
	UpdatedAt int64 `json:"updatedAt"`
	// VCPUs, MemoryMiB and GPUs are the merged resource requirements.
	VCPUs     float64 `json:"vcpus"`
	MemoryMiB int64   `json:"memoryMiB"`
	GPUs      int64   `json:"gpus,omitempty"`
	// BlockedSince is when the current RUNNABLE statusReason was first set.
	BlockedSince int64 `json:"blockedSince,omitempty"`
	// InvocationID is the SDK invocation id of the SubmitJob call.
	InvocationID string `json:"invocationId,omitempty"`
	// RequestHash identifies the content of the SubmitJob call that made
	// the job, when it had an invocation id: a retry must match it.
	RequestHash string `json:"requestHash,omitempty"`
	// ExpiresAt is when a finished job may be deleted (ms).
	ExpiresAt int64 `json:"expiresAt,omitempty"`
	// FairShare is set when the job's queue has a scheduling policy: its
	// ready doorbell is rung by the fair-share dispatcher, in share order.
	FairShare bool `json:"fairShare,omitempty"`
	// ArraySize is an array child's array size.
	ArraySize int `json:"arraySize,omitempty"`
	// Expanded is set on an array parent once its children exist.
	Expanded bool `json:"expanded,omitempty"`
	// LastProgressAt is when the scheduler last acted on the job (ms); the
	// sweeper re-rings doorbells of jobs without progress.
	LastProgressAt int64 `json:"lastProgressAt,omitempty"`
}

// ComputeResource is a managed compute environment's capacity settings.
type ComputeResource struct {
	Type               string            `json:"type"`
	AllocationStrategy string            `json:"allocationStrategy,omitempty"`
	MinvCpus           *int              `json:"minvCpus,omitempty"`
	MaxvCpus           *int              `json:"maxvCpus,omitempty"`
	DesiredvCpus       *int              `json:"desiredvCpus,omitempty"`
	InstanceTypes      []string          `json:"instanceTypes,omitzero"`
	ImageID            string            `json:"imageId,omitempty"`
	Subnets            []string          `json:"subnets,omitzero"`
	SecurityGroupIDs   []string          `json:"securityGroupIds,omitzero"`
	Ec2KeyPair         string            `json:"ec2KeyPair,omitempty"`
	InstanceRole       string            `json:"instanceRole,omitempty"`
	Tags               map[string]string `json:"tags,omitzero"`
	PlacementGroup     string            `json:"placementGroup,omitempty"`
	BidPercentage      *int              `json:"bidPercentage,omitempty"`
	SpotIamFleetRole   string            `json:"spotIamFleetRole,omitempty"`
	LaunchTemplate     map[string]any    `json:"launchTemplate,omitempty"`
	Ec2Configuration   []map[string]any  `json:"ec2Configuration,omitempty"`
	ScalingPolicy      *ScalingPolicy    `json:"scalingPolicy,omitempty"`
}

// ScalingPolicy holds minScaleDownDelayMinutes.
type ScalingPolicy struct {
	MinScaleDownDelayMinutes *int `json:"minScaleDownDelayMinutes,omitempty"`
}

// UpdatePolicy is a compute environment's infrastructure-update policy.
type UpdatePolicy struct {
	TerminateJobsOnUpdate      *bool  `json:"terminateJobsOnUpdate,omitempty"`
	JobExecutionTimeoutMinutes *int64 `json:"jobExecutionTimeoutMinutes,omitempty"`
}

// ComputeEnvironment is a compute environment (ComputeEnvironmentDetail).
type ComputeEnvironment struct {
	ComputeEnvironmentName     string            `json:"computeEnvironmentName"`
	ComputeEnvironmentArn      string            `json:"computeEnvironmentArn"`
	UnmanagedvCpus             *int              `json:"unmanagedvCpus,omitempty"`
	EcsClusterArn              string            `json:"ecsClusterArn,omitempty"`
	Tags                       map[string]string `json:"tags,omitzero"`
	Type                       string            `json:"type"`
	State                      string            `json:"state"`
	Status                     string            `json:"status"`
	StatusReason               string            `json:"statusReason,omitempty"`
	ComputeResources           *ComputeResource  `json:"computeResources,omitempty"`
	ServiceRole                string            `json:"serviceRole,omitempty"`
	UpdatePolicy               *UpdatePolicy     `json:"updatePolicy,omitempty"`
	ContainerOrchestrationType string            `json:"containerOrchestrationType,omitempty"`
	UUID                       string            `json:"uuid,omitempty"`
	Context                    string            `json:"context,omitempty"`

	// Decision is the provisioner's last decision, Tanda's own addition.
	Decision *ScalingDecision `json:"tandaLastScalingDecision,omitempty"`
	// LastChange is the provisioner's last decision that launched or
	// retired instances, kept while later passes change nothing.
	LastChange *ScalingDecision `json:"tandaLastScalingChange,omitempty"`
	Version    int64            `json:"-"`
}

// ScalingDecision is what the provisioner decided for a compute environment
// in its latest pass, and why.
type ScalingDecision struct {
	At           int64    `json:"at"`
	DesiredvCpus int      `json:"desiredvCpus"`
	Launch       []string `json:"launch,omitempty"`
	Retire       []string `json:"retire,omitempty"`
	Reason       string   `json:"reason"`
}

// Compute environment and queue states and statuses.
const (
	StateEnabled  = "ENABLED"
	StateDisabled = "DISABLED"

	StatusCreating = "CREATING"
	StatusUpdating = "UPDATING"
	StatusDeleting = "DELETING"
	StatusDeleted  = "DELETED"
	StatusValid    = "VALID"
	StatusInvalid  = "INVALID"

	TypeManaged   = "MANAGED"
	TypeUnmanaged = "UNMANAGED"
)

// ComputeEnvironmentOrder attaches a compute environment to a queue.
type ComputeEnvironmentOrder struct {
	Order              int    `json:"order"`
	ComputeEnvironment string `json:"computeEnvironment"`
}

// JobStateTimeLimitAction cancels jobs stuck in a state for a reason.
type JobStateTimeLimitAction struct {
	Reason         string `json:"reason"`
	State          string `json:"state"`
	MaxTimeSeconds int    `json:"maxTimeSeconds"`
	Action         string `json:"action"`
}

// JobQueue is a job queue (JobQueueDetail).
type JobQueue struct {
	JobQueueName             string                    `json:"jobQueueName"`
	JobQueueArn              string                    `json:"jobQueueArn"`
	State                    string                    `json:"state"`
	SchedulingPolicyArn      string                    `json:"schedulingPolicyArn,omitempty"`
	Status                   string                    `json:"status,omitempty"`
	StatusReason             string                    `json:"statusReason,omitempty"`
	Priority                 int                       `json:"priority"`
	ComputeEnvironmentOrder  []ComputeEnvironmentOrder `json:"computeEnvironmentOrder"`
	Tags                     map[string]string         `json:"tags,omitzero"`
	JobQueueType             string                    `json:"jobQueueType,omitempty"`
	JobStateTimeLimitActions []JobStateTimeLimitAction `json:"jobStateTimeLimitActions,omitzero"`

	Version int64 `json:"-"`
}

// ShareAttributes weights one share identifier (or prefix) of a policy.
type ShareAttributes struct {
	ShareIdentifier string   `json:"shareIdentifier"`
	WeightFactor    *float64 `json:"weightFactor,omitempty"`
}

// FairsharePolicy is a scheduling policy's fair-share settings.
type FairsharePolicy struct {
	ShareDecaySeconds  *int              `json:"shareDecaySeconds,omitempty"`
	ComputeReservation *int              `json:"computeReservation,omitempty"`
	ShareDistribution  []ShareAttributes `json:"shareDistribution,omitzero"`
}

// SchedulingPolicy is a fair-share scheduling policy.
type SchedulingPolicy struct {
	Name            string            `json:"name"`
	Arn             string            `json:"arn"`
	FairsharePolicy *FairsharePolicy  `json:"fairsharePolicy,omitempty"`
	Tags            map[string]string `json:"tags,omitzero"`

	Version int64 `json:"-"`
}
