package batch

import (
	"math"
	"strconv"
)

// Resources is what a container asks for: vCPUs, memory in MiB and GPUs.
// Each comes from resourceRequirements when given there and otherwise from
// the deprecated vcpus and memory members (GPUs only ever come from
// resourceRequirements). A value that does not parse counts as 0; the
// Validate functions reject such values before they are stored. A nil
// container asks for nothing.
func Resources(c *ContainerProperties) (vcpus float64, memoryMiB int64, gpus int64) {
	if c == nil {
		return 0, 0, 0
	}
	if v, ok := requirement(c.ResourceRequirements, ResourceVCPU); ok {
		vcpus, _ = parseVCPU(v)
	} else if c.Vcpus != nil {
		vcpus = float64(*c.Vcpus)
	}
	if v, ok := requirement(c.ResourceRequirements, ResourceMemory); ok {
		memoryMiB, _ = parseCount(v)
	} else if c.Memory != nil {
		memoryMiB = *c.Memory
	}
	if v, ok := requirement(c.ResourceRequirements, ResourceGPU); ok {
		gpus, _ = parseCount(v)
	}
	return vcpus, memoryMiB, gpus
}

// requirement is the value of the first requirement of type typ.
func requirement(reqs []ResourceRequirement, typ string) (string, bool) {
	for _, r := range reqs {
		if r.Type == typ {
			return r.Value, true
		}
	}
	return "", false
}

// parseVCPU parses a VCPU value: a finite positive decimal ("2", "0.25").
func parseVCPU(s string) (float64, bool) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || v <= 0 {
		return 0, false
	}
	return v, true
}

// parseCount parses a MEMORY or GPU value: a positive whole number.
func parseCount(s string) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	return v, true
}
