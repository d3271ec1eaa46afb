package ec2fleet

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/provisioner"
)

var _ ec2API = (*ec2.Client)(nil)

// fakeClock is a clock tests move by hand.
type fakeClock = batchtest.Clock

var (
	m5large  = provisioner.InstanceType{Name: "m5.large", Family: "m5", VCPUs: 2, MemoryMiB: 8192, PricePerHour: 0.096}
	c5xlarge = provisioner.InstanceType{Name: "c5.xlarge", Family: "c5", VCPUs: 4, MemoryMiB: 8192, PricePerHour: 0.17}
)

// computeEnvironment is a managed compute environment of type typ (EC2 or
// SPOT) with strategy and tags.
func computeEnvironment(name, typ, strategy string, tags map[string]string) batch.ComputeEnvironment {
	return batch.ComputeEnvironment{
		ComputeEnvironmentName: name,
		ComputeResources:       &batch.ComputeResource{Type: typ, AllocationStrategy: strategy, Tags: tags},
	}
}

// fakeEC2 is an ec2API that describes launch templates only (any other
// call panics): images holds each template's image by id or name, for
// every version; a template it lacks is not found.
type fakeEC2 struct {
	ec2API
	images    map[string]string
	described []string // "<id or name>@<version>", in call order
}

func (f *fakeEC2) DescribeLaunchTemplateVersions(_ context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, _ ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error) {
	name := aws.ToString(in.LaunchTemplateId) + aws.ToString(in.LaunchTemplateName)
	f.described = append(f.described, name+"@"+strings.Join(in.Versions, ","))
	img, ok := f.images[name]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "InvalidLaunchTemplateName.NotFoundException", Message: "no template " + name}
	}
	return &ec2.DescribeLaunchTemplateVersionsOutput{LaunchTemplateVersions: []ec2types.LaunchTemplateVersion{{
		LaunchTemplateData: &ec2types.ResponseLaunchTemplateData{ImageId: aws.String(img)},
	}}}, nil
}

// fakeParameters is an SSM that knows some parameters.
type fakeParameters struct {
	values map[string]string
	reads  []string
}

func (p *fakeParameters) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	name := aws.ToString(in.Name)
	p.reads = append(p.reads, name)
	v, ok := p.values[name]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "ParameterNotFound", Message: name}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(v)}}, nil
}

// fleetInputOf is the CreateFleet call f makes for req.
func fleetInputOf(f *Fleet, req provisioner.LaunchRequest) (*ec2.CreateFleetInput, error) {
	groups, err := f.launchGroups(context.Background(), req)
	if err != nil {
		return nil, err
	}
	return f.fleetInput(req, groups)
}

// stackTemplates is a fakeEC2 with the stack templates the tests name,
// each with an image.
func stackTemplates() *fakeEC2 {
	return &fakeEC2{images: map[string]string{"tanda-prod": "ami-0000000a", "lt-name": "ami-0000000b", "lt-0123": "ami-0000000c", "lt-ce": "ami-0000000d"}}
}
