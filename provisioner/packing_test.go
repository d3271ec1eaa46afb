package provisioner

import (
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

func TestPackingTakesJobsOnInstancesOfTheirSize(t *testing.T) {
	types, err := DefaultCatalog().ExpandFor([]string{"optimal"}, ResourceEC2)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPacking(types)
	cases := []struct {
		name      string
		instance  float64
		vcpus     float64
		mem, gpus int64
		waited    time.Duration
		want      bool
	}{
		{"1 vCPU on the smallest type", 2, 1, 1024, 0, 0, true},
		{"1 vCPU on twice the smallest type that holds it", 4, 1, 1024, 0, 0, true},
		{"1 vCPU on 4 times it", 8, 1, 1024, 0, 0, false},
		{"1 vCPU on a large instance", 96, 1, 1024, 0, 0, false},
		{"9 vCPUs: 16 holds it, so up to 32", 32, 9, 1024, 0, 0, true},
		{"9 vCPUs on 48", 48, 9, 1024, 0, 0, false},
		{"1 vCPU and 100 GiB: r6i.4xlarge (16 vCPUs) holds it, so up to 32", 32, 1, 100 * 1024, 0, 0, true},
		{"a job no type holds is not limited", 192, 1, 1 << 40, 0, 0, true},
		{"a job that waited PackingPatience is not limited", 96, 1, 1024, 0, PackingPatience, true},
		{"a job that waited less is", 96, 1, 1024, 0, PackingPatience - time.Second, false},
	}
	for _, c := range cases {
		if got := p.Takes(c.instance, c.vcpus, c.mem, c.gpus, c.waited); got != c.want {
			t.Errorf("%s: Takes(%v, %v vCPUs, %v MiB) = %v, want %v", c.name, c.instance, c.vcpus, c.mem, got, c.want)
		}
		if got := p.For(c.instance)(c.vcpus, c.mem, c.gpus, c.waited); got != c.want {
			t.Errorf("%s: For(%v) = %v, want %v", c.name, c.instance, got, c.want)
		}
	}
	if !(Packing{}).Takes(192, 1, 1, 0, 0) {
		t.Error("the zero Packing limits a job; it must limit nothing")
	}
}

// TestPackingBoundsCPUWorkByTypesWithoutGPUs: a job without GPUs is
// bounded by the smallest type without GPUs that holds it, even when a
// smaller GPU type holds it too; a GPU job by the smallest GPU type, at
// GPUPackingFactor.
func TestPackingBoundsCPUWorkByTypesWithoutGPUs(t *testing.T) {
	p := NewPacking([]InstanceType{
		{Name: "g.xlarge", VCPUs: 4, MemoryMiB: 16384, GPUs: 1},
		{Name: "c.2xlarge", VCPUs: 8, MemoryMiB: 16384},
		{Name: "c.8xlarge", VCPUs: 32, MemoryMiB: 65536},
		{Name: "g.12xlarge", VCPUs: 48, MemoryMiB: 196608, GPUs: 4},
	})
	cases := []struct {
		name      string
		vcpus     float64
		mem, gpus int64
		want      float64
	}{
		{"CPU work by c.2xlarge, not g.xlarge", 2, 8192, 0, 16},
		{"GPU work by g.xlarge, at GPUPackingFactor", 2, 8192, 1, 4},
		{"CPU work only GPU types hold: the smallest of them", 40, 131072, 0, 96},
	}
	for _, c := range cases {
		if got := p.largest(resources{vcpus: c.vcpus, mem: c.mem, gpus: c.gpus}); got != c.want {
			t.Errorf("%s: largest = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPackingOf(t *testing.T) {
	cat := DefaultCatalog()
	ce := func(name string, types ...string) batch.ComputeEnvironment {
		return batch.ComputeEnvironment{ComputeEnvironmentName: name,
			ComputeResources: &batch.ComputeResource{Type: ResourceEC2, InstanceTypes: types}}
	}
	ces := []batch.ComputeEnvironment{ce("other", "c6i.24xlarge"), ce("mine", "c6i"), {ComputeEnvironmentName: "unmanaged"}}
	p, ok, err := PackingOf(ces, cat, "mine")
	if err != nil || !ok {
		t.Fatalf("PackingOf(mine) = %v, %v", ok, err)
	}
	if p.Takes(8, 1, 1024, 0, 0) || !p.Takes(4, 1, 1024, 0, 0) {
		t.Error("mine (c6i) should keep a job of 1 vCPU to instances of at most 4 vCPUs")
	}
	if other, _, _ := PackingOf(ces, cat, "other"); !other.Takes(96, 1, 1024, 0, 0) {
		t.Error("other has only c6i.24xlarge: its instances must take a job of 1 vCPU")
	}
	for _, name := range []string{"unmanaged", "gone"} {
		if _, ok, err := PackingOf(ces, cat, name); ok || err != nil {
			t.Errorf("PackingOf(%s) = %v, %v; want no rule and no error", name, ok, err)
		}
	}
	if _, _, err := PackingOf([]batch.ComputeEnvironment{ce("bad", "no.such")}, cat, "bad"); err == nil {
		t.Error("PackingOf a compute environment of an unknown type gave no error")
	}
}
