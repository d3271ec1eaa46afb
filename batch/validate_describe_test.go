package batch

import "testing"

func hundredAndOne(s string) []string {
	out := make([]string, 101)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestValidateDescribeJobDefinitions(t *testing.T) {
	tests := []struct {
		name string
		in   DescribeJobDefinitionsInput
		want string
	}{
		{"everything", DescribeJobDefinitionsInput{}, ""},
		{"references", DescribeJobDefinitionsInput{JobDefinitions: []string{"a:1", "arn:aws:batch:us-east-1:1:job-definition/b:2"}}, ""},
		{"name and status", DescribeJobDefinitionsInput{JobDefinitionName: "a", Status: "INACTIVE", MaxResults: new(100)}, ""},
		{"101 references", DescribeJobDefinitionsInput{JobDefinitions: hundredAndOne("a:1")}, "jobDefinitions must list at most 100 entries (got 101)"},
		{"bad reference", DescribeJobDefinitionsInput{JobDefinitions: []string{"a:1", "a:b"}}, "jobDefinitions[1] must be a job definition name, name:revision or ARN"},
		{"references and name", DescribeJobDefinitionsInput{JobDefinitions: []string{"a:1"}, JobDefinitionName: "a"}, "jobDefinitions cannot be combined with jobDefinitionName or status"},
		{"references and status", DescribeJobDefinitionsInput{JobDefinitions: []string{"a:1"}, Status: "ACTIVE"}, "jobDefinitions cannot be combined with jobDefinitionName or status"},
		{"bad status", DescribeJobDefinitionsInput{Status: "active"}, `status must be ACTIVE or INACTIVE (got "active")`},
		{"maxResults 0", DescribeJobDefinitionsInput{MaxResults: new(0)}, "maxResults must be between 1 and 100 (got 0)"},
		{"maxResults 101", DescribeJobDefinitionsInput{MaxResults: new(101)}, "maxResults must be between 1 and 100 (got 101)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, ValidateDescribeJobDefinitions(&tt.in), tt.want)
		})
	}
}

func TestValidateDescribeComputeEnvironments(t *testing.T) {
	tests := []struct {
		name string
		in   DescribeComputeEnvironmentsInput
		want string
	}{
		{"everything", DescribeComputeEnvironmentsInput{}, ""},
		{"names and ARNs", DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{"a", "arn:aws:batch:us-east-1:1:compute-environment/b"}}, ""},
		{"101", DescribeComputeEnvironmentsInput{ComputeEnvironments: hundredAndOne("a")}, "computeEnvironments must list at most 100 entries (got 101)"},
		{"queue ARN", DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{"arn:aws:batch:us-east-1:1:job-queue/b"}},
			"computeEnvironments[0] must be a compute environment name or ARN"},
		{"maxResults 0", DescribeComputeEnvironmentsInput{MaxResults: new(0)}, "maxResults must be between 1 and 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, ValidateDescribeComputeEnvironments(&tt.in), tt.want)
		})
	}
}

func TestValidateDescribeJobQueues(t *testing.T) {
	tests := []struct {
		name string
		in   DescribeJobQueuesInput
		want string
	}{
		{"everything", DescribeJobQueuesInput{MaxResults: new(1)}, ""},
		{"names", DescribeJobQueuesInput{JobQueues: []string{"a", "b"}}, ""},
		{"101", DescribeJobQueuesInput{JobQueues: hundredAndOne("a")}, "jobQueues must list at most 100 entries (got 101)"},
		{"empty name", DescribeJobQueuesInput{JobQueues: []string{"a", ""}}, "jobQueues[1] is required"},
		{"maxResults 101", DescribeJobQueuesInput{MaxResults: new(101)}, "maxResults must be between 1 and 100 (got 101)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, ValidateDescribeJobQueues(&tt.in), tt.want)
		})
	}
}

func TestValidateDescribeSchedulingPolicies(t *testing.T) {
	const arn = "arn:aws:batch:us-east-1:1:scheduling-policy/p"
	tests := []struct {
		name string
		arns []string
		want string
	}{
		{"one", []string{arn}, ""},
		{"none", nil, "arns must list at least one scheduling policy ARN"},
		{"101", hundredAndOne(arn), "arns must list at most 100 entries (got 101)"},
		{"a name", []string{arn, "p"}, "arns[1] must be an ARN of the form"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantClientError(t, ValidateDescribeSchedulingPolicies(&DescribeSchedulingPoliciesInput{Arns: tt.arns}), tt.want)
		})
	}
}

func TestValidateListSchedulingPolicies(t *testing.T) {
	tests := []struct {
		max  *int
		want string
	}{
		{nil, ""},
		{new(100), ""},
		{new(0), "maxResults must be between 1 and 100 (got 0)"},
	}
	for _, tt := range tests {
		wantClientError(t, ValidateListSchedulingPolicies(&ListSchedulingPoliciesInput{MaxResults: tt.max}), tt.want)
	}
}
