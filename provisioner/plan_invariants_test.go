package provisioner

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// randomInput draws a compute environment with random limits, instances,
// loads and demand.
func randomInput(t *testing.T, rng *rand.Rand, iter int) PlanInput {
	t.Helper()
	kinds := []struct{ typ, strategy string }{
		{ResourceEC2, StrategyBestFit},
		{ResourceEC2, StrategyBestFitProgressive},
		{ResourceSpot, StrategySpotPriceCapacityOptimized},
		{ResourceEC2, StrategyBestFitProgressiveOrdered},
	}
	k := kinds[iter%len(kinds)]
	maxv := rng.IntN(300)
	ce := testCE("ce", k.typ, k.strategy, rng.IntN(maxv/4+1), maxv, "optimal", "g4dn")
	types, err := testCatalog.Expand(ce.ComputeResources.InstanceTypes)
	if err != nil {
		t.Fatalf("Expand: %v", err)
	}
	in := PlanInput{CE: ce, Types: types, Now: t0, Loads: map[string]Load{}, Unavailable: map[string]bool{}}
	for _, ty := range types {
		if rng.IntN(10) == 0 {
			in.Unavailable[ty.Name] = true
		}
	}
	for i := range rng.IntN(12) {
		ty := types[rng.IntN(len(types))]
		inst := instance(fmt.Sprintf("i-%d", i), ty.Name, time.Duration(rng.IntN(600)+1)*time.Second, InstanceRunning)
		in.Instances = append(in.Instances, inst)
		switch rng.IntN(4) {
		case 0: // not registered
		case 1: // idle
			in.Loads[inst.ID] = idleLoad(time.Duration(rng.IntN(200)) * time.Second)
		default: // busy
			used := float64(rng.IntN(int(inst.VCPUs)) + 1)
			in.Loads[inst.ID] = Load{UsedVCPUs: used, UsedMemoryMiB: int64(used) * 1024, RunningJobs: 1, LastBusyAt: t0,
				Draining: rng.IntN(8) == 0}
		}
	}
	for i := range rng.IntN(300) {
		j := Job{ID: fmt.Sprintf("j-%d", i), VCPUs: float64(rng.IntN(16)+1) / 2, MemoryMiB: int64(rng.IntN(32)+1) * 512}
		switch rng.IntN(20) {
		case 0:
			j.GPUs = 1
		case 1:
			j.InstanceType = types[rng.IntN(len(types))].Name
		}
		in.Demand = append(in.Demand, j)
	}
	return in
}

// keptvCpus sums the vCPUs of the instances a decision keeps as capacity.
func keptvCpus(in PlanInput, d Decision) float64 {
	var sum float64
	for _, inst := range in.Instances {
		load, registered := in.Loads[inst.ID]
		switch {
		case inst.State == InstanceTerminating, slices.Contains(d.Retire, inst.ID), load.Draining,
			!registered && in.Now.Sub(inst.LaunchedAt) > DefaultRegistrationTimeout:
			continue
		}
		sum += inst.VCPUs
	}
	return sum
}

// TestPlanInvariants checks, over random inputs, the guarantees of
// autoscalers.md G8/G9: never above maxvCpus by more than one instance (not
// at all for BEST_FIT On-Demand), never below minvCpus by retiring, never
// retiring a busy instance, and no double launch on the next pass, whatever
// the order in which the fleet lists the new instances and whether their
// agents registered meanwhile.
func TestPlanInvariants(t *testing.T) {
	for _, seed := range [][2]uint64{{7, 11}, {1, 2}} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { planInvariants(t, rand.New(rand.NewPCG(seed[0], seed[1]))) })
	}
}

func planInvariants(t *testing.T, rng *rand.Rand) {
	for iter := range 1000 {
		in := randomInput(t, rng, iter)
		d := Plan(in)
		cr := in.CE.ComputeResources
		minv, maxv := float64(*cr.MinvCpus), float64(*cr.MaxvCpus)
		hardMax := cr.AllocationStrategy == StrategyBestFit && cr.Type == ResourceEC2

		kept := keptvCpus(in, d)
		var launched, largest float64
		for _, it := range d.Launch {
			launched += it.Type.VCPUs * float64(it.Count)
			largest = max(largest, it.Type.VCPUs)
		}
		if launched > 0 {
			if hardMax && kept+launched > maxv {
				t.Fatalf("iter %d: BEST_FIT On-Demand kept %v + launched %v > maxvCpus %v\n%s", iter, kept, launched, maxv, d.Reason)
			}
			if !hardMax && kept+launched-largest >= maxv {
				t.Fatalf("iter %d: kept %v + launched %v exceeds maxvCpus %v by more than one instance (%v)\n%s",
					iter, kept, launched, maxv, largest, d.Reason)
			}
		}
		for _, id := range d.Retire {
			if in.Loads[id].RunningJobs > 0 && !in.Loads[id].Draining {
				t.Fatalf("iter %d: retired busy instance %s", iter, id)
			}
		}
		if d.DesiredvCpus < int(minv) {
			t.Fatalf("iter %d: DesiredvCpus %d < minvCpus %v", iter, d.DesiredvCpus, minv)
		}

		// The next pass sees the launches, in any order, some registered
		// already, and the retired instances gone: it must not launch for
		// the same jobs again.
		next := in
		next.Instances = nil
		next.Loads = maps.Clone(in.Loads)
		for _, inst := range in.Instances {
			if !slices.Contains(d.Retire, inst.ID) {
				next.Instances = append(next.Instances, inst)
			}
		}
		n := 0
		for _, it := range d.Launch {
			for range it.Count {
				n++
				id := fmt.Sprintf("new-%d", rng.IntN(1000000))
				next.Instances = append(next.Instances, Instance{ID: id, Type: it.Type.Name,
					VCPUs: it.Type.VCPUs, MemoryMiB: it.Type.MemoryMiB, GPUs: it.Type.GPUs, LaunchedAt: t0, State: InstancePending})
				if rng.IntN(2) == 0 {
					next.Loads[id] = Load{}
				}
			}
		}
		rng.Shuffle(len(next.Instances), func(a, b int) {
			next.Instances[a], next.Instances[b] = next.Instances[b], next.Instances[a]
		})
		// A second launch is only allowed for jobs the first left waiting
		// (room under maxvCpus that a retirement freed, or that BEST_FIT's
		// instance granularity left), and must then serve some of them.
		if again := Plan(next); len(again.Launch) > 0 && (d.Waiting == 0 || again.Waiting >= d.Waiting) {
			t.Fatalf("iter %d: second pass launches %v after %v\nfirst: %s\nsecond: %s",
				iter, launchList(again.Launch), launchList(d.Launch), d.Reason, again.Reason)
		}
	}
}

// TestPlanKeepsCPUWorkOffGPUTypes: even when a GPU type is the cheapest per
// vCPU, jobs without GPUs go onto types without GPUs.
func TestPlanKeepsCPUWorkOffGPUTypes(t *testing.T) {
	types := []InstanceType{
		{Name: "gpu.big", Family: "gpu", Arch: ArchX86, VCPUs: 64, MemoryMiB: 262144, GPUs: 4, PricePerHour: 1},
		{Name: "cpu.small", Family: "cpu", Arch: ArchX86, VCPUs: 4, MemoryMiB: 8192, PricePerHour: 0.2},
	}
	in := PlanInput{
		CE: progressive(0, 256), Types: types, Now: t0,
		Demand: append(jobsOf(2, "cpu", 2, 1024, 0), jobsOf(1, "gpu", 2, 1024, 1)...),
	}
	d := Plan(in)
	want := []string{"1 x gpu.big", "1 x cpu.small"}
	if got := launchList(d.Launch); !slices.Equal(got, want) {
		t.Errorf("Launch = %v, want %v (%s)", got, want, d.Reason)
	}
}

// TestPlanKeepsCPUWorkOffGPUTypesWhenSmallTypesHaveNone: a job without GPUs
// whose packing bound only its own small type and a GPU type meet, while
// that small type has no capacity, waits for it (PackingPatience), then
// goes onto a larger type without GPUs; never onto the GPU type, where it
// could not be placed and the planner would launch one more every pass.
func TestPlanKeepsCPUWorkOffGPUTypesWhenSmallTypesHaveNone(t *testing.T) {
	types := []InstanceType{
		{Name: "gpu.xlarge", Family: "gpu", Arch: ArchX86, VCPUs: 4, MemoryMiB: 16384, GPUs: 1, PricePerHour: 0.5},
		{Name: "mem.large", Family: "mem", Arch: ArchX86, VCPUs: 2, MemoryMiB: 16384, PricePerHour: 0.1},
		{Name: "cpu.2xlarge", Family: "cpu", Arch: ArchX86, VCPUs: 8, MemoryMiB: 16384, PricePerHour: 0.3},
	}
	job := jobsOf(1, "cpu", 1.5, 15360, 0)
	in := PlanInput{CE: progressive(0, 256), Types: types, Now: t0, Unavailable: map[string]bool{"mem.large": true}, Demand: job}
	if d := Plan(in); len(d.Launch) > 0 || d.Waiting != 1 {
		t.Fatalf("before PackingPatience: Launch = %v, Waiting = %d, want nothing launched and the job waiting (%s)",
			launchList(d.Launch), d.Waiting, d.Reason)
	}

	job[0].RunnableSince = t0.Add(-PackingPatience)
	d := Plan(in)
	if want := []string{"1 x cpu.2xlarge"}; !slices.Equal(launchList(d.Launch), want) {
		t.Fatalf("after PackingPatience: Launch = %v, want %v (%s)", launchList(d.Launch), want, d.Reason)
	}
	next := in
	next.Instances = []Instance{{ID: "i-1", Type: "cpu.2xlarge", VCPUs: 8, MemoryMiB: 16384, LaunchedAt: t0, State: InstancePending}}
	if again := Plan(next); len(again.Launch) > 0 || again.Waiting > 0 {
		t.Errorf("second pass launches %v, %d waiting (%s)", launchList(again.Launch), again.Waiting, again.Reason)
	}
}

// TestPlanDeletingRetiresEverythingIdle: a compute environment being deleted
// keeps nothing for minvCpus.
func TestPlanDeletingRetiresEverythingIdle(t *testing.T) {
	ce := progressive(4, 64)
	ce.Status = batch.StatusDeleting
	d := planFor(t, PlanInput{CE: ce,
		Instances: []Instance{instance("i-a", "c6i.xlarge", time.Hour, InstanceRunning)},
		Loads:     map[string]Load{"i-a": idleLoad(time.Hour)}})
	if !slices.Equal(d.Retire, []string{"i-a"}) || len(d.Launch) > 0 {
		t.Errorf("Retire = %v, Launch = %v; want [i-a] and nothing (%s)", d.Retire, launchList(d.Launch), d.Reason)
	}
}

// TestPlanRunsJobsOnWarmCapacity: instances no larger than minvCpus are
// the warm capacity a user keeps so that jobs start at once; a small job
// goes onto an idle one there rather than waiting for an instance of its
// own size, while above minvCpus the packing rule holds.
func TestPlanRunsJobsOnWarmCapacity(t *testing.T) {
	for _, c := range []struct {
		name   string
		minv   int
		launch bool
	}{
		{"an idle c6i.4xlarge within minvCpus 16 takes a 1-vCPU job", 16, false},
		{"with minvCpus 0 it does not: a small instance is launched", 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			types, err := testCatalog.Expand([]string{"c6i"})
			if err != nil {
				t.Fatal(err)
			}
			in := PlanInput{
				CE: progressive(c.minv, 64, "c6i"), Types: types, Now: t0,
				Instances: []Instance{instance("i-warm", "c6i.4xlarge", time.Hour, InstanceRunning)},
				Loads:     map[string]Load{"i-warm": idleLoad(time.Hour)},
				Demand:    jobsOf(1, "small", 1, 1024, 0),
			}
			d := Plan(in)
			if launched := len(d.Launch) > 0; launched != c.launch {
				t.Errorf("Launch = %v, want a launch: %v (%s)", launchList(d.Launch), c.launch, d.Reason)
			}
			if got := NewPacking(types).WithFloor(c.minv).Takes(16, 1, 1024, 0, 0); got != !c.launch {
				t.Errorf("an agent on the c6i.4xlarge takes the job: %v, want %v", got, !c.launch)
			}
		})
	}
}
