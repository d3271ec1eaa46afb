package provisioner

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestPlanOfRunsIsThePlanOfTheJobs: the provisioner plans from the
// demand's runs (Observer.Demand), expanded, not from the jobs themselves;
// over random inputs the decision is the same but for the unplaceable
// jobs' ids, which runs do not carry (docs/RELIABILITY.md, defect 4).
func TestPlanOfRunsIsThePlanOfTheJobs(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	pool := []Job{{VCPUs: 1, MemoryMiB: 2048}, {VCPUs: 2, MemoryMiB: 4096}, {VCPUs: 0.5, MemoryMiB: 512}}
	since := []time.Duration{0, time.Second, PackingPatience - time.Millisecond, PackingPatience, PackingPatience + time.Millisecond, time.Hour}
	runs, jobs := 0, 0
	for iter := range 400 {
		in := randomInput(t, rng, iter)
		// Jobs come in stretches alike, as a backlog does, with other
		// jobs and other waits between them.
		for i := range in.Demand {
			j := &in.Demand[i]
			if i > 0 && j.InstanceType == "" && j.GPUs == 0 && rng.IntN(4) > 0 {
				prev := in.Demand[i-1]
				j.VCPUs, j.MemoryMiB, j.GPUs, j.InstanceType = prev.VCPUs, prev.MemoryMiB, prev.GPUs, prev.InstanceType
				if rng.IntN(8) > 0 {
					j.RunnableSince = prev.RunnableSince
					continue
				}
			} else if j.InstanceType == "" && j.GPUs == 0 && rng.IntN(2) == 0 {
				p := pool[rng.IntN(len(pool))]
				j.VCPUs, j.MemoryMiB = p.VCPUs, p.MemoryMiB
			}
			if s := since[rng.IntN(len(since))]; s > 0 {
				j.RunnableSince = in.Now.Add(-s)
			}
		}
		summary := RunsOf(in.Demand, in.Now.Add(-PackingPatience))
		runs, jobs = runs+len(summary), jobs+len(in.Demand)
		fromRuns := in
		fromRuns.Demand = expand(summary)
		want, got := Plan(in), Plan(fromRuns)
		if len(got.Unplaceable) != len(want.Unplaceable) {
			t.Fatalf("iteration %d: %d unplaceable from the runs, %d from the jobs", iter, len(got.Unplaceable), len(want.Unplaceable))
		}
		want.Unplaceable, got.Unplaceable = nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("iteration %d: planned from the runs\n%+v\nfrom the jobs\n%+v", iter, got, want)
		}
	}
	t.Logf("%d runs for %d jobs", runs, jobs)
	if runs*2 > jobs {
		t.Errorf("%d runs for %d jobs: the inputs hardly form runs, so they test little", runs, jobs)
	}
}
