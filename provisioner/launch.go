package provisioner

import "math"

// bin is a new instance being filled with waiting jobs.
type bin struct {
	typ   *InstanceType // in one of the planner's lists
	used  resources
	jobs  int
	fixed bool // its type may not change: it holds a pinned job, or BEST_FIT chose it
}

// allows reports whether j may join the bin, room aside: a pinned job only
// a bin fixed to its type, and a job without GPUs a GPU bin only when onGPU
// (see planner.mayUseGPU).
func (b bin) allows(j Job, onGPU bool) bool {
	return (j.InstanceType == "" || b.fixed && b.typ.Name == j.InstanceType) && (b.typ.GPUs == 0 || onGPU)
}

func (b bin) free() resources { return b.typ.capacity().minus(b.used) }

// verdict is what a waiting job can expect from new capacity.
type verdict int

const (
	launchable verdict = iota
	misfit             // no allowed type fits: MISCONFIGURATION
	noOffer            // the types that fit have no capacity now
)

// verdict says whether new capacity could take the jobs of shape class c,
// noting the types without capacity that keep them waiting.
func (p *planner) verdict(c int) verdict {
	class := &p.classes[c]
	if class.judged {
		return class.verdict
	}
	j := p.in.Demand[class.first]
	var candidates []InstanceType
	switch {
	case j.InstanceType != "":
		if t := findType(p.in.Types, j.InstanceType); t != nil {
			candidates = []InstanceType{*t}
		}
	case p.lim.strategy == StrategyBestFit:
		// BEST_FIT waits for its type rather than switching to another.
		if t := firstHolding(p.within(p.allowedByPrice, class.opens), j.need(), class.onGPU); t != nil {
			candidates = []InstanceType{*t}
		}
	default:
		candidates = p.within(p.in.Types, class.opens)
	}
	v := misfit
	var hidden []string
	for i := range candidates {
		t := &candidates[i]
		if !t.capacity().holds(j.need()) || t.GPUs > 0 && !class.onGPU {
			continue
		}
		if !p.in.Unavailable[t.Name] {
			v = launchable
			break
		}
		v = noOffer
		hidden = append(hidden, t.Name)
	}
	if v == noOffer {
		for _, name := range hidden {
			p.noOfferTypes[name] = true
		}
	}
	class.verdict, class.judged = v, true
	return v
}

// launchForDemand admits the jobs current instances cannot take, in
// dispatch order, up to maxvCpus, and packs them onto new instances.
func (p *planner) launchForDemand() {
	p.admitted = make([]bool, len(p.in.Demand))
	if p.lim.noLaunch != "" {
		return
	}
	budget := float64(p.lim.max) - p.kept
	var admittedV float64
	for i, j := range p.in.Demand {
		if p.placed[i] || p.verdict(p.classOf[i]) != launchable {
			continue
		}
		if p.lim.hardMax && admittedV+j.VCPUs > budget+epsilon || !p.lim.hardMax && admittedV >= budget-epsilon {
			continue
		}
		p.admitted[i] = true
		admittedV += j.VCPUs
	}
	p.accept(p.pack(p.admitted))
}

// pack fills new instances with the chosen jobs, first-fit decreasing, and
// shrinks each to the cheapest type that holds its jobs.
func (p *planner) pack(chosen []bool) []bin {
	var bins []bin
	index := newFitIndex(0)
	start := make([]int, len(p.classes))
	var j Job
	var onGPU bool
	allows := func(k int) bool { return bins[k].allows(j, onGPU) } // one closure for all jobs
	for _, q := range p.queue {
		if !chosen[q.job] {
			continue
		}
		var pin func(int) bool // the GPU rule is the index's; a pin is checked here
		if q.pinned {
			j, onGPU, pin = p.in.Demand[q.job], q.onGPU, allows
		}
		k := index.first(start[q.class], q.need, q.largest, q.onGPU, pin)
		start[q.class] = k
		if k < 0 {
			b := p.open(p.in.Demand[q.job], q.opens, q.onGPU)
			b.used, b.jobs = q.need, 1
			start[q.class] = len(bins)
			bins = append(bins, b)
			index.push(b.free(), b.typ.VCPUs, b.typ.GPUs > 0)
			continue
		}
		bins[k].used = bins[k].used.plus(q.need)
		bins[k].jobs++
		index.set(k, bins[k].free())
	}
	pool := p.availByPrice
	if p.ordered() {
		pool = p.avail
	}
	for i := range bins {
		if !bins[i].fixed {
			bins[i].typ = shrink(p.within(pool, bins[i].typ.VCPUs), bins[i])
		}
	}
	return bins
}

// open starts a new instance for job j, the largest job not yet packed,
// of at most largest vCPUs (Packing). verdict has made sure a type with
// capacity exists.
func (p *planner) open(j Job, largest float64, onGPU bool) bin {
	need := j.need()
	switch {
	case j.InstanceType != "":
		return bin{typ: findType(p.avail, j.InstanceType), fixed: true}
	case p.lim.strategy == StrategyBestFit:
		return bin{typ: firstHolding(p.within(p.allowedByPrice, largest), need, onGPU), fixed: true}
	case p.ordered():
		return bin{typ: firstHolding(p.within(p.avail, largest), need, onGPU)}
	}
	return bin{typ: firstHolding(p.within(p.availByValue, largest), need, onGPU)}
}

// within is the types of pool (one of the planner's lists) with at most
// largest vCPUs, in pool's order: computed once per pool and bound, since
// the jobs of a plan have few bounds (Packing) and many shapes.
func (p *planner) within(pool []InstanceType, largest float64) []InstanceType {
	if math.IsInf(largest, 1) || len(pool) == 0 {
		return pool
	}
	key := withinKey{first: &pool[0], n: len(pool), largest: largest}
	if out, ok := p.withinCache[key]; ok {
		return out
	}
	var out []InstanceType
	for _, t := range pool {
		if t.VCPUs <= largest+epsilon {
			out = append(out, t)
		}
	}
	if p.withinCache == nil {
		p.withinCache = map[withinKey][]InstanceType{}
	}
	p.withinCache[key] = out
	return out
}

// withinKey names a list of the planner's and a bound.
type withinKey struct {
	first   *InstanceType
	n       int
	largest float64
}

// shrink picks the first type of pool that holds the bin's jobs and fits
// within the type it was filled for, in every dimension.
func shrink(pool []InstanceType, b bin) *InstanceType {
	if t := firstBetween(pool, b.used, b.typ.capacity()); t != nil {
		return t
	}
	return b.typ
}

// accept launches the bins that stay within maxvCpus: the last one may
// exceed it by one instance, except with BEST_FIT On-Demand.
func (p *planner) accept(bins []bin) {
	for _, b := range bins {
		total := p.kept + p.launchedV
		if p.lim.hardMax && total+b.typ.VCPUs > float64(p.lim.max)+epsilon ||
			!p.lim.hardMax && total >= float64(p.lim.max)-epsilon {
			continue
		}
		p.demandItems = addItem(p.demandItems, *b.typ, 1)
		p.nLaunched++
		p.launchedV += b.typ.VCPUs
		p.largestLaunch = max(p.largestLaunch, b.typ.VCPUs)
	}
}

// keepFloor launches the cheapest instances that bring the capacity up to
// the floor (minvCpus), demand or not.
func (p *planner) keepFloor() {
	if p.lim.noLaunch != "" {
		return
	}
	pool := p.availByValue
	if p.ordered() {
		pool = p.avail
	}
	for deficit := float64(p.lim.floor) - p.kept - p.launchedV; deficit > epsilon; {
		t, ok := floorType(pool, p.availByPrice, deficit)
		if !ok || p.lim.hardMax && p.kept+p.launchedV+t.VCPUs > float64(p.lim.max)+epsilon {
			return
		}
		p.floorItems = addItem(p.floorItems, t, 1)
		p.nLaunched++
		p.launchedV += t.VCPUs
		p.largestLaunch = max(p.largestLaunch, t.VCPUs)
		deficit -= t.VCPUs
	}
}

// floorType picks the first type of pool that does not overshoot the
// deficit, or, when all would, the cheapest type.
func floorType(pool, cheapest []InstanceType, deficit float64) (InstanceType, bool) {
	for _, t := range pool {
		if t.VCPUs <= deficit+epsilon && t.GPUs == 0 {
			return t, true
		}
	}
	if len(cheapest) == 0 {
		return InstanceType{}, false
	}
	return cheapest[0], true
}
