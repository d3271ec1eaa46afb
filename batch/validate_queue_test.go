package batch

import "testing"

func validQueue() *CreateJobQueueInput {
	return &CreateJobQueueInput{
		JobQueueName:            "high",
		Priority:                new(10),
		ComputeEnvironmentOrder: []ComputeEnvironmentOrder{{Order: 1, ComputeEnvironment: "spot"}, {Order: 2, ComputeEnvironment: "arn:aws:batch:us-east-1:1:compute-environment/ondemand"}},
	}
}

func timeLimit(reason string) JobStateTimeLimitAction {
	return JobStateTimeLimitAction{Reason: reason, State: "RUNNABLE", MaxTimeSeconds: 600, Action: "CANCEL"}
}

// queueSettingCases are the rules CreateJobQueue and UpdateJobQueue share,
// as changes to a valid create request.
var queueSettingCases = []struct {
	name   string
	modify func(*CreateJobQueueInput)
	want   string
}{
	{"valid", func(*CreateJobQueueInput) {}, ""},
	{"priority 0", func(in *CreateJobQueueInput) { in.Priority = new(0) }, ""},
	{"priority above the console's 1000", func(in *CreateJobQueueInput) { in.Priority = new(5000) }, ""},
	{"negative priority", func(in *CreateJobQueueInput) { in.Priority = new(-1) }, "priority must be at least 0 (got -1)"},
	{"disabled", func(in *CreateJobQueueInput) { in.State = "DISABLED" }, ""},
	{"bad state", func(in *CreateJobQueueInput) { in.State = "OFF" }, `state must be ENABLED or DISABLED (got "OFF")`},
	{"policy ARN", func(in *CreateJobQueueInput) {
		in.SchedulingPolicyArn = "arn:aws:batch:us-east-1:1:scheduling-policy/fair"
	}, ""},
	{"policy name", func(in *CreateJobQueueInput) { in.SchedulingPolicyArn = "fair" },
		`schedulingPolicyArn must be an ARN of the form arn:aws:batch:<region>:<account>:scheduling-policy/<name> (got "fair")`},
	{"policy ARN of a queue", func(in *CreateJobQueueInput) { in.SchedulingPolicyArn = "arn:aws:batch:us-east-1:1:job-queue/fair" },
		"schedulingPolicyArn must be an ARN of the form"},
	{"service environments", func(in *CreateJobQueueInput) { in.ServiceEnvironmentOrder = []map[string]any{{"order": 1}} },
		"serviceEnvironmentOrder: service environments (SageMaker) are not supported by Tanda"},
	{"three compute environments", func(in *CreateJobQueueInput) {
		in.ComputeEnvironmentOrder = append(in.ComputeEnvironmentOrder, ComputeEnvironmentOrder{Order: 3, ComputeEnvironment: "third"})
	}, ""},
	{"four compute environments", func(in *CreateJobQueueInput) {
		in.ComputeEnvironmentOrder = append(in.ComputeEnvironmentOrder, ComputeEnvironmentOrder{Order: 3, ComputeEnvironment: "c"}, ComputeEnvironmentOrder{Order: 4, ComputeEnvironment: "d"})
	}, "computeEnvironmentOrder must have at most 3 compute environments (got 4)"},
	{"repeated order", func(in *CreateJobQueueInput) { in.ComputeEnvironmentOrder[1].Order = 1 },
		"computeEnvironmentOrder[1].order repeats order 1; each compute environment needs its own order"},
	{"negative order", func(in *CreateJobQueueInput) { in.ComputeEnvironmentOrder[0].Order = -1 }, "computeEnvironmentOrder[0].order must be at least 0 (got -1)"},
	{"compute environment missing", func(in *CreateJobQueueInput) { in.ComputeEnvironmentOrder[1].ComputeEnvironment = "" },
		"computeEnvironmentOrder[1].computeEnvironment is required"},
	{"compute environment twice, by name and ARN", func(in *CreateJobQueueInput) { in.ComputeEnvironmentOrder[0].ComputeEnvironment = "ondemand" },
		"computeEnvironmentOrder[1].computeEnvironment lists compute environment ondemand twice"},
	{"compute environment of a wrong type", func(in *CreateJobQueueInput) {
		in.ComputeEnvironmentOrder[0].ComputeEnvironment = "arn:aws:batch:us-east-1:1:job-queue/x"
	}, "computeEnvironmentOrder[0].computeEnvironment must be a compute environment name or ARN"},
	{"time limits", func(in *CreateJobQueueInput) {
		in.JobStateTimeLimitActions = []JobStateTimeLimitAction{
			timeLimit("CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY"),
			timeLimit("MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE"),
			{Reason: "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT", State: "RUNNABLE", MaxTimeSeconds: 86400, Action: "CANCEL"},
		}
	}, ""},
	{"time limit state", func(in *CreateJobQueueInput) {
		a := timeLimit(ReasonInsufficientCapacity)
		a.State = "PENDING"
		in.JobStateTimeLimitActions = []JobStateTimeLimitAction{a}
	}, `jobStateTimeLimitActions[0].state must be RUNNABLE (got "PENDING")`},
	{"time limit terminate", func(in *CreateJobQueueInput) {
		a := timeLimit(ReasonInsufficientCapacity)
		a.Action = "TERMINATE"
		in.JobStateTimeLimitActions = []JobStateTimeLimitAction{a}
	}, "jobStateTimeLimitActions[0].action TERMINATE is only for SageMaker job queues"},
	{"time limit unknown action", func(in *CreateJobQueueInput) {
		a := timeLimit(ReasonInsufficientCapacity)
		a.Action = "cancel"
		in.JobStateTimeLimitActions = []JobStateTimeLimitAction{a}
	}, `jobStateTimeLimitActions[0].action must be CANCEL (got "cancel")`},
	{"time limit 599", func(in *CreateJobQueueInput) {
		a := timeLimit(ReasonInsufficientCapacity)
		a.MaxTimeSeconds = 599
		in.JobStateTimeLimitActions = []JobStateTimeLimitAction{a}
	}, "jobStateTimeLimitActions[0].maxTimeSeconds must be between 600 and 86400 (got 599)"},
	{"time limit 86401", func(in *CreateJobQueueInput) {
		a := timeLimit(ReasonInsufficientCapacity)
		a.MaxTimeSeconds = 86401
		in.JobStateTimeLimitActions = []JobStateTimeLimitAction{a}
	}, "maxTimeSeconds must be between 600 and 86400 (got 86401)"},
	{"time limit on an uncancellable reason", func(in *CreateJobQueueInput) {
		in.JobStateTimeLimitActions = []JobStateTimeLimitAction{timeLimit("ACTION_REQUIRED")}
	}, `jobStateTimeLimitActions[0].reason must be one of CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY, MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE, MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT (got "ACTION_REQUIRED")`},
	{"time limit reason twice", func(in *CreateJobQueueInput) {
		in.JobStateTimeLimitActions = []JobStateTimeLimitAction{timeLimit(ReasonJobResourceRequirement), timeLimit(ReasonJobResourceRequirement)}
	}, "jobStateTimeLimitActions[1].reason repeats MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"},
}

func TestValidateCreateJobQueue(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*CreateJobQueueInput)
		want   string
	}{
		{"name missing", func(in *CreateJobQueueInput) { in.JobQueueName = "" }, "jobQueueName is required"},
		{"name with space", func(in *CreateJobQueueInput) { in.JobQueueName = "my queue" }, `jobQueueName must be 1-128 characters of letters, numbers, hyphens and underscores (got "my queue")`},
		{"priority missing", func(in *CreateJobQueueInput) { in.Priority = nil }, "priority is required"},
		{"no compute environments", func(in *CreateJobQueueInput) { in.ComputeEnvironmentOrder = nil }, "computeEnvironmentOrder is required: 1-3 compute environments"},
		{"ECS queue type", func(in *CreateJobQueueInput) { in.JobQueueType = "ECS" }, ""},
		{"Fargate queue type", func(in *CreateJobQueueInput) { in.JobQueueType = "ECS_FARGATE" },
			"jobQueueType: EKS, Fargate and SageMaker job queues are not supported by Tanda"},
		{"tags", func(in *CreateJobQueueInput) { in.Tags = map[string]string{"aws:a": "b"} }, `tags keys must not start with "aws:"`},
	}
	tests = append(tests, queueSettingCases...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validQueue()
			tt.modify(in)
			wantClientError(t, ValidateCreateJobQueue(in), tt.want)
		})
	}
}

func TestValidateUpdateJobQueue(t *testing.T) {
	for _, tt := range queueSettingCases {
		t.Run(tt.name, func(t *testing.T) {
			c := validQueue()
			tt.modify(c)
			in := &UpdateJobQueueInput{
				JobQueue: "high", State: c.State, SchedulingPolicyArn: c.SchedulingPolicyArn, Priority: c.Priority,
				ComputeEnvironmentOrder: c.ComputeEnvironmentOrder, ServiceEnvironmentOrder: c.ServiceEnvironmentOrder,
				JobStateTimeLimitActions: c.JobStateTimeLimitActions,
			}
			wantClientError(t, ValidateUpdateJobQueue(in), tt.want)
		})
	}
	more := []struct {
		name string
		in   UpdateJobQueueInput
		want string
	}{
		{"only the reference", UpdateJobQueueInput{JobQueue: "arn:aws:batch:us-east-1:1:job-queue/high"}, ""},
		{"detach every compute environment", UpdateJobQueueInput{JobQueue: "high", ComputeEnvironmentOrder: []ComputeEnvironmentOrder{}}, ""},
		{"reference missing", UpdateJobQueueInput{State: "DISABLED"}, "jobQueue is required"},
		{"reference of a policy", UpdateJobQueueInput{JobQueue: "arn:aws:batch:us-east-1:1:scheduling-policy/high"}, "jobQueue must be a job queue name or ARN"},
	}
	for _, tt := range more {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, ValidateUpdateJobQueue(&tt.in), tt.want)
		})
	}
}

func TestCheckJobQueueUpdate(t *testing.T) {
	const policy = "arn:aws:batch:us-east-1:1:scheduling-policy/p"
	tests := []struct {
		name    string
		current JobQueue
		in      UpdateJobQueueInput
		want    string
	}{
		{"FIFO stays FIFO", JobQueue{JobQueueName: "q"}, UpdateJobQueueInput{JobQueue: "q", Priority: new(3)}, ""},
		{"policy replaced", JobQueue{JobQueueName: "q", SchedulingPolicyArn: policy}, UpdateJobQueueInput{JobQueue: "q", SchedulingPolicyArn: policy + "2"}, ""},
		{"FIFO gains a policy", JobQueue{JobQueueName: "q"}, UpdateJobQueueInput{JobQueue: "q", SchedulingPolicyArn: policy},
			"schedulingPolicyArn cannot be set on job queue q, which was created without a scheduling policy (FIFO)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, CheckJobQueueUpdate(&tt.current, &tt.in), tt.want)
		})
	}
}
