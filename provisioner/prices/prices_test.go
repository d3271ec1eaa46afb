package prices_test

import (
	"math"
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/provisioner/prices"
)

func it(name, family string, vcpus float64, gpus int64) provisioner.InstanceType {
	return provisioner.InstanceType{Name: name, Family: family, Arch: provisioner.ArchX86, VCPUs: vcpus, MemoryMiB: 1024, GPUs: gpus}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestListPricesFromTheTable(t *testing.T) {
	p, ok := prices.OnDemand("us-east-1", "c5.large")
	if !ok || !near(p, 0.085) {
		t.Errorf("c5.large in us-east-1 = %v, %v; want the list price 0.085", p, ok)
	}
	if _, ok := prices.OnDemand("us-east-1", "c5.huge"); ok {
		t.Error("an unknown type has a list price")
	}
	got := prices.Apply("us-east-1", []provisioner.InstanceType{it("c5.large", "c5", 2, 0), it("m5.xlarge", "m5", 4, 0)})
	for _, ty := range got {
		want, _ := prices.OnDemand("us-east-1", ty.Name)
		if ty.PriceEstimated || !near(ty.PricePerHour, want) {
			t.Errorf("%s: %v (estimated %v), want the list price %v", ty.Name, ty.PricePerHour, ty.PriceEstimated, want)
		}
	}
}

func TestEstimates(t *testing.T) {
	c5large, _ := prices.OnDemand("us-east-1", "c5.large")
	types := []provisioner.InstanceType{
		it("c5.large", "c5", 2, 0),
		it("c5.future", "c5", 8, 0),    // a size the table does not list
		it("zz9.large", "zz9", 2, 0),   // a family it does not know
		it("zz9g.large", "zz9g", 4, 1), // nor this GPU family
		it("g5.xlarge", "g5", 4, 1),
	}
	got := prices.Apply("us-east-1", types)
	byName := map[string]provisioner.InstanceType{}
	for _, ty := range got {
		byName[ty.Name] = ty
	}
	if ty := byName["c5.future"]; !ty.PriceEstimated || !near(ty.PricePerHour, c5large/2*8) {
		t.Errorf("c5.future = %v (estimated %v), want c5's price per vCPU times 8 = %v", ty.PricePerHour, ty.PriceEstimated, c5large/2*8)
	}
	if ty := byName["zz9.large"]; !ty.PriceEstimated || ty.PricePerHour <= 0 {
		t.Errorf("zz9.large = %v (estimated %v), want a positive estimate", ty.PricePerHour, ty.PriceEstimated)
	}
	if g, cpu := byName["zz9g.large"].PricePerHour/4, byName["zz9.large"].PricePerHour/2; g <= cpu {
		t.Errorf("an unknown GPU type (%v per vCPU) is estimated no dearer than an unknown CPU type (%v per vCPU)", g, cpu)
	}
	if got := prices.Estimated(got); len(got) != 3 {
		t.Errorf("Estimated = %v, want the three types the table lacks", got)
	}

	elsewhere := prices.Apply("eu-west-3", types[:1])
	if ty := elsewhere[0]; !ty.PriceEstimated || !near(ty.PricePerHour, c5large) {
		t.Errorf("c5.large in a region the table does not cover = %v (estimated %v), want us-east-1's price, flagged", ty.PricePerHour, ty.PriceEstimated)
	}
	if gov := prices.Apply("us-gov-west-1", types[:1]); gov[0].PriceEstimated {
		t.Error("a GovCloud price the table lists is flagged as an estimate")
	}
}

func TestListedPricesComeBeforeTheTable(t *testing.T) {
	m5xlarge, _ := prices.OnDemand("us-east-1", "m5.xlarge")
	types := []provisioner.InstanceType{
		it("c5.large", "c5", 2, 0),
		it("m5.xlarge", "m5", 4, 0),  // the table's price: the API did not list it
		it("c5.future", "c5", 8, 0),  // neither lists it
		it("zz9.large", "zz9", 2, 0), // a family only the API knows
	}
	listed := map[string]float64{"c5.large": 0.1, "zz9.large": 0.5, "gone.large": 0.2, "zero.large": 0}

	tests := []struct {
		region    string
		want      map[string]float64
		estimated []string
	}{
		{"us-east-1",
			map[string]float64{"c5.large": 0.1, "m5.xlarge": m5xlarge, "c5.future": 0.1 / 2 * 8, "zz9.large": 0.5}, // c5.large's listed price per vCPU
			[]string{"c5.future"}},
		{"eu-west-3", // the table does not cover it: the estimates come from the listed prices
			map[string]float64{"c5.large": 0.1, "c5.future": 0.1 / 2 * 8, "zz9.large": 0.5},
			[]string{"m5.xlarge", "c5.future"}},
	}
	for _, tt := range tests {
		t.Run(tt.region, func(t *testing.T) {
			got := prices.ApplyListed(tt.region, types, listed)
			for _, ty := range got {
				if want, ok := tt.want[ty.Name]; ok && !near(ty.PricePerHour, want) {
					t.Errorf("%s = %v, want %v", ty.Name, ty.PricePerHour, want)
				}
				if ty.PricePerHour <= 0 {
					t.Errorf("%s has no price", ty.Name)
				}
			}
			if est := prices.Estimated(got); !slices.Equal(est, tt.estimated) {
				t.Errorf("estimated %v, want %v", est, tt.estimated)
			}
		})
	}

	if got, want := prices.ApplyListed("us-east-1", types, nil), prices.Apply("us-east-1", types); !slices.Equal(got, want) {
		t.Errorf("with nothing listed: %+v, want Apply's %+v", got, want)
	}
}
