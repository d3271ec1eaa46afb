package awsserver_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/deploy/awsserver"
)

func TestFunctionActions(t *testing.T) {
	tests := []struct {
		name           string
		actions        []string
		want, wantNone []string
	}{
		{
			name:    "api",
			actions: awsserver.APIActions(),
			want: []string{"dynamodb:PutItem", "dynamodb:Query", "sqs:SendMessage", "sqs:CreateQueue", "sqs:DeleteQueue",
				"events:PutEvents", "logs:GetLogEvents", "kms:Decrypt", "ec2:DescribeInstanceTypes", "pricing:GetProducts"},
			wantNone: []string{"kms:Encrypt", "logs:PutLogEvents", "logs:CreateLogGroup", "dynamodb:CreateTable", "ec2:CreateFleet"},
		},
		{
			name:    "provisioner",
			actions: awsserver.ProvisionerActions(),
			want: []string{"dynamodb:GetItem", "dynamodb:PutItem", "ec2:CreateFleet", "ec2:TerminateInstances", "ec2:DescribeInstances",
				"ec2:DescribeSubnets", "iam:PassRole", "sqs:ReceiveMessage", "sqs:DeleteMessage", "events:PutEvents",
				"ec2:DescribeInstanceTypes", "ec2:DescribeSpotPriceHistory", "pricing:GetProducts"},
			wantNone: []string{"kms:Decrypt", "kms:Encrypt", "logs:GetLogEvents", "dynamodb:CreateTable"},
		},
		{
			name:     "issue",
			actions:  awsserver.IssueActions(),
			want:     []string{"dynamodb:PutItem", "kms:Encrypt"},
			wantNone: []string{"kms:Decrypt"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !slices.IsSorted(tt.actions) {
				t.Errorf("actions not sorted: %q", tt.actions)
			}
			for _, a := range tt.want {
				if !slices.Contains(tt.actions, a) {
					t.Errorf("actions lack %s: %s", a, strings.Join(tt.actions, " "))
				}
			}
			for _, a := range tt.wantNone {
				if slices.Contains(tt.actions, a) {
					t.Errorf("actions include %s, which the function does not call", a)
				}
			}
		})
	}
}
