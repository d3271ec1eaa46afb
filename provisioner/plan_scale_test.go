package provisioner_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/provisioner/ec2shapes"
	"github.com/tanda-batch/tanda/provisioner/prices"
)

// BenchmarkPlanAtScale plans 100,000 waiting jobs, each of its own shape,
// over every x86_64 type of EC2's catalogue, with 1,000 busy instances
// (issue 11's target: at most 1 s and 1 GiB). It reports the heap the
// plan allocates as peak-heap-MiB.
func BenchmarkPlanAtScale(b *testing.B) {
	types, err := ec2shapes.Types()
	if err != nil {
		b.Fatal(err)
	}
	var x86 []provisioner.InstanceType
	for _, t := range prices.Apply("us-east-1", types) {
		if t.Arch == provisioner.ArchX86 {
			x86 = append(x86, t)
		}
	}
	rng := rand.New(rand.NewPCG(11, 13))
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	maxv := 10_000_000
	in := provisioner.PlanInput{
		CE: batch.ComputeEnvironment{
			ComputeEnvironmentName: "scale", Type: batch.TypeManaged, State: batch.StateEnabled, Status: batch.StatusValid,
			ComputeResources: &batch.ComputeResource{Type: provisioner.ResourceEC2, AllocationStrategy: provisioner.StrategyBestFitProgressive,
				MinvCpus: new(0), MaxvCpus: &maxv, DesiredvCpus: new(0)},
		},
		Types: x86, Now: t0, Loads: map[string]provisioner.Load{},
	}
	for i := range 1000 {
		t := x86[rng.IntN(len(x86))]
		inst := provisioner.Instance{ID: fmt.Sprintf("i-%d", i), Type: t.Name, VCPUs: t.VCPUs, MemoryMiB: t.MemoryMiB, GPUs: t.GPUs,
			LaunchedAt: t0.Add(-time.Hour), State: provisioner.InstanceRunning}
		in.Instances = append(in.Instances, inst)
		in.Loads[inst.ID] = provisioner.Load{UsedVCPUs: t.VCPUs / 2, UsedMemoryMiB: t.MemoryMiB / 2, RunningJobs: 1, LastBusyAt: t0}
	}
	for i := range 100_000 {
		j := provisioner.Job{ID: fmt.Sprintf("j-%d", i), VCPUs: float64(rng.IntN(32) + 1), MemoryMiB: int64(rng.IntN(131072) + 1)}
		if rng.IntN(50) == 0 {
			j.GPUs = int64(rng.IntN(4) + 1)
		}
		in.Demand = append(in.Demand, j)
	}
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for b.Loop() {
		if d := provisioner.Plan(in); len(d.Launch) == 0 {
			b.Fatal("no launch planned")
		}
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "alloc-MiB/op")
	b.ReportMetric(float64(len(x86)), "types")
}
