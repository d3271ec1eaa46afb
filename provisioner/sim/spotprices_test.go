package sim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/provisioner"
)

func spotPrices(t *testing.T, csv string) *SpotPrices {
	t.Helper()
	p, err := ReadSpotPrices("test", strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The hand-computable trace of TestAHandComputableTrace in a SPOT compute
// environment is billed at the Spot price given, and in an EC2 one at the
// On-Demand price: the same instance-seconds, other dollars.
func TestSpotIsBilledAtTheSpotPrice(t *testing.T) {
	cat, trace := oneTypeCatalog(t), handTrace()
	billedHours := (1891.0 + 3691.0) / 3600 // as in TestAHandComputableTrace
	for _, tt := range []struct {
		crType                    string
		dollars, onDemand, oracle float64
	}{
		// t.large: 2 vCPUs, $0.10 On-Demand, $0.04 at Spot. The oracle:
		// 3 vCPU-hours at $0.02 or $0.05 a vCPU-hour.
		{"SPOT", 0.04 * billedHours, 0.10 * billedHours, 3 * 0.02},
		{"EC2", 0.10 * billedHours, 0.10 * billedHours, 3 * 0.05},
	} {
		t.Run(tt.crType, func(t *testing.T) {
			r, err := Run(context.Background(), trace, Config{
				Catalog: cat, BootMin: 30 * time.Second, BootMax: 30 * time.Second, IdleGrace: time.Minute,
				ComputeResources: &batch.ComputeResource{Type: tt.crType, InstanceTypes: []string{"t.large"}, MaxvCpus: new(8)},
				SpotPrices:       spotPrices(t, "t.large,0.04\n"),
			})
			if err != nil {
				t.Fatal(err)
			}
			if !near(r.BilledVCPUHours, 2*billedHours) || r.Launches != 2 {
				t.Fatalf("billed %v vCPU-h in %d launches, want %v in 2", r.BilledVCPUHours, r.Launches, 2*billedHours)
			}
			if !near(r.Dollars, tt.dollars) || !near(r.OnDemandDollars, tt.onDemand) || !near(r.OracleDollars, tt.oracle) {
				t.Errorf("cost $%v, at On-Demand $%v, oracle $%v; want $%v, $%v, $%v", r.Dollars, r.OnDemandDollars, r.OracleDollars, tt.dollars, tt.onDemand, tt.oracle)
			}
			if spot := tt.crType == "SPOT"; (r.SpotPrices != "") != spot {
				t.Errorf("Spot prices reported as %q for %s", r.SpotPrices, tt.crType)
			}
		})
	}
}

// orderCatalog has two types whose order by price per vCPU is the
// opposite at Spot and at On-Demand prices.
func orderCatalog(t *testing.T) (*provisioner.Catalog, *SpotPrices) {
	t.Helper()
	cat, err := provisioner.NewCatalog([]provisioner.InstanceType{
		// $0.040 a vCPU-hour On-Demand, $0.015 at Spot.
		{Name: "a.xlarge", Family: "a", Arch: provisioner.ArchX86, VCPUs: 4, MemoryMiB: 8192, PricePerHour: 0.16},
		// $0.035 a vCPU-hour On-Demand, $0.020 at Spot.
		{Name: "b.large", Family: "b", Arch: provisioner.ArchX86, VCPUs: 2, MemoryMiB: 4096, PricePerHour: 0.07},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cat, spotPrices(t, "instance_type,usd_per_hour\na.xlarge,0.06\nb.large,0.04\n")
}

// The provisioner in the simulator, batch-default and the static fleet buy
// the type cheapest per vCPU at the prices the compute environment pays:
// Spot prices for SPOT, On-Demand ones for EC2. Karpenter-like buys the
// cheapest node that holds its batch, at those prices too.
func TestThePlannerRanksSpotOfferingsBySpotPrices(t *testing.T) {
	cat, sp := orderCatalog(t)
	// Karpenter-like packs handTrace's two jobs onto one node of 4 vCPUs;
	// a node for one 2-vCPU job shows its choice: c.large is cheaper at
	// Spot prices, d.large at On-Demand ones.
	nodes, err := provisioner.NewCatalog([]provisioner.InstanceType{
		{Name: "c.large", Family: "c", Arch: provisioner.ArchX86, VCPUs: 2, MemoryMiB: 4096, PricePerHour: 0.10},
		{Name: "d.large", Family: "d", Arch: provisioner.ArchX86, VCPUs: 2, MemoryMiB: 4096, PricePerHour: 0.08},
	})
	if err != nil {
		t.Fatal(err)
	}
	nodePrices := spotPrices(t, "c.large,0.03\nd.large,0.05\n")
	oneJob := Trace{Jobs: []Job{{ID: "x", Run: time.Hour, VCPUs: 2, MemoryMiB: 2048}}}
	for _, tt := range []struct {
		crType, policy string
		want           string
		oracle         float64 // the vCPU-hours at the cheapest price per vCPU
	}{
		{"SPOT", PolicyTanda, "a.xlarge", 3 * 0.015},
		{"SPOT", PolicyBatchDefault, "a.xlarge", 3 * 0.015},
		{"SPOT", PolicyStatic, "a.xlarge", 3 * 0.015},
		{"SPOT", PolicyKarpenter, "c.large", 2 * 0.015},
		{"EC2", PolicyTanda, "b.large", 3 * 0.035},
		{"EC2", PolicyBatchDefault, "b.large", 3 * 0.035},
		{"EC2", PolicyStatic, "b.large", 3 * 0.035},
		{"EC2", PolicyKarpenter, "d.large", 2 * 0.04},
	} {
		t.Run(tt.crType+"/"+tt.policy, func(t *testing.T) {
			c, prices, trace, types := cat, sp, handTrace(), []string{"a.xlarge", "b.large"}
			if tt.policy == PolicyKarpenter {
				c, prices, trace, types = nodes, nodePrices, oneJob, []string{"c.large", "d.large"}
			}
			r, err := Run(context.Background(), trace, Config{
				Catalog: c, BootMin: 30 * time.Second, BootMax: 30 * time.Second, Policy: tt.policy, MachineVCPUs: 4,
				ComputeResources: &batch.ComputeResource{Type: tt.crType, InstanceTypes: types, MaxvCpus: new(8)},
				SpotPrices:       prices,
			})
			if err != nil {
				t.Fatal(err)
			}
			if r.Launches == 0 || r.LaunchedTypes[tt.want] != r.Launches {
				t.Errorf("launched %v, want only %s", r.LaunchedTypes, tt.want)
			}
			if !near(r.OracleDollars, tt.oracle) {
				t.Errorf("oracle $%v, want $%v", r.OracleDollars, tt.oracle)
			}
		})
	}
}

// Under a spot trace a Spot instance is billed at its zone's price, and
// ranked at the type's lowest among zones.
func TestSpotIsBilledAtItsZonesPrice(t *testing.T) {
	cat := oneTypeCatalog(t)
	always := []bool{true}
	r, err := Run(context.Background(), Trace{Jobs: []Job{{ID: "x", Run: time.Hour, VCPUs: 2, MemoryMiB: 2048}}}, Config{
		Catalog: cat, BootMin: 30 * time.Second, BootMax: 30 * time.Second, IdleGrace: time.Minute,
		ComputeResources: &batch.ComputeResource{Type: "SPOT", InstanceTypes: []string{"t.large"}, MaxvCpus: new(8)},
		// Launches go to the trace's zones in turn: the first to us-east-1a.
		Spot: &SpotTrace{Zones: []SpotZone{
			{Name: "us-east-1a_intel", Gap: time.Hour, Available: always},
			{Name: "us-east-1b_intel", Gap: time.Hour, Available: always},
		}},
		SpotPrices: spotPrices(t, "t.large,us-east-1a,0.05\nt.large,us-east-1b,0.02\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	// Launched at 0, ready at 30 s, idle at 3630 s, retired at 3691 s.
	hours := 3691.0 / 3600
	if r.Launches != 1 || !near(r.Dollars, 0.05*hours) || !near(r.OracleDollars, 2*0.01) {
		t.Errorf("%d launches, cost $%v, oracle $%v; want 1, $%v at us-east-1a's price, and $0.02 at the lowest", r.Launches, r.Dollars, r.OracleDollars, 0.05*hours)
	}
}

func TestReadSpotPrices(t *testing.T) {
	p := spotPrices(t, "# prices\ninstance_type,zone,usd_per_hour\nc5.large,us-east-1a,0.04\nc5.large,us-east-1b,0.03\nm5.large,0.05\n")
	for _, tt := range []struct {
		typ, zone string
		want      float64
		ok        bool
	}{
		{"c5.large", "us-east-1a", 0.04, true},
		{"c5.large", "us-east-1a_v100_1", 0.04, true}, // a spot trace's series
		{"c5.large", "us-east-1c", 0.03, true},        // a zone not given: the lowest
		{"c5.large", "", 0.03, true},
		{"m5.large", "us-east-1a", 0.05, true},
		{"r5.large", "", 0, false},
	} {
		if got, ok := p.price(tt.typ, tt.zone); ok != tt.ok || !near(got, tt.want) {
			t.Errorf("%s in %q = %v, %v; want %v, %v", tt.typ, tt.zone, got, ok, tt.want, tt.ok)
		}
	}
	ranked, err := p.SpotPrices(context.Background(), []string{"c5.large", "m5.large", "r5.large"})
	if err != nil || len(ranked) != 2 || !near(ranked["c5.large"], 0.03) || !near(ranked["m5.large"], 0.05) {
		t.Errorf("SpotPrices = %v, %v; want each priced type at its lowest", ranked, err)
	}
	for name, csv := range map[string]string{
		"nothing":   "# none\n",
		"no price":  "c5.large,cheap\n",
		"zero":      "c5.large,0\n",
		"negative":  "c5.large,-1\n",
		"twice":     "c5.large,0.1\nc5.large,0.2\n",
		"too many":  "c5.large,us-east-1a,x,0.1\n",
		"no type":   ",0.1\n",
		"no zone":   "c5.large,,0.1\n",
		"bad later": "c5.large,0.1\nm5.large,free\n",
	} {
		if _, err := ReadSpotPrices(name, strings.NewReader(csv)); err == nil {
			t.Errorf("%s: %q was read", name, csv)
		}
	}
}

// The shipped prices price every type of the default SPOT compute
// environment, below On-Demand, from the Advisor; an override replaces a
// type's price.
func TestShippedSpotPricesAndOverrides(t *testing.T) {
	cat, err := ec2Catalog()
	if err != nil {
		t.Fatal(err)
	}
	shipped := shippedSpotPrices(cat.Types())
	optimal, err := cat.ExpandFor([]string{"optimal"}, provisioner.ResourceSpot)
	if err != nil {
		t.Fatal(err)
	}
	for _, ty := range optimal {
		if usd, ok := shipped.price(ty.Name, ""); !ok || usd <= 0 || usd >= ty.PricePerHour || shipped.estimated[ty.Name] {
			t.Errorf("%s: Spot $%v (%v, estimated %v), On-Demand $%v", ty.Name, usd, ok, shipped.estimated[ty.Name], ty.PricePerHour)
		}
	}
	over := shipped.with(spotPrices(t, "c6i.large,us-east-1a,0.01\n"))
	if usd, _ := over.price("c6i.large", ""); !near(usd, 0.01) {
		t.Errorf("c6i.large overridden = $%v, want $0.01", usd)
	}
	if a, b := over.price("m6i.large", ""); a != must(shipped.price("m6i.large", "")) || !b {
		t.Error("a type the override does not name lost its shipped price")
	}
	if !strings.Contains(over.Source, "test") || !strings.Contains(over.Source, "Advisor") {
		t.Errorf("source %q, want both", over.Source)
	}
}

func must(f float64, ok bool) float64 {
	if !ok {
		return -1
	}
	return f
}
