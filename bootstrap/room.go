package bootstrap

// Room is an instance's capacity and what its running attempts hold: the
// rule by which an agent takes a job, which the simulator (package sim)
// applies to its virtual instances too. The zero value has no capacity.
type Room struct {
	VCPUs     float64
	MemoryMiB int64
	GPUs      int64

	UsedVCPUs     float64
	UsedMemoryMiB int64
	UsedGPUs      int64
	Running       int
}

// vcpuSlack absorbs float rounding in fractional vCPUs.
const vcpuSlack = 1e-9

// Fits reports whether a job of these resources fits beside what runs.
func (r Room) Fits(vcpus float64, memoryMiB, gpus int64) bool {
	return r.UsedVCPUs+vcpus <= r.VCPUs+vcpuSlack && r.UsedMemoryMiB+memoryMiB <= r.MemoryMiB && r.UsedGPUs+gpus <= r.GPUs
}

// CouldEverFit reports whether a job of these resources fits the instance
// when it is idle.
func (r Room) CouldEverFit(vcpus float64, memoryMiB, gpus int64) bool {
	return vcpus <= r.VCPUs+vcpuSlack && memoryMiB <= r.MemoryMiB && gpus <= r.GPUs
}

// HasRoom reports whether the smallest job an agent asks for (1 vCPU)
// could fit: below that it stops receiving.
func (r Room) HasRoom() bool { return r.UsedVCPUs+1 <= r.VCPUs+vcpuSlack }

// FreeVCPUs is how many whole vCPUs are free.
func (r Room) FreeVCPUs() int { return int(r.VCPUs - r.UsedVCPUs) }

// Take holds a job's resources if it fits, and reports whether it did.
func (r *Room) Take(vcpus float64, memoryMiB, gpus int64) bool {
	if !r.Fits(vcpus, memoryMiB, gpus) {
		return false
	}
	r.Hold(vcpus, memoryMiB, gpus)
	return true
}

// Hold counts a job's resources as held, fitting or not (an attempt an
// agent takes over after a restart).
func (r *Room) Hold(vcpus float64, memoryMiB, gpus int64) {
	r.UsedVCPUs += vcpus
	r.UsedMemoryMiB += memoryMiB
	r.UsedGPUs += gpus
	r.Running++
}

// Release gives a finished job's resources back.
func (r *Room) Release(vcpus float64, memoryMiB, gpus int64) {
	r.UsedVCPUs -= vcpus
	r.UsedMemoryMiB -= memoryMiB
	r.UsedGPUs -= gpus
	r.Running--
}
