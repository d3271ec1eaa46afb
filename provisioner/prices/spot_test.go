package prices_test

import (
	"testing"

	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/provisioner/ec2shapes"
	"github.com/tanda-batch/tanda/provisioner/prices"
)

func TestSpotPricesFromTheAdvisorsSavings(t *testing.T) {
	a, ok := prices.SpotAdvice("us-east-1", "m5.large")
	if !ok || a.Savings <= 0 || a.Savings >= 100 || a.Interruption < 0 || a.Interruption > 4 {
		t.Fatalf("m5.large's advice = %+v, %v", a, ok)
	}
	m5 := it("m5.large", "m5", 2, 0)
	m5.PricePerHour, _ = prices.OnDemand("us-east-1", "m5.large")
	noSpot := it("p9.huge", "p9", 8, 1)
	noSpot.PricePerHour, noSpot.NoSpot = 9, true
	unpriced := it("c5.unpriced", "c5", 2, 0)
	got := prices.SpotPrices("us-east-1", []provisioner.InstanceType{m5, noSpot, unpriced})
	s, ok := got["m5.large"]
	if want := m5.PricePerHour * (1 - float64(a.Savings)/100); !ok || s.Estimated || !near(s.USD, want) || s.Savings != float64(a.Savings) {
		t.Errorf("m5.large at Spot = %+v, want $%v (On-Demand less the Advisor's %d%%)", s, want, a.Savings)
	}
	if _, ok := got["p9.huge"]; ok {
		t.Error("a type without a Spot offering has a Spot price")
	}
	if _, ok := got["c5.unpriced"]; ok {
		t.Error("a type without a price has a Spot price")
	}
}

func TestSpotSavingsEstimates(t *testing.T) {
	types := []provisioner.InstanceType{
		it("c5.large", "c5", 2, 0),
		it("c5.future", "c5", 8, 0),    // a size the Advisor does not list
		it("zz9.large", "zz9", 2, 0),   // a family it does not know
		it("zz9g.large", "zz9g", 4, 1), // nor this GPU family
		it("g5.xlarge", "g5", 4, 1),
	}
	types = prices.Apply("us-east-1", types)
	got := prices.SpotPrices("us-east-1", types)
	c5, _ := prices.SpotAdvice("us-east-1", "c5.large")
	if s := got["c5.large"]; s.Estimated {
		t.Errorf("c5.large's saving is flagged as an estimate: %+v", s)
	}
	if s := got["c5.future"]; !s.Estimated || s.Savings <= 0 || s.USD >= types[1].PricePerHour {
		t.Errorf("c5.future = %+v, want an estimated saving from c5's (c5.large: %d%%)", s, c5.Savings)
	}
	g5, _ := prices.SpotAdvice("us-east-1", "g5.xlarge")
	if s := got["zz9g.large"]; !s.Estimated || s.Savings != float64(g5.Savings) {
		t.Errorf("zz9g.large = %+v, want the median saving of the GPU types given (g5.xlarge alone: %d%%)", s, g5.Savings)
	}
	if s := got["zz9.large"]; !s.Estimated || s.Savings != float64(c5.Savings) {
		t.Errorf("zz9.large = %+v, want the median saving of the CPU types given (c5.large alone: %d%%)", s, c5.Savings)
	}
	elsewhere := prices.SpotPrices("eu-west-3", types[:1])
	if s := elsewhere["c5.large"]; !s.Estimated || s.Savings != float64(c5.Savings) {
		t.Errorf("c5.large in a region the Advisor's table does not cover = %+v, want us-east-1's saving, flagged", s)
	}
}

// Every type with an On-Demand price in us-east-1 that EC2 offers as Spot
// has a Spot price, and most of them the Advisor's own.
func TestTheShippedSpotDataCoversThePricedTypes(t *testing.T) {
	shapes, err := ec2shapes.Types()
	if err != nil {
		t.Fatal(err)
	}
	types := prices.Apply("us-east-1", shapes)
	spot := prices.SpotPrices("us-east-1", types)
	priced, advised := 0, 0
	for _, ty := range types {
		if _, listed := prices.OnDemand("us-east-1", ty.Name); !listed || ty.NoSpot {
			continue
		}
		priced++
		s, ok := spot[ty.Name]
		if !ok || s.USD <= 0 || s.USD > ty.PricePerHour {
			t.Errorf("%s: Spot price %+v, want one within its On-Demand price %v", ty.Name, s, ty.PricePerHour)
			continue
		}
		if !s.Estimated {
			advised++
		}
	}
	if priced < 1000 || advised < 850 {
		t.Errorf("%d of the %d priced Spot types have the Advisor's saving; want over 850 of over 1,000", advised, priced)
	}
	t.Logf("%d priced Spot types, %d with the Advisor's saving, %d estimated", priced, advised, priced-advised)
	// The families the simulations use are all the Advisor's.
	cat, err := provisioner.NewCatalog(types)
	if err != nil {
		t.Fatal(err)
	}
	used, err := cat.ExpandFor([]string{"optimal", "g4dn", "g5", "g6", "p4d"}, provisioner.ResourceSpot)
	if err != nil {
		t.Fatal(err)
	}
	for _, ty := range used {
		if s := spot[ty.Name]; s.Estimated {
			t.Errorf("%s's Spot saving is estimated", ty.Name)
		}
	}
}
