package batch

import (
	"strings"
	"testing"
)

func TestValidateSubmitJob(t *testing.T) {
	array := func(in *SubmitJobInput) { in.ArrayProperties = &ArrayProperties{Size: new(4)} }
	deps := func(n int) []JobDependency {
		out := make([]JobDependency, n)
		for i := range out {
			out[i] = JobDependency{JobID: "j"}
		}
		return out
	}
	tests := []struct {
		name   string
		modify func(*SubmitJobInput)
		want   string
	}{
		{"minimal", func(*SubmitJobInput) {}, ""},
		{"one-character name", func(in *SubmitJobInput) { in.JobName = "x" }, ""},
		{"128-character name", func(in *SubmitJobInput) { in.JobName = strings.Repeat("a", 128) }, ""},
		{"name missing", func(in *SubmitJobInput) { in.JobName = "" }, "jobName is required"},
		{"name with space", func(in *SubmitJobInput) { in.JobName = "x y" },
			`jobName must be 1-128 characters of letters, numbers, hyphens and underscores, starting with a letter or number (got "x y")`},
		{"name starting with hyphen", func(in *SubmitJobInput) { in.JobName = "-x" }, "jobName must be 1-128 characters"},
		{"name of 129", func(in *SubmitJobInput) { in.JobName = strings.Repeat("a", 129) }, "jobName must be 1-128 characters"},
		{"queue missing", func(in *SubmitJobInput) { in.JobQueue = "" }, "jobQueue is required"},
		{"queue ARN", func(in *SubmitJobInput) { in.JobQueue = "arn:aws:batch:us-east-1:123456789012:job-queue/q" }, ""},
		{"queue ARN of another type", func(in *SubmitJobInput) { in.JobQueue = "arn:aws:batch:us-east-1:123456789012:compute-environment/q" },
			"jobQueue must be a job queue name or ARN"},
		{"definition missing", func(in *SubmitJobInput) { in.JobDefinition = "" }, "jobDefinition is required"},
		{"definition name only", func(in *SubmitJobInput) { in.JobDefinition = "def" }, ""},
		{"definition ARN", func(in *SubmitJobInput) {
			in.JobDefinition = "arn:aws:batch:us-east-1:123456789012:job-definition/def:2"
		}, ""},
		{"definition bad revision", func(in *SubmitJobInput) { in.JobDefinition = "def:x" }, `jobDefinition must be a job definition name, name:revision or ARN`},
		{"node overrides", func(in *SubmitJobInput) { in.NodeOverrides = map[string]any{"numNodes": 2} },
			"nodeOverrides: multi-node parallel jobs are not supported by Tanda"},
		{"empty node overrides", func(in *SubmitJobInput) { in.NodeOverrides = map[string]any{} }, ""},
		{"ECS overrides", func(in *SubmitJobInput) { in.EcsPropertiesOverride = map[string]any{"taskProperties": []any{}} },
			"ecsPropertiesOverride: ECS properties (multi-container jobs) are not supported by Tanda"},
		{"EKS overrides", func(in *SubmitJobInput) { in.EksPropertiesOverride = map[string]any{"podProperties": map[string]any{}} },
			"eksPropertiesOverride: EKS jobs are not supported by Tanda"},
		{"array of 2", func(in *SubmitJobInput) { in.ArrayProperties = &ArrayProperties{Size: new(2)} }, ""},
		{"array of 10000", func(in *SubmitJobInput) { in.ArrayProperties = &ArrayProperties{Size: new(10000)} }, ""},
		{"array of 1", func(in *SubmitJobInput) { in.ArrayProperties = &ArrayProperties{Size: new(1)} }, "arrayProperties.size must be between 2 and 10000 (got 1)"},
		{"array of 10001", func(in *SubmitJobInput) { in.ArrayProperties = &ArrayProperties{Size: new(10001)} }, "arrayProperties.size must be between 2 and 10000 (got 10001)"},
		{"empty arrayProperties", func(in *SubmitJobInput) { in.ArrayProperties = &ArrayProperties{} }, ""},
		{"20 dependencies", func(in *SubmitJobInput) { in.DependsOn = deps(20) }, ""},
		{"21 dependencies", func(in *SubmitJobInput) { in.DependsOn = deps(21) }, "dependsOn must have at most 20 entries (got 21)"},
		{"plain dependency without id", func(in *SubmitJobInput) { in.DependsOn = []JobDependency{{JobID: "a"}, {}} }, "dependsOn[1].jobId is required"},
		{"unknown dependency type", func(in *SubmitJobInput) { in.DependsOn = []JobDependency{{JobID: "a", Type: "ALL"}} },
			`dependsOn[0].type must be N_TO_N or SEQUENTIAL, or omitted (got "ALL")`},
		{"sequential array", func(in *SubmitJobInput) { array(in); in.DependsOn = []JobDependency{{Type: "SEQUENTIAL"}} }, ""},
		{"sequential and a job", func(in *SubmitJobInput) {
			array(in)
			in.DependsOn = []JobDependency{{JobID: "c"}, {Type: "SEQUENTIAL"}}
		}, ""},
		{"sequential without array", func(in *SubmitJobInput) { in.DependsOn = []JobDependency{{Type: "SEQUENTIAL"}} },
			"dependsOn[0].type SEQUENTIAL is only valid for array jobs"},
		{"sequential with empty arrayProperties", func(in *SubmitJobInput) {
			in.ArrayProperties = &ArrayProperties{}
			in.DependsOn = []JobDependency{{Type: "SEQUENTIAL"}}
		}, "SEQUENTIAL is only valid for array jobs"},
		{"sequential with a job id", func(in *SubmitJobInput) { array(in); in.DependsOn = []JobDependency{{JobID: "a", Type: "SEQUENTIAL"}} },
			"dependsOn[0].jobId must be omitted for a SEQUENTIAL dependency"},
		{"sequential twice", func(in *SubmitJobInput) {
			array(in)
			in.DependsOn = []JobDependency{{Type: "SEQUENTIAL"}, {Type: "SEQUENTIAL"}}
		},
			"dependsOn[1].type SEQUENTIAL may be given only once"},
		{"N_TO_N array", func(in *SubmitJobInput) { array(in); in.DependsOn = []JobDependency{{JobID: "a", Type: "N_TO_N"}} }, ""},
		{"N_TO_N without id", func(in *SubmitJobInput) { array(in); in.DependsOn = []JobDependency{{Type: "N_TO_N"}} },
			"dependsOn[0].jobId is required for an N_TO_N dependency"},
		{"N_TO_N without array", func(in *SubmitJobInput) { in.DependsOn = []JobDependency{{JobID: "a", Type: "N_TO_N"}} },
			"dependsOn[0].type N_TO_N is only valid for array jobs"},
		{"retry strategy", func(in *SubmitJobInput) { in.RetryStrategy = &RetryStrategy{Attempts: new(11)} }, "retryStrategy.attempts must be between 1 and 10"},
		{"timeout", func(in *SubmitJobInput) { in.Timeout = &JobTimeout{AttemptDurationSeconds: new(int64(30))} }, "timeout.attemptDurationSeconds must be at least 60"},
		{"priority 0", func(in *SubmitJobInput) { in.SchedulingPriorityOverride = new(0) }, ""},
		{"priority 9999", func(in *SubmitJobInput) { in.SchedulingPriorityOverride = new(9999) }, ""},
		{"priority 10000", func(in *SubmitJobInput) { in.SchedulingPriorityOverride = new(10000) }, "schedulingPriorityOverride must be between 0 and 9999 (got 10000)"},
		{"priority -1", func(in *SubmitJobInput) { in.SchedulingPriorityOverride = new(-1) }, "schedulingPriorityOverride must be between 0 and 9999 (got -1)"},
		{"share id", func(in *SubmitJobInput) { in.ShareIdentifier = "teamA1" }, ""},
		{"share id of 255", func(in *SubmitJobInput) { in.ShareIdentifier = strings.Repeat("a", 255) }, ""},
		{"share id of 256", func(in *SubmitJobInput) { in.ShareIdentifier = strings.Repeat("a", 256) }, "shareIdentifier must be 1-255 letters and numbers"},
		{"share id with star", func(in *SubmitJobInput) { in.ShareIdentifier = "team*" }, `shareIdentifier must be 1-255 letters and numbers (got "team*")`},
		{"share id with hyphen", func(in *SubmitJobInput) { in.ShareIdentifier = "team-a" }, "shareIdentifier must be 1-255 letters and numbers"},
		{"tags", func(in *SubmitJobInput) { in.Tags = map[string]string{"aws:x": "y"} }, `tags keys must not start with "aws:"`},
		{"overrides", func(in *SubmitJobInput) {
			in.ContainerOverrides = &ContainerOverrides{
				Command:              []string{"echo", "hi"},
				Environment:          []KeyValuePair{{Name: "A", Value: "1"}},
				ResourceRequirements: []ResourceRequirement{{Type: "VCPU", Value: "0.5"}, {Type: "MEMORY", Value: "512"}, {Type: "GPU", Value: "1"}},
				Vcpus:                new(int64(2)),
				Memory:               new(int64(1024)),
				InstanceType:         "m5.large",
			}
		}, ""},
		{"reserved environment name", func(in *SubmitJobInput) {
			in.ContainerOverrides = &ContainerOverrides{Environment: []KeyValuePair{{Name: "A"}, {Name: "B"}, {Name: "AWS_BATCH_JOB_ID"}}}
		}, `containerOverrides.environment[2].name must not start with AWS_BATCH, which is reserved for the variables Batch sets (got "AWS_BATCH_JOB_ID")`},
		{"empty environment name", func(in *SubmitJobInput) {
			in.ContainerOverrides = &ContainerOverrides{Environment: []KeyValuePair{{Value: "x"}}}
		},
			"containerOverrides.environment[0].name is required"},
		{"lowercase aws_batch is allowed", func(in *SubmitJobInput) {
			in.ContainerOverrides = &ContainerOverrides{Environment: []KeyValuePair{{Name: "aws_batch_x"}}}
		}, ""},
		{"empty command argument", func(in *SubmitJobInput) { in.ContainerOverrides = &ContainerOverrides{Command: []string{"echo", ""}} },
			"containerOverrides.command[1] must not be empty"},
		{"unknown resource type", func(in *SubmitJobInput) {
			in.ContainerOverrides = &ContainerOverrides{ResourceRequirements: []ResourceRequirement{{Type: "DISK", Value: "1"}}}
		}, `containerOverrides.resourceRequirements[0].type must be VCPU, MEMORY or GPU (got "DISK")`},
		{"repeated resource type", func(in *SubmitJobInput) {
			in.ContainerOverrides = &ContainerOverrides{ResourceRequirements: []ResourceRequirement{{Type: "VCPU", Value: "1"}, {Type: "VCPU", Value: "2"}}}
		}, "containerOverrides.resourceRequirements[1].type repeats VCPU"},
		{"zero vCPU", func(in *SubmitJobInput) {
			in.ContainerOverrides = &ContainerOverrides{ResourceRequirements: []ResourceRequirement{{Type: "VCPU", Value: "0"}}}
		}, `containerOverrides.resourceRequirements[0].value must be a positive number of vCPUs (got "0")`},
		{"fractional memory", func(in *SubmitJobInput) {
			in.ContainerOverrides = &ContainerOverrides{ResourceRequirements: []ResourceRequirement{{Type: "MEMORY", Value: "1.5"}}}
		}, "resourceRequirements[0].value must be a positive whole number of MiB"},
		{"negative GPU", func(in *SubmitJobInput) {
			in.ContainerOverrides = &ContainerOverrides{ResourceRequirements: []ResourceRequirement{{Type: "GPU", Value: "-1"}}}
		}, "resourceRequirements[0].value must be a positive whole number of GPUs"},
		{"non-numeric vCPU", func(in *SubmitJobInput) {
			in.ContainerOverrides = &ContainerOverrides{ResourceRequirements: []ResourceRequirement{{Type: "VCPU", Value: "Inf"}}}
		}, "must be a positive number of vCPUs"},
		{"deprecated vcpus 0", func(in *SubmitJobInput) { in.ContainerOverrides = &ContainerOverrides{Vcpus: new(int64(0))} },
			"containerOverrides.vcpus must be at least 1 (got 0)"},
		{"deprecated memory 0", func(in *SubmitJobInput) { in.ContainerOverrides = &ContainerOverrides{Memory: new(int64(0))} },
			"containerOverrides.memory must be a positive number of MiB (got 0)"},
		{"overrides too long", func(in *SubmitJobInput) {
			in.ContainerOverrides = &ContainerOverrides{Command: []string{strings.Repeat("x", 8200)}}
		}, "containerOverrides: Container Overrides length must be at most 8192"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &SubmitJobInput{JobName: "job-1", JobQueue: "queue", JobDefinition: "def:1"}
			tt.modify(in)
			wantClientError(t, ValidateSubmitJob(in), tt.want)
		})
	}
}

func TestContainerOverridesLengthBoundary(t *testing.T) {
	// {"command":["…"]} is 16 characters around the argument.
	at := func(n int) *ContainerOverrides {
		return &ContainerOverrides{Command: []string{strings.Repeat("x", n-16)}}
	}
	if got := serializedLength(at(8192)); got != 8192 {
		t.Fatalf("serializedLength = %d, want 8192", got)
	}
	tests := []struct {
		name string
		o    *ContainerOverrides
		want string
	}{
		{"8192", at(8192), ""},
		{"8193", at(8193), "Container Overrides length must be at most 8192 (got 8193)"},
		{"HTML characters are not escaped", &ContainerOverrides{Command: []string{strings.Repeat("<", 8192-16)}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, validateContainerOverrides("containerOverrides", tt.o), tt.want)
		})
	}
}

func TestCheckSubmitQueue(t *testing.T) {
	fifo := &JobQueue{JobQueueName: "fifo", State: StateEnabled}
	fair := &JobQueue{JobQueueName: "fair", State: StateEnabled, SchedulingPolicyArn: "arn:aws:batch:us-east-1:1:scheduling-policy/p"}
	off := &JobQueue{JobQueueName: "off", State: StateDisabled}
	tests := []struct {
		name  string
		q     *JobQueue
		share string
		want  string
	}{
		{"FIFO without share", fifo, "", ""},
		{"fair share with share", fair, "teamA", ""},
		{"FIFO with share", fifo, "teamA", "shareIdentifier must be omitted: job queue fifo has no scheduling policy"},
		{"fair share without share", fair, "", "shareIdentifier is required: job queue fair has a fair-share scheduling policy"},
		{"disabled", off, "", "jobQueue: JobQueue off is DISABLED and accepts no new jobs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, CheckSubmitQueue(tt.q, tt.share), tt.want)
		})
	}
}

func TestValidateDescribeJobs(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{1, ""},
		{100, ""},
		{0, "jobs must list at least one job id"},
		{101, "jobs: Maximum number of jobs supported is 100 (got 101)"},
	}
	for _, tt := range tests {
		wantClientError(t, ValidateDescribeJobs(tt.n), tt.want)
	}
}

func TestValidateListJobs(t *testing.T) {
	filter := func(name string, values ...string) func(*ListJobsInput) {
		return func(in *ListJobsInput) { in.Filters = []KeyValuesPair{{Name: name, Values: values}} }
	}
	tests := []struct {
		name   string
		modify func(*ListJobsInput)
		want   string
	}{
		{"queue", func(*ListJobsInput) {}, ""},
		{"queue ARN", func(in *ListJobsInput) { in.JobQueue = "arn:aws:batch:us-east-1:1:job-queue/q" }, ""},
		{"bad queue ARN", func(in *ListJobsInput) { in.JobQueue = "arn:aws:batch:us-east-1:1:job/q" }, "jobQueue must be a job queue name or ARN"},
		{"array parent", func(in *ListJobsInput) { in.JobQueue, in.ArrayJobID = "", "abc" }, ""},
		{"multi-node parent", func(in *ListJobsInput) { in.JobQueue, in.MultiNodeJobID = "", "abc" }, ""},
		{"none", func(in *ListJobsInput) { in.JobQueue = "" }, "exactly one of jobQueue, arrayJobId and multiNodeJobId must be given (got 0)"},
		{"two", func(in *ListJobsInput) { in.ArrayJobID = "abc" }, "exactly one of jobQueue, arrayJobId and multiNodeJobId must be given (got 2)"},
		{"status", func(in *ListJobsInput) { in.JobStatus = "SUCCEEDED" }, ""},
		{"bad status", func(in *ListJobsInput) { in.JobStatus = "DONE" }, `jobStatus must be one of SUBMITTED, PENDING, RUNNABLE, STARTING, RUNNING, SUCCEEDED, FAILED (got "DONE")`},
		{"lowercase status", func(in *ListJobsInput) { in.JobStatus = "running" }, "jobStatus must be one of"},
		{"maxResults 1", func(in *ListJobsInput) { in.MaxResults = new(1) }, ""},
		{"maxResults 5000", func(in *ListJobsInput) { in.MaxResults = new(5000) }, ""},
		{"maxResults 0", func(in *ListJobsInput) { in.MaxResults = new(0) }, "maxResults must be at least 1 (got 0)"},
		{"job name", filter("JOB_NAME", "train*"), ""},
		{"two filters", func(in *ListJobsInput) {
			in.Filters = []KeyValuesPair{{Name: "JOB_NAME", Values: []string{"a"}}, {Name: "SHARE_IDENTIFIER", Values: []string{"b"}}}
		}, "filters must hold at most one filter (got 2)"},
		{"unknown filter", filter("STATUS", "x"), `filters[0].name must be one of JOB_NAME, JOB_DEFINITION, BEFORE_CREATED_AT, AFTER_CREATED_AT, SHARE_IDENTIFIER (got "STATUS")`},
		{"no values", filter("JOB_NAME"), "filters[0].values must hold exactly one value (got 0)"},
		{"two values", filter("JOB_NAME", "a", "b"), "filters[0].values must hold exactly one value (got 2)"},
		{"empty value", filter("SHARE_IDENTIFIER", ""), "filters[0].values[0] must not be empty"},
		{"definition name", filter("JOB_DEFINITION", "def"), ""},
		{"definition prefix", filter("JOB_DEFINITION", "de*"), ""},
		{"definition ARN", filter("JOB_DEFINITION", "arn:aws:batch:us-east-1:1:job-definition/def:3"), ""},
		{"definition ARN with star", filter("JOB_DEFINITION", "arn:aws:batch:us-east-1:1:job-definition/def*"),
			"filters[0].values[0] must not end in * when it is an ARN"},
		{"definition ARN without revision", filter("JOB_DEFINITION", "arn:aws:batch:us-east-1:1:job-definition/def"),
			"filters[0].values[0] must be a job definition name or an ARN with its revision"},
		{"created after", filter("AFTER_CREATED_AT", "1700000000000"), ""},
		{"created before", filter("BEFORE_CREATED_AT", "0"), ""},
		{"created at ISO", filter("BEFORE_CREATED_AT", "2024-01-01T00:00:00Z"),
			`filters[0].values[0] must be a time in epoch milliseconds, such as 1700000000000 (got "2024-01-01T00:00:00Z")`},
		{"created at fraction", filter("AFTER_CREATED_AT", "1.5"), "must be a time in epoch milliseconds"},
		{"created at negative", filter("AFTER_CREATED_AT", "-1"), "must be a time in epoch milliseconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &ListJobsInput{JobQueue: "queue"}
			tt.modify(in)
			wantClientError(t, ValidateListJobs(in), tt.want)
		})
	}
}

func TestValidateJobAction(t *testing.T) {
	tests := []struct {
		name string
		in   JobActionInput
		want string
	}{
		{"valid", JobActionInput{JobID: "a", Reason: "stop"}, ""},
		{"longest reason", JobActionInput{JobID: "a", Reason: strings.Repeat("r", 1024)}, ""},
		{"no job", JobActionInput{Reason: "stop"}, "jobId is required"},
		{"no reason", JobActionInput{JobID: "a"}, "reason is required"},
		{"reason too long", JobActionInput{JobID: "a", Reason: strings.Repeat("r", 1025)}, "reason must be at most 1024 characters (got 1025)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, ValidateJobAction(&tt.in), tt.want)
		})
	}
}

func TestValidateBulkJobAction(t *testing.T) {
	tests := []struct {
		name string
		in   BulkJobActionInput
		want string
	}{
		{"valid", BulkJobActionInput{Jobs: []string{"a", "b"}, Reason: "stop"}, ""},
		{"fifty", BulkJobActionInput{Jobs: make50("a"), Reason: "stop"}, ""},
		{"none", BulkJobActionInput{Reason: "stop"}, "jobs must list 1-50 job ids (got 0)"},
		{"fifty-one", BulkJobActionInput{Jobs: append(make50("a"), "b"), Reason: "stop"}, "jobs must list 1-50 job ids (got 51)"},
		{"empty id", BulkJobActionInput{Jobs: []string{"a", ""}, Reason: "stop"}, "jobs[1] must not be empty"},
		{"no reason", BulkJobActionInput{Jobs: []string{"a"}}, "reason is required"},
		{"reason too long", BulkJobActionInput{Jobs: []string{"a"}, Reason: strings.Repeat("r", 1025)}, "reason must be at most 1024 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, ValidateBulkJobAction(&tt.in), tt.want)
		})
	}
}
