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

// firstHolding is the first type in types that holds need. Work without
// GPUs goes onto a type without GPUs when one holds it.
func firstHolding(types []InstanceType, need resources) (InstanceType, bool) {
	return firstBetween(types, need, unbounded)
}

// firstBetween is the first type in types that holds need and fits within
// bound; work without GPUs goes onto a type without GPUs when one does.
func firstBetween(types []InstanceType, need, bound resources) (InstanceType, bool) {
	var gpuType *InstanceType
	for i, t := range types {
		if !t.capacity().holds(need) || !bound.holds(t.capacity()) {
			continue
		}
		if t.GPUs == 0 || need.gpus > 0 {
			return t, true
		}
		if gpuType == nil {
			gpuType = &types[i]
		}
	}
	if gpuType != nil {
		return *gpuType, true
	}
	return InstanceType{}, false
}

func findType(types []InstanceType, name string) (InstanceType, bool) {
	for _, t := range types {
		if t.Name == name {
			return t, true
		}
	}
	return InstanceType{}, false
}

// mayUseGPU reports whether job j may take room on a GPU instance: GPU jobs
// and pinned jobs may, and other jobs only when no type without GPUs (with
// capacity) holds them, so CPU work neither grows nor keeps a GPU instance.
// Current instances and new ones follow the same rule.
func (p *planner) mayUseGPU(j Job) bool {
	if j.GPUs > 0 || j.InstanceType != "" {
		return true
	}
	for _, t := range p.avail {
		if t.GPUs == 0 && t.capacity().holds(j.need()) {
			return false
		}
	}
	return true
}
