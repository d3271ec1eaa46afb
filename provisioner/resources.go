package provisioner

// epsilon absorbs float rounding in fractional vCPU sums.
const epsilon = 1e-9

// resources is an amount of vCPUs, memory (MiB) and GPUs.
type resources struct {
	vcpus float64
	mem   int64
	gpus  int64
}

// holds reports whether r can take need.
func (r resources) holds(need resources) bool {
	return need.vcpus <= r.vcpus+epsilon && need.mem <= r.mem && need.gpus <= r.gpus
}

func (r resources) plus(o resources) resources {
	return resources{vcpus: r.vcpus + o.vcpus, mem: r.mem + o.mem, gpus: r.gpus + o.gpus}
}

// minus subtracts o, flooring each dimension at zero.
func (r resources) minus(o resources) resources {
	return resources{vcpus: max(r.vcpus-o.vcpus, 0), mem: max(r.mem-o.mem, 0), gpus: max(r.gpus-o.gpus, 0)}
}

// larger orders needs for first-fit decreasing: vCPUs, then memory, then GPUs.
func (r resources) larger(o resources) bool {
	if r.vcpus != o.vcpus {
		return r.vcpus > o.vcpus
	}
	if r.mem != o.mem {
		return r.mem > o.mem
	}
	return r.gpus > o.gpus
}

// envelope is the per-dimension maximum of r and o.
func (r resources) envelope(o resources) resources {
	return resources{vcpus: max(r.vcpus, o.vcpus), mem: max(r.mem, o.mem), gpus: max(r.gpus, o.gpus)}
}

// shape is a job's request with its pin. Jobs of one shape are
// interchangeable, so the planner works out once per shape what new
// capacity can do for them, and remembers per shape where the search for
// room may resume: planning costs grow with the shapes more than the jobs.
type shape struct {
	need    resources
	pin     string
	patient bool // waited PackingPatience: any instance it fits takes it
}

// shapeClass is what the planner knows about one shape.
type shapeClass struct {
	first   int // the demand index of the first job of the shape
	onGPU   bool
	largest float64 // the most vCPUs an instance that takes it may have (Packing.placing)
	opens   float64 // the most vCPUs of an instance launched for it (Packing.largest)
	verdict verdict
	judged  bool // verdict is set
}
