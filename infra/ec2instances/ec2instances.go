// Package ec2instances tells the agent API what EC2 says of the instance
// behind an identity (api/agentapi.Instances): its state and its
// tanda:stack and tanda:compute-environment tags, with DescribeInstances.
package ec2instances

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/tanda-batch/tanda/api/agentapi"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
	"github.com/tanda-batch/tanda/internal/iamactions"
)

type ec2API interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
}

// Actions are the IAM actions Instances calls: ec2:DescribeInstances.
func Actions() []string { return iamactions.Of("ec2", (*ec2API)(nil)) }

// Instances looks instances up in EC2.
type Instances struct{ api ec2API }

// New looks instances up with api (an *ec2.Client).
func New(api ec2API) *Instances { return &Instances{api: api} }

var _ agentapi.Instances = (*Instances)(nil)

// Instance is what EC2 says of instance id; batch.ErrNotFound when EC2
// does not know it.
func (in *Instances) Instance(ctx context.Context, id string) (agentapi.InstanceFacts, error) {
	out, err := in.api.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "InvalidInstanceID.NotFound" || ae.ErrorCode() == "InvalidInstanceID.Malformed") {
		return agentapi.InstanceFacts{}, fmt.Errorf("instance %s: %w", id, batch.ErrNotFound)
	}
	if err != nil {
		return agentapi.InstanceFacts{}, fmt.Errorf("describing instance %s: %w", id, err)
	}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			if i.InstanceId == nil || *i.InstanceId != id {
				continue
			}
			f := agentapi.InstanceFacts{}
			if i.State != nil {
				f.State = string(i.State.Name)
			}
			for _, t := range i.Tags {
				if t.Key == nil || t.Value == nil {
					continue
				}
				switch *t.Key {
				case ec2fleet.TagStack:
					f.Stack = *t.Value
				case ec2fleet.TagComputeEnvironment:
					f.ComputeEnvironment = *t.Value
				}
			}
			return f, nil
		}
	}
	return agentapi.InstanceFacts{}, fmt.Errorf("instance %s: %w", id, batch.ErrNotFound)
}
