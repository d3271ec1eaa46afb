package ec2fleet_test

import (
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/infra/ec2fleet"
)

func TestActions(t *testing.T) {
	want := []string{
		"ec2:CreateFleet", "ec2:CreateTags", "ec2:DescribeInstanceTypes", "ec2:DescribeInstances",
		"ec2:DescribeLaunchTemplateVersions", "ec2:RunInstances", "ec2:TerminateInstances", "iam:PassRole",
		"ssm:GetParameter",
	}
	if got := ec2fleet.Actions(); !slices.Equal(got, want) {
		t.Errorf("Actions() = %q, want %q", got, want)
	}
}
