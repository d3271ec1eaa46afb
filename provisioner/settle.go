package provisioner

import "slices"

// maxSettleRounds bounds how often a plan repacks the jobs that its own
// launches, placed as the next pass will place them, would leave waiting.
const maxSettleRounds = 2

// settle places the demand as the next pass will, on the instances kept
// and launched, and packs again the jobs given capacity that this would
// leave waiting (first fit is sensitive to order, so packing and placement
// may differ); it then counts the jobs that still wait, and why.
func (p *planner) settle() {
	placed := p.placed
	for round := 1; p.lim.noLaunch == "" && p.nLaunched > 0; round++ {
		placed = p.simulate()
		left := make([]bool, len(p.in.Demand))
		n := 0
		for i := range left {
			given := p.admitted[i] || p.placed[i] && p.verdict(p.classOf[i]) == launchable
			if given && !placed[i] {
				left[i] = true
				n++
			}
		}
		if n == 0 || round == maxSettleRounds {
			break
		}
		before := p.nLaunched
		p.accept(p.pack(left))
		if p.nLaunched == before {
			break
		}
	}
	for i, j := range p.in.Demand {
		if placed[i] {
			continue
		}
		switch v := p.verdict(p.classOf[i]); {
		case v == misfit:
			p.unplaceable = append(p.unplaceable, j.ID)
		case p.lim.noLaunch != "":
			p.waitDisabled++
		case v == noOffer:
			p.waitNoOffer++
		default:
			p.waitCapacity++
		}
	}
}

// simulate places the demand on the instances kept and launched, in the
// canonical order, as the next pass will see them.
func (p *planner) simulate() []bool {
	sim := make([]slot, 0, len(p.slots)+p.nLaunched)
	for _, s := range p.slots {
		if !s.retired {
			s.free = s.initFree
			sim = append(sim, s)
		}
	}
	for _, it := range append(slices.Clone(p.demandItems), p.floorItems...) {
		t := it.Type
		inst := Instance{Type: t.Name, VCPUs: t.VCPUs, MemoryMiB: t.MemoryMiB, GPUs: t.GPUs, LaunchedAt: p.in.Now}
		for range it.Count {
			sim = append(sim, slot{inst: inst, initFree: t.capacity(), free: t.capacity()})
		}
	}
	slices.SortFunc(sim, canonical)
	placed, _ := p.firstFit(sim)
	return placed
}
