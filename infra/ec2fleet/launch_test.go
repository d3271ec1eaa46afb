package ec2fleet

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/provisioner"
)

func TestAllocationFor(t *testing.T) {
	tests := []struct {
		typ, strategy string
		want          allocation
		wantErr       bool
	}{
		{"EC2", "", allocation{capacityType: "on-demand", onDemand: "lowest-price"}, false},
		{"EC2", "BEST_FIT", allocation{capacityType: "on-demand", onDemand: "lowest-price"}, false},
		{"EC2", "BEST_FIT_PROGRESSIVE", allocation{capacityType: "on-demand", onDemand: "lowest-price"}, false},
		{"SPOT", "BEST_FIT", allocation{capacityType: "spot", spot: "lowest-price"}, false},
		{"SPOT", "BEST_FIT_PROGRESSIVE", allocation{capacityType: "spot", spot: "lowest-price"}, false},
		{"SPOT", "SPOT_CAPACITY_OPTIMIZED", allocation{capacityType: "spot", spot: "capacity-optimized"}, false},
		{"SPOT", "SPOT_PRICE_CAPACITY_OPTIMIZED", allocation{capacityType: "spot", spot: "price-capacity-optimized"}, false},
		{"SPOT", "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED", allocation{capacityType: "spot", spot: "capacity-optimized-prioritized"}, false},
		{"EC2", "BEST_FIT_PROGRESSIVE_ORDERED", allocation{capacityType: "on-demand", onDemand: "lowest-price"}, false},
		{"SPOT", "CHEAPEST", allocation{}, true},
		{"FARGATE", "", allocation{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.strategy, func(t *testing.T) {
			got, err := allocationFor(&batch.ComputeResource{Type: tt.typ, AllocationStrategy: tt.strategy})
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("allocationFor = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestFleetInput(t *testing.T) {
	f := New(stackTemplates(), Options{Stack: "prod", LaunchTemplateName: "tanda-prod", Subnets: []string{"subnet-default"}})
	bid := 50
	ce := computeEnvironment("gpu", "SPOT", "SPOT_CAPACITY_OPTIMIZED", map[string]string{"team": "genomics", TagStack: "spoofed"})
	ce.ComputeResources.Subnets = []string{"subnet-a", "subnet-b"}
	ce.ComputeResources.BidPercentage = &bid
	req := provisioner.LaunchRequest{CE: ce, ClientToken: "tanda-abc", Items: []provisioner.LaunchItem{
		{Type: m5large, Count: 2}, {Type: c5xlarge, Count: 1},
	}}
	in, err := fleetInputOf(f, req)
	if err != nil {
		t.Fatalf("fleetInput: %v", err)
	}
	if in.Type != ec2types.FleetTypeInstant || aws.ToString(in.ClientToken) != "tanda-abc" {
		t.Errorf("type %s, token %q; want instant, tanda-abc", in.Type, aws.ToString(in.ClientToken))
	}
	tc := in.TargetCapacitySpecification
	if aws.ToInt32(tc.TotalTargetCapacity) != 3 || tc.DefaultTargetCapacityType != ec2types.DefaultTargetCapacityTypeSpot {
		t.Errorf("target capacity %d %s, want 3 spot", aws.ToInt32(tc.TotalTargetCapacity), tc.DefaultTargetCapacityType)
	}
	if in.SpotOptions == nil || in.SpotOptions.AllocationStrategy != ec2types.SpotAllocationStrategyCapacityOptimized || in.OnDemandOptions != nil {
		t.Errorf("options spot %+v on-demand %+v, want capacity-optimized spot only", in.SpotOptions, in.OnDemandOptions)
	}
	lt := in.LaunchTemplateConfigs[0]
	if aws.ToString(lt.LaunchTemplateSpecification.LaunchTemplateName) != "tanda-prod" || aws.ToString(lt.LaunchTemplateSpecification.Version) != "$Default" {
		t.Errorf("launch template %+v, want tanda-prod $Default", lt.LaunchTemplateSpecification)
	}
	var overrides []string
	for _, o := range lt.Overrides {
		overrides = append(overrides, string(o.InstanceType)+"/"+aws.ToString(o.SubnetId)+"/"+aws.ToString(o.MaxPrice))
	}
	wantOverrides := []string{"m5.large/subnet-a/0.04800", "m5.large/subnet-b/0.04800", "c5.xlarge/subnet-a/0.08500", "c5.xlarge/subnet-b/0.08500"}
	if !slices.Equal(overrides, wantOverrides) {
		t.Errorf("overrides %v, want %v", overrides, wantOverrides)
	}
	var kinds []ec2types.ResourceType
	for _, ts := range in.TagSpecifications {
		kinds = append(kinds, ts.ResourceType)
		got := map[string]string{}
		for _, tag := range ts.Tags {
			got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		want := map[string]string{TagStack: "prod", TagComputeEnvironment: "gpu", TagManagedBy: "tanda", "team": "genomics"}
		if len(got) != len(want) {
			t.Errorf("%s tags %v, want %v", ts.ResourceType, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s tag %s = %q, want %q", ts.ResourceType, k, got[k], v)
			}
		}
	}
	if !slices.Equal(kinds, []ec2types.ResourceType{ec2types.ResourceTypeInstance, ec2types.ResourceTypeVolume}) {
		t.Errorf("tagged resources %v, want instance and volume", kinds)
	}
}

func TestFleetInputLaunchTemplate(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		ceTemplate map[string]any
		want       string // id or name / version
		wantErr    bool
	}{
		{"fleet's name", Options{LaunchTemplateName: "lt-name"}, nil, "lt-name/$Default", false},
		{"fleet's id", Options{LaunchTemplateID: "lt-0123"}, nil, "lt-0123/$Default", false},
		{"compute environment's wins", Options{LaunchTemplateName: "lt-name"}, map[string]any{"launchTemplateId": "lt-ce", "version": "7"}, "lt-ce/7", false},
		{"version alone is ignored", Options{LaunchTemplateName: "lt-name"}, map[string]any{"version": "7"}, "lt-name/$Default", false},
		{"none", Options{}, nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce := computeEnvironment("ce", "EC2", "BEST_FIT", nil)
			ce.ComputeResources.LaunchTemplate = tt.ceTemplate
			in, err := fleetInputOf(New(stackTemplates(), tt.opts), provisioner.LaunchRequest{CE: ce, Items: []provisioner.LaunchItem{{Type: m5large, Count: 1}}})
			if tt.wantErr {
				if err == nil {
					t.Fatalf("fleetInput succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("fleetInput: %v", err)
			}
			spec := in.LaunchTemplateConfigs[0].LaunchTemplateSpecification
			got := aws.ToString(spec.LaunchTemplateId) + aws.ToString(spec.LaunchTemplateName) + "/" + aws.ToString(spec.Version)
			if got != tt.want {
				t.Errorf("launch template %s, want %s", got, tt.want)
			}
			if in.OnDemandOptions == nil || in.OnDemandOptions.AllocationStrategy != ec2types.FleetOnDemandAllocationStrategyLowestPrice || in.SpotOptions != nil {
				t.Errorf("options on-demand %+v spot %+v, want lowest-price on-demand", in.OnDemandOptions, in.SpotOptions)
			}
		})
	}
}

func TestLaunchedPartialFulfilment(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	f := New(nil, Options{})
	out := &ec2.CreateFleetOutput{
		Instances: []ec2types.CreateFleetInstance{{InstanceType: "m5.large", InstanceIds: []string{"i-1", "i-2"}, Lifecycle: ec2types.InstanceLifecycleSpot}},
		Errors: []ec2types.CreateFleetError{{
			ErrorCode: aws.String("InsufficientInstanceCapacity"),
			LaunchTemplateAndOverrides: &ec2types.LaunchTemplateAndOverridesResponse{
				Overrides: &ec2types.FleetLaunchTemplateOverrides{InstanceType: "c5.xlarge", AvailabilityZone: aws.String("us-east-1a")},
			},
		}},
	}
	req := provisioner.LaunchRequest{Items: []provisioner.LaunchItem{{Type: m5large, Count: 2}, {Type: c5xlarge, Count: 1}}}
	got, err := f.launched(context.Background(), req, out, now)
	if err != nil {
		t.Fatalf("launched: %v", err)
	}
	want := []provisioner.Instance{
		{ID: "i-1", Type: "m5.large", VCPUs: 2, MemoryMiB: 8192, Spot: true, LaunchedAt: now, State: provisioner.InstancePending},
		{ID: "i-2", Type: "m5.large", VCPUs: 2, MemoryMiB: 8192, Spot: true, LaunchedAt: now, State: provisioner.InstancePending},
	}
	if !slices.Equal(got, want) {
		t.Errorf("launched %+v, want %+v", got, want)
	}
	if ice := capacityErrors(fleetErrors(out.Errors)); !slices.Equal(ice, []string{"c5.xlarge@us-east-1a"}) {
		t.Errorf("capacity errors %v, want c5.xlarge@us-east-1a", ice)
	}
}

func TestTokenCacheExpires(t *testing.T) {
	clock := batchtest.NewClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	var c tokenCache
	c.entries = map[string]tokenEntry{}
	launched := []provisioner.Instance{{ID: "i-1"}}
	c.put("tok", launched, clock.Now())
	c.put("", launched, clock.Now())
	if got, ok := c.get("tok", clock.Now()); !ok || len(got) != 1 {
		t.Errorf("get(tok) = %v, %v; want the launched instance", got, ok)
	}
	if _, ok := c.get("", clock.Now()); ok {
		t.Errorf("get of the empty token hit, want a miss")
	}
	clock.Advance(TokenTTL)
	if got, ok := c.get("tok", clock.Now()); ok {
		t.Errorf("get(tok) after %v = %v, want a miss", TokenTTL, got)
	}
	c.put("other", nil, clock.Now())
	if len(c.entries) != 1 {
		t.Errorf("%d tokens kept, want the expired one forgotten", len(c.entries))
	}
}

func TestFleetInputOffersTheAlternatives(t *testing.T) {
	f := New(stackTemplates(), Options{Stack: "prod", LaunchTemplateName: "tanda-prod"})
	ce := computeEnvironment("spot", "SPOT", "SPOT_PRICE_CAPACITY_OPTIMIZED", nil)
	ce.ComputeResources.Subnets = []string{"subnet-a", "subnet-b"}
	c6ilarge := provisioner.InstanceType{Name: "c6i.large", Family: "c6i", VCPUs: 2, MemoryMiB: 4096, PricePerHour: 0.085}
	req := provisioner.LaunchRequest{CE: ce, Items: []provisioner.LaunchItem{
		{Type: m5large, Count: 2, Alternatives: []provisioner.InstanceType{m5large, c6ilarge}},
	}}
	in, err := fleetInputOf(f, req)
	if err != nil {
		t.Fatal(err)
	}
	var overrides []string
	for _, o := range in.LaunchTemplateConfigs[0].Overrides {
		overrides = append(overrides, string(o.InstanceType)+"/"+aws.ToString(o.SubnetId))
	}
	want := []string{"m5.large/subnet-a", "m5.large/subnet-b", "c6i.large/subnet-a", "c6i.large/subnet-b"}
	if !slices.Equal(overrides, want) {
		t.Errorf("overrides %v, want %v", overrides, want)
	}
	if n := aws.ToInt32(in.TargetCapacitySpecification.TotalTargetCapacity); n != 2 {
		t.Errorf("target capacity %d, want the 2 instances asked for", n)
	}

	// Many alternatives in many subnets stop at CreateFleet's 300 overrides.
	var many []provisioner.InstanceType
	for i := range 40 {
		many = append(many, provisioner.InstanceType{Name: fmt.Sprintf("x%d.large", i), Family: "x", VCPUs: 2, MemoryMiB: 4096})
	}
	ce.ComputeResources.Subnets = []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"}
	in, err = fleetInputOf(f, provisioner.LaunchRequest{CE: ce, Items: []provisioner.LaunchItem{{Type: many[0], Count: 1, Alternatives: many}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(in.LaunchTemplateConfigs[0].Overrides); n > maxOverrides || n < maxOverrides-8 {
		t.Errorf("%d overrides, want as many as fit in %d", n, maxOverrides)
	}
}

func TestLaunchedAlternativesNeedNoDescribing(t *testing.T) {
	f := New(nil, Options{Stack: "prod", LaunchTemplateName: "tanda-prod"}) // no EC2: a describe would panic
	c6ilarge := provisioner.InstanceType{Name: "c6i.large", Family: "c6i", VCPUs: 2, MemoryMiB: 4096}
	req := provisioner.LaunchRequest{CE: computeEnvironment("spot", "SPOT", "SPOT_CAPACITY_OPTIMIZED", nil), Items: []provisioner.LaunchItem{
		{Type: m5large, Count: 1, Alternatives: []provisioner.InstanceType{m5large, c6ilarge}},
	}}
	out := &ec2.CreateFleetOutput{Instances: []ec2types.CreateFleetInstance{{InstanceType: "c6i.large", InstanceIds: []string{"i-1"}}}}
	got, err := f.launched(context.Background(), req, out, time.Now())
	if err != nil || len(got) != 1 || got[0].Type != "c6i.large" || got[0].VCPUs != 2 || got[0].MemoryMiB != 4096 {
		t.Errorf("launched %+v, %v; want the alternative with its capacity", got, err)
	}
}
