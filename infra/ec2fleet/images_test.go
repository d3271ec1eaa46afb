package ec2fleet

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/provisioner"
)

var (
	m6ilarge   = provisioner.InstanceType{Name: "m6i.large", Family: "m6i", Arch: provisioner.ArchX86, VCPUs: 2, MemoryMiB: 8192}
	g4dnxlarge = provisioner.InstanceType{Name: "g4dn.xlarge", Family: "g4dn", Arch: provisioner.ArchX86, VCPUs: 4, MemoryMiB: 16384, GPUs: 1}
	c7glarge   = provisioner.InstanceType{Name: "c7g.large", Family: "c7g", Arch: provisioner.ArchARM, VCPUs: 2, MemoryMiB: 4096}
	g5gxlarge  = provisioner.InstanceType{Name: "g5g.xlarge", Family: "g5g", Arch: provisioner.ArchARM, VCPUs: 4, MemoryMiB: 8192, GPUs: 1}
)

// amiOf is the AMI fakeAMIs gives each parameter.
var amiOf = map[string]string{
	ParameterAL2023: "ami-0a2023", ParameterAL2023ARM: "ami-0a2023arm", ParameterAL2023NVIDIA: "ami-0a2023gpu",
	ParameterAL2: "ami-0a2", ParameterAL2ARM: "ami-0a2arm", ParameterAL2NVIDIA: "ami-0a2gpu",
}

func fakeAMIs() *fakeParameters { return &fakeParameters{values: amiOf} }

func TestImageConfigFor(t *testing.T) {
	cfg := func(types ...string) []batch.EC2Configuration {
		var out []batch.EC2Configuration
		for _, ty := range types {
			out = append(out, batch.EC2Configuration{ImageType: ty})
		}
		return out
	}
	tests := []struct {
		name    string
		configs []batch.EC2Configuration
		typ     provisioner.InstanceType
		want    string
	}{
		{"default, x86", nil, m6ilarge, batch.ImageTypeAL2023},
		{"default, arm64", nil, c7glarge, batch.ImageTypeAL2023},
		{"default, GPU", nil, g4dnxlarge, batch.ImageTypeAL2023NVIDIA},
		{"AL2 only, GPU gets AL2's NVIDIA image", cfg("ECS_AL2"), g4dnxlarge, batch.ImageTypeAL2NVIDIA},
		{"AL2 only, non-GPU", cfg("ECS_AL2"), m6ilarge, batch.ImageTypeAL2},
		{"NVIDIA only, non-GPU x86 takes it", cfg("ECS_AL2023_NVIDIA"), m6ilarge, batch.ImageTypeAL2023NVIDIA},
		{"NVIDIA only, Graviton does not", cfg("ECS_AL2023_NVIDIA"), c7glarge, batch.ImageTypeAL2023},
		{"AL2 NVIDIA only, Graviton gets AL2", cfg("ECS_AL2_NVIDIA"), c7glarge, batch.ImageTypeAL2},
		{"both, GPU", cfg("ECS_AL2023", "ECS_AL2_NVIDIA"), g4dnxlarge, batch.ImageTypeAL2NVIDIA},
		{"both, non-GPU", cfg("ECS_AL2023", "ECS_AL2_NVIDIA"), m6ilarge, batch.ImageTypeAL2023},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := imageConfigFor(tt.configs, tt.typ).ImageType; got != tt.want {
				t.Errorf("imageConfigFor(%v, %s) = %s, want %s", tt.configs, tt.typ.Name, got, tt.want)
			}
		})
	}
}

func TestImageParameter(t *testing.T) {
	tests := []struct {
		imageType, arch, want string
	}{
		{batch.ImageTypeAL2023, provisioner.ArchX86, "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"},
		{batch.ImageTypeAL2023, provisioner.ArchARM, "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"},
		{batch.ImageTypeAL2023NVIDIA, provisioner.ArchX86, "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"},
		{batch.ImageTypeAL2023NVIDIA, provisioner.ArchARM, "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"},
		{batch.ImageTypeAL2, provisioner.ArchX86, "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"},
		{batch.ImageTypeAL2, provisioner.ArchARM, "/aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended/image_id"},
		{batch.ImageTypeAL2NVIDIA, provisioner.ArchX86, "/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended/image_id"},
	}
	for _, tt := range tests {
		if got, err := ImageParameter(tt.imageType, tt.arch); err != nil || got != tt.want {
			t.Errorf("ImageParameter(%s, %s) = %q, %v; want %q", tt.imageType, tt.arch, got, err, tt.want)
		}
	}
	if _, err := ImageParameter(batch.ImageTypeAL2023, ""); err == nil {
		t.Error("ImageParameter with no architecture succeeded")
	}
	if _, err := ImageParameter("EKS_AL2023", provisioner.ArchX86); err == nil {
		t.Error("ImageParameter of an EKS type succeeded")
	}
}

// TestImageForFollowsAWSBatchOrder checks each rung of the AMI selection
// order, from the default up to a launch template override.
func TestImageForFollowsAWSBatchOrder(t *testing.T) {
	templates := map[string]string{
		"stack": "", "ce-with-image": "ami-0ce", "ce-bare": "", "lt-gpu": "ami-0ltgpu", "lt-gpu-bare": "",
	}
	gpuOverride := []any{map[string]any{"launchTemplateName": "lt-gpu", "version": "4", "targetInstanceTypes": []any{"g4dn"}}}
	tests := []struct {
		name         string
		cr           batch.ComputeResource
		typ          provisioner.InstanceType
		wantTemplate string
		wantImage    string // "" keeps the template's
	}{
		{"default x86", batch.ComputeResource{}, m6ilarge, "stack@$Default", "ami-0a2023"},
		{"default arm64", batch.ComputeResource{}, c7glarge, "stack@$Default", "ami-0a2023arm"},
		{"default GPU", batch.ComputeResource{}, g4dnxlarge, "stack@$Default", "ami-0a2023gpu"},
		{"default arm64 GPU: no NVIDIA image for arm64", batch.ComputeResource{}, g5gxlarge, "stack@$Default", "ami-0a2023arm"},
		{"image type AL2", batch.ComputeResource{Ec2Configuration: []map[string]any{{"imageType": "ECS_AL2"}}}, c7glarge,
			"stack@$Default", "ami-0a2arm"},
		{"imageIdOverride of the GPU entry, GPU type",
			batch.ComputeResource{Ec2Configuration: []map[string]any{{"imageType": "ECS_AL2023"}, {"imageType": "ECS_AL2023_NVIDIA", "imageIdOverride": "ami-0ffff"}}},
			g4dnxlarge, "stack@$Default", "ami-0ffff"},
		{"imageIdOverride of the GPU entry, non-GPU type",
			batch.ComputeResource{Ec2Configuration: []map[string]any{{"imageType": "ECS_AL2023"}, {"imageType": "ECS_AL2023_NVIDIA", "imageIdOverride": "ami-0ffff"}}},
			m6ilarge, "stack@$Default", "ami-0a2023"},
		{"the compute environment's launch template's image",
			batch.ComputeResource{LaunchTemplate: map[string]any{"launchTemplateName": "ce-with-image", "version": "$Latest"}},
			g4dnxlarge, "ce-with-image@$Latest", ""},
		{"a bare launch template gets the default",
			batch.ComputeResource{LaunchTemplate: map[string]any{"launchTemplateName": "ce-bare"}},
			c7glarge, "ce-bare@$Default", "ami-0a2023arm"},
		{"imageIdOverride beats the launch template",
			batch.ComputeResource{LaunchTemplate: map[string]any{"launchTemplateName": "ce-with-image"},
				Ec2Configuration: []map[string]any{{"imageType": "ECS_AL2023", "imageIdOverride": "ami-0eeee"}}},
			m6ilarge, "ce-with-image@$Default", "ami-0eeee"},
		{"imageId beats imageIdOverride",
			batch.ComputeResource{ImageID: "ami-0dddd", Ec2Configuration: []map[string]any{{"imageType": "ECS_AL2023", "imageIdOverride": "ami-0eeee"}}},
			m6ilarge, "stack@$Default", "ami-0dddd"},
		{"a launch template override with an image beats everything",
			batch.ComputeResource{ImageID: "ami-0dddd", LaunchTemplate: map[string]any{"launchTemplateName": "ce-with-image", "overrides": gpuOverride}},
			g4dnxlarge, "lt-gpu@4", ""},
		{"an override targets its types only",
			batch.ComputeResource{LaunchTemplate: map[string]any{"launchTemplateName": "ce-with-image", "overrides": gpuOverride}},
			m6ilarge, "ce-with-image@$Default", ""},
		{"a bare override takes the compute environment's template image",
			batch.ComputeResource{LaunchTemplate: map[string]any{"launchTemplateName": "ce-with-image", "overrides": []any{
				map[string]any{"launchTemplateName": "lt-gpu-bare", "targetInstanceTypes": []any{"g4dn.xlarge"}},
			}}},
			g4dnxlarge, "lt-gpu-bare@$Default", "ami-0ce"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(&fakeEC2{images: templates}, Options{LaunchTemplateName: "stack", Parameters: fakeAMIs()})
			cr := tt.cr
			base, err := f.baseTemplate(&cr)
			if err != nil {
				t.Fatal(err)
			}
			li, err := f.imageFor(context.Background(), &cr, base, tt.typ)
			if err != nil {
				t.Fatalf("imageFor: %v", err)
			}
			if got := li.template.name + li.template.id + "@" + li.template.version; got != tt.wantTemplate || li.imageID != tt.wantImage {
				t.Errorf("imageFor(%s) = %s with image %q, want %s with %q", tt.typ.Name, got, li.imageID, tt.wantTemplate, tt.wantImage)
			}
		})
	}
}

func TestImagesAreReadAgainAfterTheirTTL(t *testing.T) {
	clock := batchtest.NewClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	api, params := &fakeEC2{images: map[string]string{"stack": ""}}, fakeAMIs()
	f := New(api, Options{LaunchTemplateName: "stack", Parameters: params, Clock: clock})
	cr := &batch.ComputeResource{}
	base, _ := f.baseTemplate(cr)
	resolve := func() {
		t.Helper()
		for _, typ := range []provisioner.InstanceType{m6ilarge, m6ilarge, g4dnxlarge} {
			if _, err := f.imageFor(context.Background(), cr, base, typ); err != nil {
				t.Fatal(err)
			}
		}
	}
	resolve()
	if want := []string{ParameterAL2023, ParameterAL2023NVIDIA}; !slices.Equal(params.reads, want) || len(api.described) != 1 {
		t.Fatalf("SSM reads %v and %d template reads, want %v and 1", params.reads, len(api.described), want)
	}
	clock.Advance(templateTTL)
	resolve()
	if len(params.reads) != 2 || len(api.described) != 2 {
		t.Errorf("after %v: %d SSM reads and %d template reads, want 2 and 2", templateTTL, len(params.reads), len(api.described))
	}
	clock.Advance(amiTTL)
	resolve()
	if len(params.reads) != 4 {
		t.Errorf("after %v: %d SSM reads, want 4", amiTTL, len(params.reads))
	}
}

func TestImageErrors(t *testing.T) {
	tests := []struct {
		name   string
		api    *fakeEC2
		params Parameters
		cr     batch.ComputeResource
		want   string
	}{
		{"no SSM client", &fakeEC2{images: map[string]string{"stack": ""}}, nil, batch.ComputeResource{},
			"no SSM client to read the AMI in " + ParameterAL2023},
		{"parameter missing", &fakeEC2{images: map[string]string{"stack": ""}}, &fakeParameters{}, batch.ComputeResource{},
			"reading the ECS_AL2023 AMI from SSM parameter " + ParameterAL2023},
		{"launch template missing", &fakeEC2{}, fakeAMIs(), batch.ComputeResource{LaunchTemplate: map[string]any{"launchTemplateId": "lt-gone"}},
			"describing launch template lt-gone (version $Default)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(tt.api, Options{LaunchTemplateName: "stack", Parameters: tt.params})
			ce := batch.ComputeEnvironment{ComputeEnvironmentName: "ce", ComputeResources: &tt.cr}
			ce.ComputeResources.Type = "EC2"
			_, err := f.Launch(context.Background(), provisioner.LaunchRequest{CE: ce, Items: []provisioner.LaunchItem{{Type: m6ilarge, Count: 1}}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Launch error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// configsOf describes launch template configs as "<template> <version>:
// <type>/<image> ...", one override per type (the tests use one subnet).
func configsOf(configs []ec2types.FleetLaunchTemplateConfigRequest) []string {
	var out []string
	for _, c := range configs {
		s := c.LaunchTemplateSpecification
		line := aws.ToString(s.LaunchTemplateName) + aws.ToString(s.LaunchTemplateId) + " " + aws.ToString(s.Version) + ":"
		for _, o := range c.Overrides {
			line += " " + string(o.InstanceType) + "/" + aws.ToString(o.ImageId)
		}
		out = append(out, line)
	}
	return out
}

// TestFleetInputGroupsTypesByImage checks that a plan mixing GPU and
// non-GPU types starts each from its own image: one launch template config
// per image, each override carrying it.
func TestFleetInputGroupsTypesByImage(t *testing.T) {
	f := New(&fakeEC2{images: map[string]string{"stack": "", "lt-gpu": "ami-0ltgpu"}},
		Options{LaunchTemplateName: "stack", Parameters: fakeAMIs(), Subnets: []string{"subnet-a"}})
	g4dn2x := provisioner.InstanceType{Name: "g4dn.2xlarge", Family: "g4dn", Arch: provisioner.ArchX86, VCPUs: 8, MemoryMiB: 32768, GPUs: 1}
	m5 := m5large
	m5.Arch = provisioner.ArchX86
	req := provisioner.LaunchRequest{CE: computeEnvironment("mixed", "SPOT", "SPOT_CAPACITY_OPTIMIZED", nil), Items: []provisioner.LaunchItem{
		{Type: m6ilarge, Count: 2, Alternatives: []provisioner.InstanceType{m6ilarge, m5}},
		{Type: g4dnxlarge, Count: 1, Alternatives: []provisioner.InstanceType{g4dnxlarge, g4dn2x}},
	}}
	in, err := fleetInputOf(f, req)
	if err != nil {
		t.Fatal(err)
	}
	got := configsOf(in.LaunchTemplateConfigs)
	want := []string{"stack $Default: m6i.large/ami-0a2023 m5.large/ami-0a2023", "stack $Default: g4dn.xlarge/ami-0a2023gpu g4dn.2xlarge/ami-0a2023gpu"}
	if !slices.Equal(got, want) {
		t.Errorf("launch template configs\n%q\nwant\n%q", got, want)
	}

	// A launch template override for the GPU family: its own config, with
	// the template's image.
	req.CE.ComputeResources.LaunchTemplate = map[string]any{"launchTemplateName": "stack", "overrides": []any{
		map[string]any{"launchTemplateName": "lt-gpu", "targetInstanceTypes": []any{"g4dn"}},
	}}
	if in, err = fleetInputOf(f, req); err != nil {
		t.Fatal(err)
	}
	got = configsOf(in.LaunchTemplateConfigs)
	want = []string{"stack $Default: m6i.large/ami-0a2023 m5.large/ami-0a2023", "lt-gpu $Default: g4dn.xlarge/ g4dn.2xlarge/"}
	if !slices.Equal(got, want) {
		t.Errorf("with a GPU launch template override: configs\n%q\nwant\n%q", got, want)
	}
	if n := aws.ToInt32(in.TargetCapacitySpecification.TotalTargetCapacity); n != 3 {
		t.Errorf("target capacity %d, want 3", n)
	}
}
