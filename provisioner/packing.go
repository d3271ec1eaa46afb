package provisioner

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// PackingFactor bounds how much larger than a job's own size an instance
// that takes it may be: an instance takes a job only when it has at most
// PackingFactor times the vCPUs of the smallest allowed type that holds
// the job. Measured with `tanda sim` (docs/BENCHMARKS.md): without the
// bound, small jobs settle in the spare room of large instances and keep
// them alive long after the large jobs they were launched for have ended.
const PackingFactor = 2

// GPUPackingFactor is PackingFactor for jobs that need GPUs: an instance
// takes such a job only when it is no larger than the smallest allowed
// type that holds it. GPU instances cost several times their vCPUs' worth,
// and a small GPU job left on a large one keeps all of its GPUs billed:
// on the Alibaba GPU trace 1× costs 0.7 % less than 2× and 1.0 % less than
// 3× (docs/BENCHMARKS.md).
const GPUPackingFactor = 1

// PackingPatience is how long a job waits for an instance of its size
// before any instance it fits takes it: when EC2 has no capacity for the
// small types, a job does not wait for them forever.
const PackingPatience = 2 * time.Minute

// Packing is a compute environment's rule for which jobs an instance
// takes, room aside: an instance takes a job only if it has at most
// PackingFactor (GPUPackingFactor for a job that needs GPUs) times the
// vCPUs of the smallest of the compute environment's types that holds the
// job. The agents apply it when they
// pull jobs, and the planner when it places jobs on instances, current and
// new, so that both agree on where a job can run. A job no allowed type
// holds, a job pinned to a type, and a job RUNNABLE for PackingPatience
// are not limited. The zero value limits nothing.
type Packing struct {
	// shapes are the allowed types' distinct shapes, fewest vCPUs first.
	shapes []resources
	// floor is the compute environment's minvCpus: an instance no larger
	// takes any job (WithFloor).
	floor float64
}

// WithFloor is p for a compute environment that keeps minvCpus vCPUs
// without demand. An instance of at most minvCpus vCPUs takes any job it
// fits: it may be the warm capacity the user keeps so that jobs start at
// once, paid for whether it runs them or not, and a job must not wait for
// an instance of its own size beside it. A larger instance follows the
// rule.
func (p Packing) WithFloor(minvCpus int) Packing {
	p.floor = float64(max(minvCpus, 0))
	return p
}

// NewPacking is the packing rule of a compute environment whose instance
// types (expanded, see Catalog.ExpandFor) are types.
func NewPacking(types []InstanceType) Packing {
	var p Packing
	for _, t := range types {
		if c := t.capacity(); !slices.Contains(p.shapes, c) {
			p.shapes = append(p.shapes, c)
		}
	}
	slices.SortFunc(p.shapes, func(a, b resources) int { return cmp.Compare(a.vcpus, b.vcpus) })
	return p
}

// Takes reports whether an instance with instanceVCPUs vCPUs takes a job
// needing vcpus, memoryMiB and gpus, RUNNABLE for waited, room aside.
func (p Packing) Takes(instanceVCPUs, vcpus float64, memoryMiB, gpus int64, waited time.Duration) bool {
	return waited >= PackingPatience || instanceVCPUs <= p.placing(resources{vcpus: vcpus, mem: memoryMiB, gpus: gpus})+epsilon
}

// largest is the most vCPUs an instance that takes a job needing need may
// have: PackingFactor (GPUPackingFactor) times the vCPUs of the smallest
// allowed type that holds it, or no limit when none does. For a job without GPUs that is
// the smallest type without GPUs, when one holds it, since such a job
// goes onto a GPU type only when none does (planner.mayUseGPU): a bound
// set by a GPU type could leave it only GPU types to go onto.
func (p Packing) largest(need resources) float64 {
	smallest := math.Inf(1)
	for _, s := range p.shapes {
		if !s.holds(need) {
			continue
		}
		if need.gpus > 0 {
			return GPUPackingFactor * s.vcpus
		}
		if s.gpus == 0 {
			return PackingFactor * s.vcpus
		}
		smallest = min(smallest, PackingFactor*s.vcpus)
	}
	return smallest
}

// placing is the most vCPUs an instance that takes a job needing need may
// have: largest, or the floor when larger (WithFloor).
func (p Packing) placing(need resources) float64 {
	return max(p.largest(need), p.floor)
}

// PackingOf is the packing rule of compute environment ce, one of ces,
// with its instance types expanded in cat as the provisioner expands them
// when it plans; false when ces holds no managed compute environment ce.
func PackingOf(ces []batch.ComputeEnvironment, cat *Catalog, ce string) (Packing, bool, error) {
	for _, c := range ces {
		if c.ComputeEnvironmentName != ce || c.ComputeResources == nil {
			continue
		}
		types, err := cat.ExpandFor(c.ComputeResources.InstanceTypes, c.ComputeResources.Type)
		if err != nil {
			return Packing{}, false, fmt.Errorf("expanding the instance types of compute environment %s: %w", ce, err)
		}
		minv := 0
		if m := c.ComputeResources.MinvCpus; m != nil {
			minv = *m
		}
		return NewPacking(types).WithFloor(minv), true, nil
	}
	return Packing{}, false, nil
}

// For is the rule of an instance of instanceVCPUs vCPUs, as an agent
// applies it (bootstrap.Config.Takes).
func (p Packing) For(instanceVCPUs float64) func(vcpus float64, memoryMiB, gpus int64, waited time.Duration) bool {
	return func(vcpus float64, memoryMiB, gpus int64, waited time.Duration) bool {
		return p.Takes(instanceVCPUs, vcpus, memoryMiB, gpus, waited)
	}
}
