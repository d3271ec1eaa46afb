package batch

import (
	"reflect"
	"testing"
)

func TestValidateImages(t *testing.T) {
	lt := func(m map[string]any) func(*ComputeResource) {
		return func(c *ComputeResource) { c.LaunchTemplate = m }
	}
	ec2 := func(m ...map[string]any) func(*ComputeResource) {
		return func(c *ComputeResource) { c.Ec2Configuration = m }
	}
	tests := []struct {
		name   string
		modify func(*ComputeResource)
		want   string
	}{
		{"AL2023", ec2(map[string]any{"imageType": "ECS_AL2023"}), ""},
		{"AL2 with its GPU image and an override", ec2(map[string]any{"imageType": "ECS_AL2"},
			map[string]any{"imageType": "ECS_AL2_NVIDIA", "imageIdOverride": "ami-0123456789abcdef0"}), ""},
		{"batchImageStatus echoed back", ec2(map[string]any{"imageType": "ECS_AL2023", "batchImageStatus": "LATEST"}), ""},
		{"no image type", ec2(map[string]any{"imageIdOverride": "ami-12345678"}),
			"computeResources.ec2Configuration[0].imageType is required"},
		{"unknown image type", ec2(map[string]any{"imageType": "UBUNTU"}),
			`computeResources.ec2Configuration[0].imageType must be one of [ECS_AL2023 ECS_AL2023_NVIDIA ECS_AL2 ECS_AL2_NVIDIA] (got "UBUNTU")`},
		{"Amazon Linux 1", ec2(map[string]any{"imageType": "ECS_AL1"}), "ECS_AL1 (Amazon Linux 1) has reached end of life: use ECS_AL2023"},
		{"EKS image type", ec2(map[string]any{"imageType": "EKS_AL2023"}), "computeResources.ec2Configuration[0].imageType: EKS image types"},
		{"image type not a string", ec2(map[string]any{"imageType": 7}), "computeResources.ec2Configuration[0] must be {imageType, imageIdOverride}"},
		{"two non-GPU types", ec2(map[string]any{"imageType": "ECS_AL2023"}, map[string]any{"imageType": "ECS_AL2"}),
			"computeResources.ec2Configuration[1].imageType ECS_AL2 clashes with ECS_AL2023 of another entry"},
		{"the same type twice", ec2(map[string]any{"imageType": "ECS_AL2023_NVIDIA"}, map[string]any{"imageType": "ECS_AL2023_NVIDIA"}),
			"clashes with ECS_AL2023_NVIDIA"},
		{"override not an AMI", ec2(map[string]any{"imageType": "ECS_AL2023", "imageIdOverride": "my-image"}),
			`computeResources.ec2Configuration[0].imageIdOverride must be an AMI id such as ami-0123456789abcdef0 (got "my-image")`},
		{"kubernetes version", ec2(map[string]any{"imageType": "ECS_AL2023", "imageKubernetesVersion": "1.31"}),
			"computeResources.ec2Configuration[0].imageKubernetesVersion is only for EKS compute environments"},
		{"deprecated imageId", func(c *ComputeResource) { c.ImageID = "ami-12345678" }, ""},
		{"deprecated imageId not an AMI", func(c *ComputeResource) { c.ImageID = "ami-XYZ" }, "computeResources.imageId must be an AMI id"},
		{"template by name", lt(map[string]any{"launchTemplateName": "mine", "version": "$Latest"}), ""},
		{"template by id, version 3", lt(map[string]any{"launchTemplateId": "lt-0abc", "version": "3"}), ""},
		{"template by both", lt(map[string]any{"launchTemplateId": "lt-0abc", "launchTemplateName": "mine"}),
			"computeResources.launchTemplate must give launchTemplateId or launchTemplateName, not both"},
		{"template by neither", lt(map[string]any{"version": "1"}), "computeResources.launchTemplate must name a launch template"},
		{"version 0", lt(map[string]any{"launchTemplateName": "mine", "version": "0"}),
			`computeResources.launchTemplate.version must be $Default, $Latest or a version number (got "0")`},
		{"version latest", lt(map[string]any{"launchTemplateName": "mine", "version": "latest"}), "must be $Default, $Latest or a version number"},
		{"EKS user data", lt(map[string]any{"launchTemplateName": "mine", "userdataType": "EKS_NODEADM"}),
			"computeResources.launchTemplate.userdataType is only for EKS"},
		{"overrides", lt(map[string]any{"launchTemplateName": "mine", "overrides": []any{
			map[string]any{"launchTemplateName": "gpu", "targetInstanceTypes": []any{"g5", "p4d.24xlarge"}},
		}}), ""},
		{"override without targets", lt(map[string]any{"launchTemplateName": "mine", "overrides": []any{
			map[string]any{"launchTemplateName": "gpu"},
		}}), "computeResources.launchTemplate.overrides[0].targetInstanceTypes is required"},
		{"override targeting optimal", lt(map[string]any{"launchTemplateName": "mine", "overrides": []any{
			map[string]any{"launchTemplateName": "gpu", "targetInstanceTypes": []any{"optimal"}},
		}}), "computeResources.launchTemplate.overrides[0].targetInstanceTypes[0] must be an instance type or family, not optimal"},
		{"type targeted twice", lt(map[string]any{"launchTemplateName": "mine", "overrides": []any{
			map[string]any{"launchTemplateName": "a", "targetInstanceTypes": []any{"g5"}},
			map[string]any{"launchTemplateName": "b", "targetInstanceTypes": []any{"g5"}},
		}}), "computeResources.launchTemplate.overrides[1].targetInstanceTypes[0] g5 is targeted by another override"},
		{"override naming no template", lt(map[string]any{"launchTemplateName": "mine", "overrides": []any{
			map[string]any{"targetInstanceTypes": []any{"g5"}},
		}}), "computeResources.launchTemplate.overrides[0] must name a launch template"},
		{"eleven overrides", lt(map[string]any{"launchTemplateName": "mine", "overrides": make([]any, 11)}),
			"computeResources.launchTemplate.overrides must have at most 10 entries (got 11)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validManagedCE()
			tt.modify(in.ComputeResources)
			wantClientError(t, ValidateCreateComputeEnvironment(in), tt.want)
			upd := &UpdateComputeEnvironmentInput{ComputeEnvironment: "ce", ComputeResources: &ComputeResourceUpdate{
				ImageID: in.ComputeResources.ImageID, Ec2Configuration: in.ComputeResources.Ec2Configuration,
				LaunchTemplate: in.ComputeResources.LaunchTemplate,
			}}
			wantClientError(t, ValidateUpdateComputeEnvironment(upd), tt.want)
		})
	}
}

func TestComputeResourceImageMembers(t *testing.T) {
	cr := &ComputeResource{
		Ec2Configuration: []map[string]any{{"imageType": "ECS_AL2023"}, {"imageType": "ECS_AL2023_NVIDIA", "imageIdOverride": "ami-12345678"}},
		LaunchTemplate: map[string]any{"launchTemplateName": "mine", "version": "2", "overrides": []any{
			map[string]any{"launchTemplateId": "lt-gpu", "targetInstanceTypes": []any{"g5", "p4d.24xlarge"}},
		}},
	}
	wantConfigs := []EC2Configuration{{ImageType: "ECS_AL2023"}, {ImageType: "ECS_AL2023_NVIDIA", ImageIDOverride: "ami-12345678"}}
	if got := cr.EC2Configurations(); !reflect.DeepEqual(got, wantConfigs) {
		t.Errorf("EC2Configurations = %+v, want %+v", got, wantConfigs)
	}
	spec, ok := cr.LaunchTemplateSpec()
	if !ok || spec.Name != "mine" || spec.Version != "2" || len(spec.Overrides) != 1 {
		t.Fatalf("LaunchTemplateSpec = %+v, %v; want mine version 2 with one override", spec, ok)
	}
	for _, tt := range []struct {
		typ, family string
		want        bool
	}{{"g5.xlarge", "g5", true}, {"p4d.24xlarge", "p4d", true}, {"p4de.24xlarge", "p4de", false}, {"m5.large", "m5", false}} {
		o, ok := spec.TemplateFor(tt.typ, tt.family)
		if ok != tt.want || ok && o.ID != "lt-gpu" {
			t.Errorf("TemplateFor(%s) = %+v, %v; want lt-gpu: %v", tt.typ, o, ok, tt.want)
		}
	}
	if _, ok := (&ComputeResource{}).LaunchTemplateSpec(); ok {
		t.Error("LaunchTemplateSpec of no launchTemplate is set")
	}
}
