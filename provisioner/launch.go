package provisioner

import (
	"cmp"
	"slices"
)

// bin is a new instance being filled with waiting jobs.
type bin struct {
	typ   InstanceType
	used  resources
	jobs  int
	fixed bool // its type may not change: it holds a pinned job, or BEST_FIT chose it
}

// takes reports whether the bin has room for j; onGPU says whether j may
// use a GPU instance (see planner.mayUseGPU).
func (b bin) takes(j Job, onGPU bool) bool {
	if j.InstanceType != "" && (!b.fixed || b.typ.Name != j.InstanceType) {
		return false
	}
	if b.typ.GPUs > 0 && !onGPU {
		return false
	}
	return b.typ.capacity().holds(b.used.plus(j.need()))
}

// mayUseGPU reports whether job j may take room on a GPU instance: GPU jobs
// may, and jobs without GPUs only when no type without GPUs (with capacity)
// holds them, so CPU work neither grows nor keeps a GPU instance. Current
// instances and new ones follow the same rule, so that the next pass places
// the jobs where this one packed them.
func (p *planner) mayUseGPU(j Job) bool {
	if j.GPUs > 0 {
		return true
	}
	sh := shapeOf(j)
	ok, seen := p.gpuOK[sh]
	if !seen {
		ok = true
		for _, t := range p.avail {
			if t.GPUs == 0 && t.capacity().holds(j.need()) {
				ok = false
				break
			}
		}
		p.gpuOK[sh] = ok
	}
	return ok
}

// verdict is what a waiting job can expect from new capacity.
type verdict int

const (
	launchable verdict = iota
	misfit             // no allowed type fits: MISCONFIGURATION
	noOffer            // the types that fit have no capacity now
)

// ordered reports whether the strategy tries instanceTypes in list order.
func (p *planner) ordered() bool {
	return p.lim.strategy == StrategyBestFitProgressiveOrdered ||
		p.lim.strategy == StrategySpotCapacityOptimizedPrioritized
}

// byPrice sorts types by hourly price, the smaller first on a tie.
func byPrice(types []InstanceType) []InstanceType {
	out := slices.Clone(types)
	slices.SortStableFunc(out, func(a, b InstanceType) int {
		return cmp.Or(cmp.Compare(a.PricePerHour, b.PricePerHour), cmp.Compare(a.VCPUs, b.VCPUs), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// byValue sorts types by price per vCPU, the larger first on a tie: the
// order in which new instances are opened and filled.
func byValue(types []InstanceType) []InstanceType {
	out := slices.Clone(types)
	slices.SortStableFunc(out, func(a, b InstanceType) int {
		return cmp.Or(cmp.Compare(a.PricePerHour/a.VCPUs, b.PricePerHour/b.VCPUs), cmp.Compare(b.VCPUs, a.VCPUs), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// firstHolding is the first type in types that holds need. Work without
// GPUs goes onto a type without GPUs when one holds it.
func firstHolding(types []InstanceType, need resources) (InstanceType, bool) {
	var gpuType *InstanceType
	for i, t := range types {
		if !t.capacity().holds(need) {
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

// classify says whether new capacity could take job j, noting the types
// without capacity that keep it waiting.
func (p *planner) classify(j Job, allowedByPrice []InstanceType) verdict {
	need := j.need()
	var fitting []InstanceType
	switch {
	case j.InstanceType != "":
		if t, ok := findType(p.in.Types, j.InstanceType); ok && t.capacity().holds(need) {
			fitting = []InstanceType{t}
		}
	case p.lim.strategy == StrategyBestFit:
		// BEST_FIT waits for its type rather than switching to another.
		if t, ok := firstHolding(allowedByPrice, need); ok {
			fitting = []InstanceType{t}
		}
	default:
		for _, t := range p.in.Types {
			if t.capacity().holds(need) {
				fitting = append(fitting, t)
			}
		}
	}
	if len(fitting) == 0 {
		return misfit
	}
	for _, t := range fitting {
		if !p.in.Unavailable[t.Name] {
			return launchable
		}
	}
	for _, t := range fitting {
		p.noOfferTypes[t.Name] = true
	}
	return noOffer
}

// launchForDemand admits the jobs current instances cannot take, in
// dispatch order, up to maxvCpus, and packs them onto new instances.
func (p *planner) launchForDemand() {
	allowedByPrice := byPrice(p.in.Types)
	verdicts := map[shape]verdict{}
	budget := float64(p.lim.max) - p.kept
	var admitted []Job
	var admittedV float64
	for i, j := range p.in.Demand {
		if p.placed[i] {
			continue
		}
		sh := shapeOf(j)
		v, ok := verdicts[sh]
		if !ok {
			v = p.classify(j, allowedByPrice)
			verdicts[sh] = v
		}
		switch {
		case v == misfit:
			p.unplaceable = append(p.unplaceable, j.ID)
		case p.lim.noLaunch != "":
			p.waitDisabled++
		case v == noOffer:
			p.waitNoOffer++
		case p.lim.hardMax && admittedV+j.VCPUs > budget+epsilon,
			!p.lim.hardMax && admittedV >= budget-epsilon:
			p.waitCapacity++
		default:
			admitted = append(admitted, j)
			admittedV += j.VCPUs
		}
	}
	p.pack(admitted, allowedByPrice)
}

// pack fills new instances first-fit decreasing, shrinks each to the
// cheapest type that holds its jobs, and keeps those within maxvCpus.
func (p *planner) pack(jobs []Job, allowedByPrice []InstanceType) {
	if len(jobs) == 0 {
		return
	}
	availByPrice, availByValue := byPrice(p.avail), byValue(p.avail)
	var bins []bin
	start := map[shape]int{}
	for _, i := range byDecreasingSize(jobs) {
		j := jobs[i]
		sh := shapeOf(j)
		k := start[sh]
		onGPU := p.mayUseGPU(j)
		for k < len(bins) && !bins[k].takes(j, onGPU) {
			k++
		}
		start[sh] = k
		if k == len(bins) {
			bins = append(bins, p.open(j, allowedByPrice, availByValue))
		}
		bins[k].used = bins[k].used.plus(j.need())
		bins[k].jobs++
	}
	shrinkPool := availByPrice
	if p.ordered() {
		shrinkPool = p.avail
	}
	for _, b := range bins {
		if !b.fixed {
			b.typ = shrink(shrinkPool, b)
		}
		total := p.kept + p.launchedV
		if p.lim.hardMax && total+b.typ.VCPUs > float64(p.lim.max)+epsilon ||
			!p.lim.hardMax && total >= float64(p.lim.max)-epsilon {
			p.waitCapacity += b.jobs
			continue
		}
		p.demandBins = append(p.demandBins, b)
		p.launchedV += b.typ.VCPUs
		p.largestLaunch = max(p.largestLaunch, b.typ.VCPUs)
	}
}

// shrink picks the first type of pool that holds the bin's jobs and fits
// within the type it was filled for, in every dimension. Never growing a
// dimension keeps the packing stable: the next pass, placing the same jobs
// first-fit on the launched instances, finds each where this pass put it.
func shrink(pool []InstanceType, b bin) InstanceType {
	var within []InstanceType
	for _, t := range pool {
		if b.typ.capacity().holds(t.capacity()) {
			within = append(within, t)
		}
	}
	if t, ok := firstHolding(within, b.used); ok {
		return t
	}
	return b.typ
}

// open starts a new instance for job j, the largest job not yet packed.
// classify has made sure a type with capacity exists.
func (p *planner) open(j Job, allowedByPrice, availByValue []InstanceType) bin {
	need := j.need()
	var t InstanceType
	fixed := true
	switch {
	case j.InstanceType != "":
		t, _ = findType(p.avail, j.InstanceType)
	case p.lim.strategy == StrategyBestFit:
		t, _ = firstHolding(allowedByPrice, need)
	case p.ordered():
		t, _ = firstHolding(p.avail, need)
		fixed = false
	default:
		t, _ = firstHolding(availByValue, need)
		fixed = false
	}
	return bin{typ: t, fixed: fixed}
}

// keepFloor launches the cheapest instances that bring the capacity up to
// the floor (minvCpus), demand or not.
func (p *planner) keepFloor() {
	if p.lim.noLaunch != "" {
		return
	}
	pool := byValue(p.avail)
	if p.ordered() {
		pool = p.avail
	}
	cheapest := byPrice(p.avail)
	for deficit := float64(p.lim.floor) - p.kept - p.launchedV; deficit > epsilon; {
		t, ok := floorType(pool, cheapest, deficit)
		if !ok || p.lim.hardMax && p.kept+p.launchedV+t.VCPUs > float64(p.lim.max)+epsilon {
			return
		}
		p.floorTypes = append(p.floorTypes, t)
		p.launchedV += t.VCPUs
		p.largestLaunch = max(p.largestLaunch, t.VCPUs)
		deficit -= t.VCPUs
	}
}

// floorType picks the first type of pool that does not overshoot the
// deficit, or, when all would, the cheapest type.
func floorType(pool, cheapest []InstanceType, deficit float64) (InstanceType, bool) {
	for _, t := range pool {
		if t.VCPUs <= deficit+epsilon {
			return t, true
		}
	}
	if len(cheapest) == 0 {
		return InstanceType{}, false
	}
	return cheapest[0], true
}
