package kit

import (
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/provisioner"
)

// InstanceTypes shows the provisioner's catalogue to the control plane
// (control.InstanceTypes).
type InstanceTypes struct{ Catalog *provisioner.Catalog }

var _ control.InstanceTypes = InstanceTypes{}

// Check rejects unknown types, a mix of architectures, and types EC2 does
// not offer as crType.
func (t InstanceTypes) Check(types []string, crType string) error {
	_, err := t.Catalog.ExpandFor(types, crType)
	return err
}

// Fits reports whether some type among types, offered as crType, can hold
// one job.
func (t InstanceTypes) Fits(types []string, crType string, vcpus float64, mem, gpus int64) bool {
	all, err := t.Catalog.ExpandFor(types, crType)
	if err != nil {
		return false
	}
	for _, it := range all {
		if it.VCPUs >= vcpus && it.MemoryMiB >= mem && it.GPUs >= gpus {
			return true
		}
	}
	return false
}
