package ec2fleet

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/provisioner"
)

// motoSSM is an SSM client of the moto server. moto 5 serves the public
// /aws/service/ecs/optimized-ami/... parameters of its region from its own
// copy of them (moto/ssm/resources/ecs/optimized_amis).
func motoSSM(t *testing.T) *ssm.Client {
	t.Helper()
	return ssm.New(ssm.Options{
		Region: mototest.Region, BaseEndpoint: aws.String(mototest.Endpoint(t)), Credentials: mototest.Credentials(),
	})
}

// publicAMIs reads the default AMIs from moto's SSM, checking that moto
// has each parameter Tanda uses and that they name different images.
func publicAMIs(t *testing.T, api *ssm.Client) map[string]string {
	t.Helper()
	out := map[string]string{}
	seen := map[string]string{}
	for _, p := range []string{ParameterAL2023, ParameterAL2023ARM, ParameterAL2023NVIDIA, ParameterAL2, ParameterAL2ARM, ParameterAL2NVIDIA} {
		got, err := api.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(p)})
		if err != nil {
			t.Fatalf("moto has no SSM parameter %s: %v", p, err)
		}
		ami := aws.ToString(got.Parameter.Value)
		if !strings.HasPrefix(ami, "ami-") || seen[ami] != "" {
			t.Fatalf("SSM parameter %s = %q: want an AMI id of its own (%s has it too)", p, ami, seen[ami])
		}
		out[p], seen[ami] = ami, p
	}
	return out
}

// bareTemplate creates a launch template without an image, as Init writes
// the stack's, and returns its name.
func bareTemplate(t *testing.T, client *ec2.Client, name string, image string) string {
	t.Helper()
	d := &ec2types.RequestLaunchTemplateData{
		UserData: aws.String("IyEvYmluL3NoCg=="),
		MetadataOptions: &ec2types.LaunchTemplateInstanceMetadataOptionsRequest{
			HttpTokens: ec2types.LaunchTemplateHttpTokensStateRequired, HttpPutResponseHopLimit: aws.Int32(1),
		},
	}
	if image != "" {
		d.ImageId = aws.String(image)
	}
	if _, err := client.CreateLaunchTemplate(context.Background(), &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name), LaunchTemplateData: d}); err != nil {
		t.Fatalf("creating launch template %s: %v", name, err)
	}
	return name
}

// imagesOf is the image of each instance, by instance type, as moto
// describes them.
func imagesOf(t *testing.T, client *ec2.Client, launched []provisioner.Instance) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, in := range launched {
		d, err := client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{in.ID}})
		if err != nil || len(d.Reservations) != 1 || len(d.Reservations[0].Instances) != 1 {
			t.Fatalf("describing %s: %v", in.ID, err)
		}
		i := d.Reservations[0].Instances[0]
		if prev, ok := out[string(i.InstanceType)]; ok && prev != aws.ToString(i.ImageId) {
			t.Errorf("two %s instances with images %s and %s", i.InstanceType, prev, aws.ToString(i.ImageId))
		}
		out[string(i.InstanceType)] = aws.ToString(i.ImageId)
	}
	return out
}

func TestImagesPerTypeOnMoto(t *testing.T) {
	ctx := context.Background()
	client, params := motoEC2(t), motoSSM(t)
	amis := publicAMIs(t, params)
	stack := "img-" + randomHex(6)
	f := New(client, Options{
		Stack: stack, LaunchTemplateName: bareTemplate(t, client, stack+"-agent", ""), Parameters: params,
		Clock: batchtest.NewClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)),
	})
	ceImage := bareTemplate(t, client, stack+"-ce", "ami-0cececec")
	gpuImage := bareTemplate(t, client, stack+"-gpu", "ami-06060606")
	p4d := provisioner.InstanceType{Name: "p4d.24xlarge", Family: "p4d", Arch: provisioner.ArchX86, VCPUs: 96, MemoryMiB: 1179648, GPUs: 8}

	tests := []struct {
		name  string
		cr    batch.ComputeResource
		types []provisioner.InstanceType
		want  map[string]string // instance type → image
	}{
		{"defaults per architecture and GPU", batch.ComputeResource{}, []provisioner.InstanceType{m6ilarge, g4dnxlarge},
			map[string]string{"m6i.large": amis[ParameterAL2023], "g4dn.xlarge": amis[ParameterAL2023NVIDIA]}},
		{"arm64", batch.ComputeResource{}, []provisioner.InstanceType{c7glarge, g5gxlarge},
			map[string]string{"c7g.large": amis[ParameterAL2023ARM], "g5g.xlarge": amis[ParameterAL2023ARM]}},
		{"Amazon Linux 2", batch.ComputeResource{Ec2Configuration: []map[string]any{{"imageType": "ECS_AL2"}}},
			[]provisioner.InstanceType{m6ilarge, g4dnxlarge},
			map[string]string{"m6i.large": amis[ParameterAL2], "g4dn.xlarge": amis[ParameterAL2NVIDIA]}},
		{"imageIdOverride for GPU types", batch.ComputeResource{Ec2Configuration: []map[string]any{
			{"imageType": "ECS_AL2023"}, {"imageType": "ECS_AL2023_NVIDIA", "imageIdOverride": "ami-0abcdef1"}}},
			[]provisioner.InstanceType{m6ilarge, g4dnxlarge},
			map[string]string{"m6i.large": amis[ParameterAL2023], "g4dn.xlarge": "ami-0abcdef1"}},
		{"the compute environment's launch template's image", batch.ComputeResource{LaunchTemplate: map[string]any{"launchTemplateName": ceImage}},
			[]provisioner.InstanceType{m6ilarge, g4dnxlarge},
			map[string]string{"m6i.large": "ami-0cececec", "g4dn.xlarge": "ami-0cececec"}},
		{"imageIdOverride beats the launch template", batch.ComputeResource{LaunchTemplate: map[string]any{"launchTemplateName": ceImage},
			Ec2Configuration: []map[string]any{{"imageType": "ECS_AL2023", "imageIdOverride": "ami-0abcdef2"}}},
			[]provisioner.InstanceType{m6ilarge, g4dnxlarge},
			// The GPU type has no entry with an override: the template's image.
			map[string]string{"m6i.large": "ami-0abcdef2", "g4dn.xlarge": "ami-0cececec"}},
		{"a launch template override for a GPU family", batch.ComputeResource{ImageID: "ami-0abcdef3", LaunchTemplate: map[string]any{
			"launchTemplateName": ceImage, "overrides": []any{map[string]any{"launchTemplateName": gpuImage, "targetInstanceTypes": []any{"p4d"}}}}},
			[]provisioner.InstanceType{m6ilarge, p4d},
			map[string]string{"m6i.large": "ami-0abcdef3", "p4d.24xlarge": "ami-06060606"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr := tt.cr
			cr.Type = "EC2"
			ce := batch.ComputeEnvironment{ComputeEnvironmentName: "ce-" + randomHex(4), ComputeResources: &cr}
			var items []provisioner.LaunchItem
			for _, typ := range tt.types {
				items = append(items, provisioner.LaunchItem{Type: typ, Count: 1})
			}
			launched, err := f.Launch(ctx, provisioner.LaunchRequest{CE: ce, ClientToken: "tanda-" + randomHex(16), Items: items})
			if err != nil || len(launched) != len(items) {
				t.Fatalf("Launch = %+v, %v; want %d instances", launched, err, len(items))
			}
			got := imagesOf(t, client, launched)
			for typ, want := range tt.want {
				if got[typ] != want {
					t.Errorf("%s instance has image %s, want %s", typ, got[typ], want)
				}
			}
			if err := f.Terminate(ctx, ce.ComputeEnvironmentName, ids(launched)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMixedFleetOnMoto sends one CreateFleet for a plan of a non-GPU and a
// GPU type and reads back what moto recorded: one launch template config
// per image, each override with its image.
func TestMixedFleetOnMoto(t *testing.T) {
	ctx := context.Background()
	client, params := motoEC2(t), motoSSM(t)
	amis := publicAMIs(t, params)
	stack := "mix-" + randomHex(6)
	f := New(client, Options{Stack: stack, LaunchTemplateName: bareTemplate(t, client, stack+"-agent", ""), Parameters: params})
	ce := batch.ComputeEnvironment{ComputeEnvironmentName: "mixed", ComputeResources: &batch.ComputeResource{Type: "EC2"}}
	in, err := fleetInputOf(f, provisioner.LaunchRequest{CE: ce, Items: []provisioner.LaunchItem{{Type: m6ilarge, Count: 1}, {Type: g4dnxlarge, Count: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := client.CreateFleet(ctx, in)
	if err != nil {
		t.Fatalf("CreateFleet: %v", err)
	}
	fleets, err := client.DescribeFleets(ctx, &ec2.DescribeFleetsInput{FleetIds: []string{aws.ToString(out.FleetId)}})
	if err != nil || len(fleets.Fleets) != 1 {
		t.Fatalf("DescribeFleets = %+v, %v; want the fleet", fleets, err)
	}
	var got []string
	for _, c := range fleets.Fleets[0].LaunchTemplateConfigs {
		line := aws.ToString(c.LaunchTemplateSpecification.LaunchTemplateName) + ":"
		for _, o := range c.Overrides {
			line += " " + string(o.InstanceType) + "/" + aws.ToString(o.ImageId)
		}
		got = append(got, line)
	}
	want := []string{stack + "-agent: m6i.large/" + amis[ParameterAL2023], stack + "-agent: g4dn.xlarge/" + amis[ParameterAL2023NVIDIA]}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("moto recorded configs %q, want %q", got, want)
	}
	// moto fills the whole target from the first override (it ignores the
	// rest without prices); that instance has the first group's image.
	var launched []provisioner.Instance
	for _, fi := range out.Instances {
		for _, id := range fi.InstanceIds {
			launched = append(launched, provisioner.Instance{ID: id})
		}
	}
	if images := imagesOf(t, client, launched); images["m6i.large"] != amis[ParameterAL2023] || images["g4dn.xlarge"] != "" && images["g4dn.xlarge"] != amis[ParameterAL2023NVIDIA] {
		t.Errorf("instances' images %v, want m6i.large on %s and any g4dn.xlarge on %s", images, amis[ParameterAL2023], amis[ParameterAL2023NVIDIA])
	}
}
