package ec2fleet

import "github.com/tanda-batch/tanda/internal/iamactions"

// launchActions are what a CreateFleet call of type instant is authorised
// as besides ec2:CreateFleet: EC2 launches each instance as the caller, so
// the caller needs ec2:RunInstances, ec2:CreateTags for the tags the call
// puts on instances and volumes, and iam:PassRole of the role in the
// launch template's instance profile.
var launchActions = []string{"ec2:RunInstances", "ec2:CreateTags", "iam:PassRole"}

// Actions are the IAM actions of every EC2 call this package can make (the
// methods of its ec2API), those CreateFleet implies (launchActions) and
// the SSM reads of the default AMIs (Parameters).
func Actions() []string {
	return iamactions.Union(iamactions.Of("ec2", (*ec2API)(nil)), launchActions, iamactions.Of("ssm", (*Parameters)(nil)))
}
