package provisioner

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// ordered reports whether the strategy tries instanceTypes in list order.
func (p *planner) ordered() bool {
	return p.lim.strategy == StrategyBestFitProgressiveOrdered ||
		p.lim.strategy == StrategySpotCapacityOptimizedPrioritized
}

// byPrice sorts types by hourly price (Spot or On-Demand), the smaller
// first on a tie.
func byPrice(types []InstanceType, spot bool) []InstanceType {
	out := slices.Clone(types)
	slices.SortStableFunc(out, func(a, b InstanceType) int {
		return cmp.Or(cmp.Compare(a.price(spot), b.price(spot)), cmp.Compare(a.VCPUs, b.VCPUs), strings.Compare(a.Name, b.Name))
	})
	return out
}

// byValue sorts types by price per vCPU, the larger first on a tie: the
// order in which new instances are opened and filled.
func byValue(types []InstanceType, spot bool) []InstanceType {
	out := slices.Clone(types)
	slices.SortStableFunc(out, func(a, b InstanceType) int {
		return cmp.Or(cmp.Compare(a.price(spot)/a.VCPUs, b.price(spot)/b.VCPUs), cmp.Compare(b.VCPUs, a.VCPUs), strings.Compare(a.Name, b.Name))
	})
	return out
}

// unbounded holds any instance type.
var unbounded = resources{vcpus: math.Inf(1), mem: math.MaxInt64, gpus: math.MaxInt64}

// firstHolding is the first type in types that holds need, or nil. Work
// without GPUs goes onto a type without GPUs when one holds it, and onto
// a GPU type only when onGPU (see mayUseGPU).
func firstHolding(types []InstanceType, need resources, onGPU bool) *InstanceType {
	bound := unbounded
	if !onGPU {
		bound.gpus = 0
	}
	return firstBetween(types, need, bound)
}

// firstBetween is the first type in types that holds need and fits within
// bound, or nil; work without GPUs goes onto a type without GPUs when one
// does. It points into types, which plans scan per new instance: no copy.
func firstBetween(types []InstanceType, need, bound resources) *InstanceType {
	var gpuType *InstanceType
	for i := range types {
		t := &types[i]
		if c := t.capacity(); !c.holds(need) || !bound.holds(c) {
			continue
		}
		if t.GPUs == 0 || need.gpus > 0 {
			return t
		}
		if gpuType == nil {
			gpuType = t
		}
	}
	return gpuType
}

// findType is the type of types named name, or nil.
func findType(types []InstanceType, name string) *InstanceType {
	for i := range types {
		if types[i].Name == name {
			return &types[i]
		}
	}
	return nil
}

// mayUseGPU reports whether job j may take room on a GPU instance: GPU jobs
// and pinned jobs may, and other jobs only when no type without GPUs (with
// capacity) holds them, so CPU work neither grows nor keeps a GPU instance.
// Current instances and new ones follow the same rule.
func (p *planner) mayUseGPU(j Job) bool {
	if j.GPUs > 0 || j.InstanceType != "" {
		return true
	}
	for i := range p.avail {
		if t := &p.avail[i]; t.GPUs == 0 && t.capacity().holds(j.need()) {
			return false
		}
	}
	return true
}
