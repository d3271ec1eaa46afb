package provisioner

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchInput is 10,000 waiting jobs of the given number of shapes (0: every
// job its own shape) and 200 busy instances, for a progressive CE with room
// to launch (autoscalers.md G1 asks for planning at this scale and beyond).
func benchInput(b *testing.B, shapes int) PlanInput {
	b.Helper()
	rng := rand.New(rand.NewPCG(3, 5))
	ce := progressive(0, 100000, "optimal", "g4dn")
	types, err := testCatalog.Expand(ce.ComputeResources.InstanceTypes)
	if err != nil {
		b.Fatalf("Expand: %v", err)
	}
	in := PlanInput{CE: ce, Types: types, Now: t0, Loads: map[string]Load{}}
	for i := range 200 {
		t := types[rng.IntN(len(types))]
		inst := instance(fmt.Sprintf("i-%d", i), t.Name, 0, InstanceRunning)
		in.Instances = append(in.Instances, inst)
		in.Loads[inst.ID] = Load{UsedVCPUs: t.VCPUs / 2, UsedMemoryMiB: t.MemoryMiB / 2, RunningJobs: 1, LastBusyAt: t0}
	}
	shape := func() Job {
		j := Job{VCPUs: float64(rng.IntN(16) + 1), MemoryMiB: int64(rng.IntN(64)+1) * 512}
		if rng.IntN(50) == 0 {
			j.GPUs = 1
		}
		return j
	}
	var pool []Job
	for range shapes {
		pool = append(pool, shape())
	}
	for i := range 10000 {
		j := shape()
		if shapes > 0 {
			j = pool[rng.IntN(shapes)]
		} else {
			j.MemoryMiB = int64(rng.IntN(32768) + 1) // (nearly) every job a shape of its own
		}
		j.ID = fmt.Sprintf("j-%d", i)
		in.Demand = append(in.Demand, j)
	}
	return in
}

func BenchmarkPlan(b *testing.B) {
	for _, shapes := range []int{50, 0} {
		name := fmt.Sprintf("jobs=10000/instances=200/shapes=%d", shapes)
		if shapes == 0 {
			name = "jobs=10000/instances=200/shapes=distinct"
		}
		b.Run(name, func(b *testing.B) {
			in := benchInput(b, shapes)
			b.ReportAllocs()
			for b.Loop() {
				d := Plan(in)
				if len(d.Launch) == 0 {
					b.Fatal("no launch planned")
				}
			}
		})
	}
}
