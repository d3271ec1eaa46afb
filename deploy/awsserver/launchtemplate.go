package awsserver

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
)

// EC2 error codes about launch templates.
const (
	codeTemplateNotFound = "InvalidLaunchTemplateName.NotFoundException"
	codeTemplateExists   = "InvalidLaunchTemplateName.AlreadyExistsException"
)

// templateDescription describes the launch template versions Init writes.
const templateDescription = "Tanda agent, written by tanda serve --init"

// LaunchTemplate identifies the stack's launch template after Init.
type LaunchTemplate struct {
	ID             string
	DefaultVersion int64
	// ImageID is the template's image: InitOptions.AMI, or empty.
	ImageID string
}

// Image says which image the template gives instances.
func (lt LaunchTemplate) Image() string {
	if lt.ImageID != "" {
		return lt.ImageID
	}
	return "per compute environment (ECS-optimized AMI from SSM)"
}

// launchData is the launch template data of the stack's agents: the AMI
// when imageID names one (otherwise each launch gives its own, see package
// ec2fleet), user data that installs and starts `tanda agent` with the stack's
// settings, IMDSv2 required with a hop limit of 1 (containers cannot reach
// the instance's credentials) and instance tags in IMDS, and the agents'
// instance profile if there is one.
func launchData(st awsstack.Settings, imageID string, o InitOptions) (*ec2types.RequestLaunchTemplateData, error) {
	install, err := InstallScript(o.ArtifactsBucket)
	if err != nil {
		return nil, err
	}
	script, err := st.AgentScript(install)
	if err != nil {
		return nil, err
	}
	d := &ec2types.RequestLaunchTemplateData{
		UserData: aws.String(base64.StdEncoding.EncodeToString(script)),
		MetadataOptions: &ec2types.LaunchTemplateInstanceMetadataOptionsRequest{
			HttpEndpoint:            ec2types.LaunchTemplateInstanceMetadataEndpointStateEnabled,
			HttpTokens:              ec2types.LaunchTemplateHttpTokensStateRequired,
			HttpPutResponseHopLimit: aws.Int32(1),
			InstanceMetadataTags:    ec2types.LaunchTemplateInstanceMetadataTagsStateEnabled,
		},
	}
	if imageID != "" {
		d.ImageId = aws.String(imageID)
	}
	switch p := o.InstanceProfile; {
	case strings.HasPrefix(p, "arn:"):
		d.IamInstanceProfile = &ec2types.LaunchTemplateIamInstanceProfileSpecificationRequest{Arn: aws.String(p)}
	case p != "":
		d.IamInstanceProfile = &ec2types.LaunchTemplateIamInstanceProfileSpecificationRequest{Name: aws.String(p)}
	}
	return d, nil
}

// ensureLaunchTemplate creates the stack's launch template with want. If
// it exists and its default version differs from want (new settings, a
// newer AMI), it adds a version with want and makes it the default; if it
// matches, it is left alone.
func ensureLaunchTemplate(ctx context.Context, api *ec2.Client, st awsstack.Settings, want *ec2types.RequestLaunchTemplateData) (LaunchTemplate, error) {
	v, err := defaultVersion(ctx, api, st.LaunchTemplate)
	if hasCode(err, codeTemplateNotFound) {
		lt, err := createLaunchTemplate(ctx, api, st, want)
		if !hasCode(err, codeTemplateExists) {
			return lt, err
		}
		// Another process created it meanwhile: reconcile theirs.
		v, err = defaultVersion(ctx, api, st.LaunchTemplate)
	}
	if err != nil {
		return LaunchTemplate{}, err
	}
	lt := LaunchTemplate{ID: aws.ToString(v.LaunchTemplateId), DefaultVersion: aws.ToInt64(v.VersionNumber), ImageID: aws.ToString(want.ImageId)}
	if sameLaunchData(want, v.LaunchTemplateData) {
		return lt, nil
	}
	added, err := api.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{
		LaunchTemplateId:   v.LaunchTemplateId,
		LaunchTemplateData: want,
		VersionDescription: aws.String(templateDescription),
	})
	if err != nil {
		return LaunchTemplate{}, fmt.Errorf("adding a version to launch template %s: %w", st.LaunchTemplate, err)
	}
	lt.DefaultVersion = aws.ToInt64(added.LaunchTemplateVersion.VersionNumber)
	_, err = api.ModifyLaunchTemplate(ctx, &ec2.ModifyLaunchTemplateInput{
		LaunchTemplateId: v.LaunchTemplateId,
		DefaultVersion:   aws.String(strconv.FormatInt(lt.DefaultVersion, 10)),
	})
	if err != nil {
		return LaunchTemplate{}, fmt.Errorf("making version %d the default of launch template %s: %w", lt.DefaultVersion, st.LaunchTemplate, err)
	}
	return lt, nil
}

// defaultVersion reads the default version of a launch template; a
// missing template is an error with codeTemplateNotFound.
func defaultVersion(ctx context.Context, api *ec2.Client, name string) (ec2types.LaunchTemplateVersion, error) {
	out, err := api.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateName: aws.String(name),
		Versions:           []string{"$Default"},
	})
	if err != nil {
		return ec2types.LaunchTemplateVersion{}, fmt.Errorf("describing launch template %s: %w", name, err)
	}
	if len(out.LaunchTemplateVersions) == 0 {
		return ec2types.LaunchTemplateVersion{}, fmt.Errorf("launch template %s has no default version", name)
	}
	return out.LaunchTemplateVersions[0], nil
}

// createLaunchTemplate creates the stack's launch template, tagged with
// the stack.
func createLaunchTemplate(ctx context.Context, api *ec2.Client, st awsstack.Settings, want *ec2types.RequestLaunchTemplateData) (LaunchTemplate, error) {
	out, err := api.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String(st.LaunchTemplate),
		LaunchTemplateData: want,
		VersionDescription: aws.String(templateDescription),
		TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeLaunchTemplate,
			Tags: []ec2types.Tag{
				{Key: aws.String(ec2fleet.TagStack), Value: aws.String(st.Stack)},
				{Key: aws.String(ec2fleet.TagManagedBy), Value: aws.String(ec2fleet.ManagedByValue)},
			},
		}},
	})
	if err != nil {
		return LaunchTemplate{}, fmt.Errorf("creating launch template %s: %w", st.LaunchTemplate, err)
	}
	lt := out.LaunchTemplate
	return LaunchTemplate{ID: aws.ToString(lt.LaunchTemplateId), DefaultVersion: aws.ToInt64(lt.DefaultVersionNumber), ImageID: aws.ToString(want.ImageId)}, nil
}

// sameLaunchData reports whether a stored version has the launch data
// Tanda sets.
func sameLaunchData(want *ec2types.RequestLaunchTemplateData, got *ec2types.ResponseLaunchTemplateData) bool {
	if got == nil || aws.ToString(got.ImageId) != aws.ToString(want.ImageId) || aws.ToString(got.UserData) != aws.ToString(want.UserData) {
		return false
	}
	m, w := got.MetadataOptions, want.MetadataOptions
	if m == nil || m.HttpTokens != w.HttpTokens || aws.ToInt32(m.HttpPutResponseHopLimit) != aws.ToInt32(w.HttpPutResponseHopLimit) || m.InstanceMetadataTags != w.InstanceMetadataTags {
		return false
	}
	var gotName, gotArn, wantName, wantArn string
	if p := got.IamInstanceProfile; p != nil {
		gotName, gotArn = aws.ToString(p.Name), aws.ToString(p.Arn)
	}
	if p := want.IamInstanceProfile; p != nil {
		wantName, wantArn = aws.ToString(p.Name), aws.ToString(p.Arn)
	}
	return gotName == wantName && gotArn == wantArn
}

// hasCode reports whether err is an AWS API error with one of codes.
func hasCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.ErrorCode() == c {
			return true
		}
	}
	return false
}
