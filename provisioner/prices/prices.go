// Package prices gives EC2 instance types their On-Demand prices, from a
// table generated from public list prices (data/ondemand.csv, with its
// source and date; go generate rebuilds ondemand_table.go from it), and
// estimates the prices the table does not know, so that every type can be
// ranked and the estimates can be told apart. Prices read at run time
// (the AWS Price List API's, see package infra/pricelist) take precedence
// over the table's (ApplyListed). It also gives their Spot prices as AWS's
// Spot Instance Advisor publishes them: a saving over the On-Demand price
// (data/spot_advisor.csv, rebuilt into spot_table.go).
package prices

//go:generate go run ./gen -in data/ondemand.csv -out ondemand_table.go
//go:generate go run ./gen -spot -in data/spot_advisor.csv -out spot_table.go

import (
	"maps"
	"slices"

	"github.com/tanda-batch/tanda/provisioner"
)

// fallbackRegion's prices stand in, as estimates, for a region the table
// does not cover.
const fallbackRegion = "us-east-1"

// OnDemand is the On-Demand list price of an instance type in a region, in
// USD per hour, and whether the table has it.
func OnDemand(region, instanceType string) (float64, bool) {
	p, ok := onDemand[region][instanceType]
	return p, ok
}

// Regions lists the regions the table covers.
func Regions() []string {
	out := make([]string, 0, len(onDemand))
	for r := range onDemand {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// Apply returns types priced for region. A type the region's table lists
// gets its list price. Any other gets an estimate, and PriceEstimated:
//   - in a region the table does not cover, the us-east-1 list price;
//   - otherwise its family's median price per vCPU in that table, times
//     its vCPUs;
//   - for a family the table does not know, the median price per vCPU of
//     the types of the same architecture, with or without GPUs as it has
//     them, times its vCPUs.
func Apply(region string, types []provisioner.InstanceType) []provisioner.InstanceType {
	table, covered := onDemand[region]
	if !covered {
		table = onDemand[fallbackRegion]
	}
	return apply(table, covered, types)
}

// ApplyListed is Apply with the list prices read at run time (listed, USD
// per hour by type, from the AWS Price List API) over the table's: a type
// listed gets that price, and is not an estimate; a type not listed gets
// the region's table price if the table has one, and is not an estimate
// either. The rest are estimated as Apply estimates, from the medians of
// the listed and table prices together, so that in a region the table
// does not cover the estimates follow that region's own prices. With
// nothing listed it is Apply.
func ApplyListed(region string, types []provisioner.InstanceType, listed map[string]float64) []provisioner.InstanceType {
	if len(listed) == 0 {
		return Apply(region, types)
	}
	table := make(map[string]float64, len(listed)+len(onDemand[region]))
	maps.Copy(table, onDemand[region])
	for name, p := range listed {
		if p > 0 {
			table[name] = p
		}
	}
	return apply(table, true, types)
}

// apply prices types from table; its prices are estimates unless covered
// (the table is the region's own).
func apply(table map[string]float64, covered bool, types []provisioner.InstanceType) []provisioner.InstanceType {
	est := newEstimator(table, types)
	out := slices.Clone(types)
	for i := range out {
		t := &out[i]
		if p, ok := table[t.Name]; ok {
			t.PricePerHour, t.PriceEstimated = p, !covered
			continue
		}
		t.PricePerHour, t.PriceEstimated = est.estimate(*t), true
	}
	return out
}

// Estimated lists the names of the types whose price is an estimate.
func Estimated(types []provisioner.InstanceType) []string {
	var out []string
	for _, t := range types {
		if t.PriceEstimated {
			out = append(out, t.Name)
		}
	}
	return out
}

// medians estimates a value for a type from known values: the median of
// its family's, else of its kind's, else of all of them.
type medians struct {
	byFamily map[string]float64
	byKind   map[kind]float64
	overall  float64
}

// kind groups types for the last resort estimate.
type kind struct {
	arch string
	gpu  bool
}

func kindOf(t provisioner.InstanceType) kind { return kind{t.Arch, t.GPUs > 0} }

func newMedians(family map[string][]float64, byKind map[kind][]float64, all []float64) medians {
	m := medians{byFamily: map[string]float64{}, byKind: map[kind]float64{}, overall: median(all)}
	for f, xs := range family {
		m.byFamily[f] = median(xs)
	}
	for k, xs := range byKind {
		m.byKind[k] = median(xs)
	}
	return m
}

func (m medians) of(t provisioner.InstanceType) float64 {
	if x, ok := m.byFamily[t.Family]; ok {
		return x
	}
	if x, ok := m.byKind[kindOf(t)]; ok {
		return x
	}
	return m.overall
}

// estimator prices types from the medians of known prices per vCPU.
type estimator struct{ perVCPU medians }

func newEstimator(table map[string]float64, types []provisioner.InstanceType) estimator {
	family := map[string][]float64{}
	byKind := map[kind][]float64{}
	var all []float64
	for _, t := range types {
		p, ok := table[t.Name]
		if !ok || t.VCPUs <= 0 {
			continue
		}
		perVCPU := p / t.VCPUs
		family[t.Family] = append(family[t.Family], perVCPU)
		byKind[kindOf(t)] = append(byKind[kindOf(t)], perVCPU)
		all = append(all, perVCPU)
	}
	return estimator{newMedians(family, byKind, all)}
}

func (e estimator) estimate(t provisioner.InstanceType) float64 { return e.perVCPU.of(t) * t.VCPUs }

// median of xs; 0 when empty.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
