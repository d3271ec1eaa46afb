package prices

import (
	"strings"

	"github.com/tanda-batch/tanda/provisioner"
)

// Advice is what AWS's Spot Instance Advisor published for an instance type
// in a region (Linux).
type Advice struct {
	// Savings is Spot's saving over the On-Demand price, in percent, over
	// the trailing 30 days and averaged across the region's zones.
	Savings int
	// Interruption is the band of the frequency of interruption: 0 (<5%),
	// 1 (5-10%), 2 (10-15%), 3 (15-20%) or 4 (>20% of Spot instances
	// reclaimed in the trailing month).
	Interruption int
}

// SpotAdvice is the Advisor's advice for an instance type in a region, and
// whether the table has it.
func SpotAdvice(region, instanceType string) (Advice, bool) {
	a, ok := spotAdvice[region][instanceType]
	return a, ok
}

// Spot is an instance type's Spot price.
type Spot struct {
	USD float64 // per hour
	// Savings is the saving over the On-Demand price it was computed
	// with, in percent.
	Savings float64
	// Estimated is set when the Advisor has no saving for the type in the
	// region and Savings is an estimate.
	Estimated bool
}

// SpotPrices prices at Spot the types EC2 offers as Spot: each type's
// On-Demand price (PricePerHour, as Apply sets it) less the Advisor's saving
// for it in region. That is the Spot price averaged over the Advisor's 30
// days and the region's zones, not a zone's price of the moment. A type the
// Advisor does not list gets an estimated saving:
//   - in a region the table does not cover, the us-east-1 saving;
//   - otherwise, the median saving of its family in the region;
//   - for a family the Advisor does not know, the median saving of the
//     types of the same architecture, with or without GPUs as it has
//     them, among types;
//   - otherwise the region's median saving.
//
// Types without a Spot offering or without a price are left out.
func SpotPrices(region string, types []provisioner.InstanceType) map[string]Spot {
	table, covered := spotAdvice[region]
	if !covered {
		table = spotAdvice[fallbackRegion]
	}
	est := spotSavings(table, types)
	out := make(map[string]Spot, len(types))
	for _, t := range types {
		if t.NoSpot || t.PricePerHour <= 0 {
			continue
		}
		s := Spot{Estimated: !covered}
		if a, ok := table[t.Name]; ok {
			s.Savings = float64(a.Savings)
		} else {
			s.Savings, s.Estimated = est.of(t), true
		}
		s.USD = t.PricePerHour * (1 - s.Savings/100)
		out[t.Name] = s
	}
	return out
}

// spotSavings estimates the savings the Advisor does not give from the
// medians of those it gives: families from the whole region's table, kinds
// from the types being priced (the table has no shapes).
func spotSavings(table map[string]Advice, types []provisioner.InstanceType) medians {
	family := map[string][]float64{}
	var all []float64
	for name, a := range table {
		f, _, _ := strings.Cut(name, ".")
		family[f] = append(family[f], float64(a.Savings))
		all = append(all, float64(a.Savings))
	}
	byKind := map[kind][]float64{}
	for _, t := range types {
		if a, ok := table[t.Name]; ok {
			byKind[kindOf(t)] = append(byKind[kindOf(t)], float64(a.Savings))
		}
	}
	return newMedians(family, byKind, all)
}
