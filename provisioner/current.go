package provisioner

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// slot is an instance as capacity: current, or about to be launched.
type slot struct {
	inst       Instance
	registered bool
	busy       bool // runs jobs
	idleFor    time.Duration
	initFree   resources // free capacity as observed
	free       resources // free capacity left by a placement
	retired    bool
}

// canonical orders slots for placement: the largest first, then by type,
// launch time and id, none of which change between passes (unlike listing
// order or registration), so the next pass finds the jobs where this one
// placed them. Largest first because packing opens new instances for the
// largest jobs first: placing in that order puts the jobs where the packing
// put them, so a plan needs few settle rounds and launches no instance for
// jobs another instance took. The instances a pass launches are launched at
// or after its Now, so they come after the older ones of their type;
// launched together, they are empty and interchangeable, so their ids,
// unknown when planning, do not matter.
func canonical(a, b slot) int {
	return cmp.Or(
		cmp.Compare(b.inst.VCPUs, a.inst.VCPUs),
		strings.Compare(a.inst.Type, b.inst.Type),
		a.inst.LaunchedAt.Compare(b.inst.LaunchedAt),
		strings.Compare(a.inst.ID, b.inst.ID),
	)
}

// allows reports whether j may run on the instance, room aside: a pinned
// job only on its type, and a job without GPUs on a GPU instance only when
// onGPU (see planner.mayUseGPU).
func (s slot) allows(j Job, onGPU bool) bool {
	return (j.InstanceType == "" || j.InstanceType == s.inst.Type) && (s.inst.GPUs == 0 || onGPU)
}

// observe turns instances and loads into slots, and retires at once the
// instances whose agent never registered and idle draining ones. Draining
// instances are leaving: they are neither free nor kept capacity.
func (p *planner) observe() {
	for _, inst := range p.in.Instances {
		if inst.State == InstanceTerminating {
			continue
		}
		load, registered := p.in.Loads[inst.ID]
		switch {
		case !registered && p.in.Now.Sub(inst.LaunchedAt) > p.in.RegistrationTimeout:
			p.unregistered = append(p.unregistered, inst.ID)
			p.retire = append(p.retire, inst.ID)
		case registered && load.Draining:
			if load.RunningJobs == 0 {
				p.drainedIdle = append(p.drainedIdle, inst.ID)
				p.retire = append(p.retire, inst.ID)
			}
		default:
			s := slot{inst: inst, registered: registered, initFree: inst.capacity()}
			if registered {
				used := resources{vcpus: load.UsedVCPUs, mem: load.UsedMemoryMiB, gpus: load.UsedGPUs}
				s.initFree = s.initFree.minus(used)
				s.busy = load.RunningJobs > 0
				since := load.LastBusyAt
				if since.Before(inst.LaunchedAt) {
					since = inst.LaunchedAt
				}
				s.idleFor = p.in.Now.Sub(since)
			}
			s.free = s.initFree
			p.slots = append(p.slots, s)
			p.kept += inst.VCPUs
			p.freeBefore += s.initFree.vcpus
		}
	}
	slices.SortFunc(p.slots, canonical)
	for _, j := range p.in.Demand {
		p.demandV += j.VCPUs
	}
	p.order = byDecreasingSize(p.in.Demand)
	p.queue = make([]queued, len(p.order))
	for n, i := range p.order {
		c := p.classOf[i]
		j := &p.in.Demand[i]
		p.queue[n] = queued{job: i, class: c, need: j.need(), largest: p.classes[c].largest, opens: p.classes[c].opens,
			onGPU: p.classes[c].onGPU, pinned: j.InstanceType != ""}
	}
}

// queued is a job in placement order with what placing it needs, kept
// apart from the Job so that the placement loops, run several times per
// plan over every job, read one small record per job in sequence.
type queued struct {
	job     int // index in the demand
	class   int
	need    resources
	largest float64 // Packing's bound for its class
	opens   float64 // the bound on an instance launched for it
	onGPU   bool
	pinned  bool
}

// byDecreasingSize returns the demand's indices in placement order: the
// most constrained jobs first (pinned to a type, then needing GPUs), so that
// free jobs do not take their only room; within each, the largest first;
// jobs of equal size keep their dispatch order.
func byDecreasingSize(jobs []Job) []int {
	type key struct {
		constraint int
		need       resources
		index      int
	}
	keys := make([]key, len(jobs))
	for i, j := range jobs {
		k := key{constraint: 2, need: j.need(), index: i}
		switch {
		case j.InstanceType != "":
			k.constraint = 0
		case j.GPUs > 0:
			k.constraint = 1
		}
		keys[i] = k
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := cmp.Compare(a.constraint, b.constraint); c != 0 {
			return c
		}
		switch {
		case a.need.larger(b.need):
			return -1
		case b.need.larger(a.need):
			return 1
		}
		return cmp.Compare(a.index, b.index)
	})
	order := make([]int, len(jobs))
	for i, k := range keys {
		order[i] = k.index
	}
	return order
}

// firstFit places the demand, largest first, on the first slot with room,
// and reports which jobs found one. Free capacity only shrinks, so for each
// shape the search resumes where the previous job of that shape ended.
func (p *planner) firstFit(slots []slot) (placed []bool, n int) {
	placed = make([]bool, len(p.in.Demand))
	sizes := make([]float64, len(slots))
	for i, s := range slots {
		sizes[i] = s.inst.VCPUs
	}
	if p.scratch == nil {
		p.scratch = newFitIndex(len(slots))
	}
	index := p.scratch
	index.resetFor(sizes)
	for _, s := range slots {
		index.add(s.free, s.inst.VCPUs, s.inst.GPUs > 0)
	}
	index.build()
	start := make([]int, len(p.classes))
	var j Job
	var onGPU bool
	allows := func(k int) bool { return slots[k].allows(j, onGPU) } // one closure for all jobs
	for _, q := range p.queue {
		var pin func(int) bool // the GPU rule is the index's; a pin is checked here
		if q.pinned {
			j, onGPU, pin = p.in.Demand[q.job], q.onGPU, allows
		}
		k := index.first(start[q.class], q.need, q.largest, q.onGPU, pin)
		if k < 0 {
			start[q.class] = len(slots)
			continue
		}
		start[q.class] = k
		slots[k].free = slots[k].free.minus(q.need)
		index.set(k, slots[k].free)
		placed[q.job] = true
		n++
	}
	return placed, n
}

// placeOnCurrent places the waiting jobs on the free capacity of current
// instances, launching ones included, so that no capacity is launched twice.
// A compute environment that may not scale out (DISABLED, INVALID, being
// deleted) takes no new placements either: its jobs all wait.
func (p *planner) placeOnCurrent() {
	if p.lim.noLaunch != "" {
		p.placed = make([]bool, len(p.in.Demand))
		return
	}
	p.placed, p.nPlaced = p.firstFit(p.slots)
}

// retireIdle retires the instances idle past the grace period, most
// expensive first, keeping the floor. An instance that could take a waiting
// job is kept: its agent may be claiming one right now.
func (p *planner) retireIdle() {
	price := map[string]float64{}
	for _, t := range p.in.Types {
		price[t.Name] = t.price(p.spot())
	}
	var idle []*slot
	for i := range p.slots {
		s := &p.slots[i]
		if s.registered && !s.busy && s.idleFor > p.lim.grace && !p.couldTakeDemand(s) {
			idle = append(idle, s)
		}
	}
	slices.SortStableFunc(idle, func(a, b *slot) int {
		return cmp.Or(
			cmp.Compare(price[b.inst.Type], price[a.inst.Type]),
			cmp.Compare(b.inst.VCPUs, a.inst.VCPUs),
			strings.Compare(a.inst.ID, b.inst.ID),
		)
	})
	for _, s := range idle {
		if p.kept-s.inst.VCPUs < float64(p.lim.floor)-epsilon {
			p.keptForFloor = append(p.keptForFloor, s.inst.ID)
			continue
		}
		s.retired = true
		p.kept -= s.inst.VCPUs
		p.retire = append(p.retire, s.inst.ID)
		p.retiredIdle = append(p.retiredIdle, s.inst.ID)
		p.longestIdle = max(p.longestIdle, s.idleFor)
	}
}

// couldTakeDemand reports whether some waiting job fits the slot's
// observed free capacity.
func (p *planner) couldTakeDemand(s *slot) bool {
	if p.lim.noLaunch != "" {
		return false
	}
	for _, c := range p.classes {
		j := &p.in.Demand[c.first]
		if s.allows(*j, c.onGPU) && s.initFree.holds(j.need()) && s.inst.VCPUs <= c.largest+epsilon {
			return true
		}
	}
	return false
}
