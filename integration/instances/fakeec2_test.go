//go:build unix

package instances_test

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/tanda-batch/tanda/integration/instances"
)

var _ instances.EC2API = (*fakeEC2)(nil)

// fakeEC2 keeps instances in memory and understands the filters the
// harness uses: tag:KEY and instance-state-name.
type fakeEC2 struct {
	mu          sync.Mutex
	instances   []ec2types.Instance
	userData    map[string]string // id -> base64
	terminated  [][]string        // the ids of each TerminateInstances call
	describeErr error
}

func (f *fakeEC2) add(id, stack string, lifecycle ec2types.InstanceLifecycleType, userData string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.instances = append(f.instances, ec2types.Instance{
		InstanceId: aws.String(id), InstanceType: ec2types.InstanceTypeM5Large, ImageId: aws.String("ami-1"),
		InstanceLifecycle: lifecycle,
		Placement:         &ec2types.Placement{AvailabilityZone: aws.String("us-east-1a")},
		State:             &ec2types.InstanceState{Name: ec2types.InstanceStateNameRunning},
		Tags:              []ec2types.Tag{{Key: aws.String("tanda:stack"), Value: aws.String(stack)}},
	})
	if f.userData == nil {
		f.userData = map[string]string{}
	}
	f.userData[id] = base64.StdEncoding.EncodeToString([]byte(userData))
}

// setState moves an instance to another state, as EC2 would.
func (f *fakeEC2) setState(id string, state ec2types.InstanceStateName) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.instances {
		if aws.ToString(f.instances[i].InstanceId) == id {
			f.instances[i].State = &ec2types.InstanceState{Name: state}
		}
	}
}

func (f *fakeEC2) terminateCalls() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.terminated)
}

func (f *fakeEC2) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.describeErr != nil {
		return nil, f.describeErr
	}
	var found []ec2types.Instance
	for _, inst := range f.instances {
		if matches(inst, in.Filters) {
			found = append(found, inst)
		}
	}
	return &ec2.DescribeInstancesOutput{Reservations: []ec2types.Reservation{
		{OwnerId: aws.String("123456789012"), Instances: found},
	}}, nil
}

func matches(inst ec2types.Instance, filters []ec2types.Filter) bool {
	for _, flt := range filters {
		name := aws.ToString(flt.Name)
		var got string
		if key, ok := strings.CutPrefix(name, "tag:"); ok {
			for _, tag := range inst.Tags {
				if aws.ToString(tag.Key) == key {
					got = aws.ToString(tag.Value)
				}
			}
		} else if name == "instance-state-name" {
			got = string(inst.State.Name)
		}
		if !slices.Contains(flt.Values, got) {
			return false
		}
	}
	return true
}

func (f *fakeEC2) DescribeInstanceAttribute(_ context.Context, in *ec2.DescribeInstanceAttributeInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstanceAttributeOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ud, ok := f.userData[aws.ToString(in.InstanceId)]
	if !ok || in.Attribute != ec2types.InstanceAttributeNameUserData {
		return nil, errors.New("InvalidInstanceID.NotFound")
	}
	return &ec2.DescribeInstanceAttributeOutput{InstanceId: in.InstanceId, UserData: &ec2types.AttributeValue{Value: aws.String(ud)}}, nil
}

func (f *fakeEC2) TerminateInstances(_ context.Context, in *ec2.TerminateInstancesInput, _ ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error) {
	f.mu.Lock()
	f.terminated = append(f.terminated, slices.Clone(in.InstanceIds))
	f.mu.Unlock()
	for _, id := range in.InstanceIds {
		f.setState(id, ec2types.InstanceStateNameShuttingDown)
	}
	return &ec2.TerminateInstancesOutput{}, nil
}
