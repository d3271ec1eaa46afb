package templatecheck_test

import (
	"testing"

	"github.com/tanda-batch/tanda/internal/templatecheck"
)

func TestPolicyAllows(t *testing.T) {
	policy, err := templatecheck.ParsePolicy(map[string]any{"Statement": []any{
		map[string]any{"Effect": "Allow", "Action": []any{"sqs:SendMessage", "sqs:Get*"}, "Resource": "arn:aws:sqs:r:1:s-ready-*"},
		map[string]any{"Effect": "Allow", "Action": "dynamodb:Query", "Resource": []any{"arn:aws:dynamodb:r:1:table/s-jobs", "arn:aws:dynamodb:r:1:table/s-jobs/index/*"}},
		map[string]any{"Effect": "Deny", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:r:1:s-ready-secret"},
		map[string]any{"Effect": "Allow", "Action": "ec2:Describe?nstances", "Resource": "*"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		action, resource string
		want             bool
	}{
		{"sqs:SendMessage", "arn:aws:sqs:r:1:s-ready-q1", true},
		{"SQS:sendmessage", "arn:aws:sqs:r:1:s-ready-q1", true},
		{"sqs:GetQueueUrl", "arn:aws:sqs:r:1:s-ready-q1", true},
		{"sqs:SendMessage", "arn:aws:sqs:r:1:s-submissions", false},
		{"sqs:SendMessage", "arn:aws:sqs:r:1:s-ready-secret", false},
		{"sqs:ReceiveMessage", "arn:aws:sqs:r:1:s-ready-q1", false},
		{"dynamodb:Query", "arn:aws:dynamodb:r:1:table/s-jobs/index/sweep", true},
		{"dynamodb:Query", "arn:aws:dynamodb:r:1:table/s-jobs-old", false},
		{"ec2:DescribeInstances", "arn:aws:ec2:r:1:instance/i-1", true},
		{"ec2:DescribeInstanceTypes", "*", false},
	}
	for _, tt := range tests {
		if got := policy.Allows(tt.action, tt.resource); got != tt.want {
			t.Errorf("Allows(%s, %s) = %v, want %v", tt.action, tt.resource, got, tt.want)
		}
	}
	if !policy.AllowsAction("dynamodb:Query") || policy.AllowsAction("dynamodb:PutItem") {
		t.Error("AllowsAction: want Query and not PutItem")
	}
}

func TestParsePolicyRefuses(t *testing.T) {
	tests := []struct {
		name string
		doc  any
	}{
		{"not a map", "policy"},
		{"no statements", map[string]any{}},
		{"NotAction", map[string]any{"Statement": map[string]any{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}}},
		{"no resource", map[string]any{"Statement": map[string]any{"Effect": "Allow", "Action": "s3:GetObject"}}},
		{"bad effect", map[string]any{"Statement": map[string]any{"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"}}},
	}
	for _, tt := range tests {
		if _, err := templatecheck.ParsePolicy(tt.doc); err == nil {
			t.Errorf("%s: ParsePolicy succeeded, want an error", tt.name)
		}
	}
}
