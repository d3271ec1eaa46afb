package instances

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Instance lifecycles as IMDS reports them at meta-data/instance-life-cycle.
const (
	LifecycleSpot     = "spot"
	LifecycleOnDemand = "on-demand"
)

// Metadata is what IMDS tells one instance about itself.
type Metadata struct {
	InstanceID       string
	InstanceType     string
	Region           string
	AvailabilityZone string
	AccountID        string
	ImageID          string
	PrivateIP        string
	Architecture     string    // x86_64 unless EC2 says otherwise
	LaunchTime       time.Time // the identity document's pendingTime
	Lifecycle        string    // LifecycleSpot or LifecycleOnDemand
	// UserData is the decoded user data; nil when the instance has none.
	UserData []byte
	// Tags are the instance's tags, served under meta-data/tags/instance.
	Tags map[string]string
}

// attributeAPI reads an instance's attributes; EC2API has it.
type attributeAPI interface {
	DescribeInstanceAttribute(ctx context.Context, in *ec2.DescribeInstanceAttributeInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstanceAttributeOutput, error)
}

// metadataOf builds the metadata of inst, an instance of a reservation
// owned by account, in region. Its user data is read with
// DescribeInstanceAttribute: EC2, and moto, copy the launch template's user
// data onto each instance a fleet launches, and DescribeInstances does not
// carry it.
func metadataOf(ctx context.Context, api attributeAPI, inst ec2types.Instance, account, region string) (Metadata, error) {
	id := aws.ToString(inst.InstanceId)
	m := Metadata{
		InstanceID:   id,
		InstanceType: string(inst.InstanceType),
		Region:       region,
		AccountID:    account,
		ImageID:      aws.ToString(inst.ImageId),
		PrivateIP:    aws.ToString(inst.PrivateIpAddress),
		Architecture: string(inst.Architecture),
		LaunchTime:   aws.ToTime(inst.LaunchTime),
		Lifecycle:    LifecycleOnDemand,
		Tags:         map[string]string{},
	}
	if m.Architecture == "" {
		m.Architecture = "x86_64"
	}
	if inst.Placement != nil {
		m.AvailabilityZone = aws.ToString(inst.Placement.AvailabilityZone)
	}
	if inst.InstanceLifecycle == ec2types.InstanceLifecycleTypeSpot {
		m.Lifecycle = LifecycleSpot
	}
	for _, t := range inst.Tags {
		m.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	out, err := api.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{
		InstanceId: aws.String(id),
		Attribute:  ec2types.InstanceAttributeNameUserData,
	})
	if err != nil {
		return Metadata{}, fmt.Errorf("reading the user data of %s: %w", id, err)
	}
	if out.UserData != nil && aws.ToString(out.UserData.Value) != "" {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(aws.ToString(out.UserData.Value)))
		if err != nil {
			return Metadata{}, fmt.Errorf("decoding the user data of %s: %w", id, err)
		}
		m.UserData = raw
	}
	return m, nil
}
