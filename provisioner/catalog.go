package provisioner

import (
	"fmt"
	"slices"
	"sync"

	"github.com/tanda-batch/tanda/batch"
)

// Architectures of instance types.
const (
	ArchX86 = "x86_64"
	ArchARM = "arm64"
)

// InstanceType is an offering the provisioner can launch.
type InstanceType struct {
	Name      string // e.g. "c6i.xlarge"
	Family    string // e.g. "c6i"
	Arch      string // ArchX86 or ArchARM
	VCPUs     float64
	MemoryMiB int64
	GPUs      int64
	// GPUModel and GPUMemoryMiB describe the GPUs, when it has some
	// ("A10G", 22888 MiB each).
	GPUModel     string
	GPUMemoryMiB int64
	// NoSpot and NoOnDemand mark types EC2 does not offer as Spot, or as
	// On-Demand (capacity blocks only).
	NoSpot, NoOnDemand bool
	// Burstable types (t2, t3, t4g...) run on CPU credits.
	Burstable bool
	// PreviousGeneration marks types EC2 no longer lists as current.
	PreviousGeneration bool
	// PricePerHour is the On-Demand price in USD.
	PricePerHour float64
	// SpotPricePerHour is the current Spot price in USD, the lowest among
	// the region's zones; 0 when unknown. The planner ranks a Spot compute
	// environment's offerings by it, or by PricePerHour when it is unknown.
	SpotPricePerHour float64
	// PriceEstimated is set when no list price is known for the type in
	// its region, and PricePerHour is an estimate (see package prices).
	PriceEstimated bool
}

// price is what the planner ranks t by: its Spot price for Spot capacity
// when that is known, else its On-Demand price.
func (t InstanceType) price(spot bool) float64 {
	if spot && t.SpotPricePerHour > 0 {
		return t.SpotPricePerHour
	}
	return t.PricePerHour
}

func (t InstanceType) capacity() resources {
	return resources{vcpus: t.VCPUs, mem: t.MemoryMiB, gpus: t.GPUs}
}

// Catalog is the set of instance types a deployment can launch. It is safe
// for concurrent use, and Replace swaps its types while it is in use (a
// daily refresh from EC2).
type Catalog struct {
	mu     sync.RWMutex
	types  []InstanceType
	byName map[string]int
}

// NewCatalog builds a catalog; names must be unique and capacities positive.
func NewCatalog(types []InstanceType) (*Catalog, error) {
	c := &Catalog{}
	if err := c.Replace(types); err != nil {
		return nil, err
	}
	return c, nil
}

// Replace makes types the catalog's, after the checks NewCatalog makes; on
// error the catalog is unchanged.
func (c *Catalog) Replace(types []InstanceType) error {
	byName := make(map[string]int, len(types))
	for i, t := range types {
		switch {
		case t.Name == "" || t.Family == "":
			return fmt.Errorf("building catalog: type %d has no name or family", i)
		case t.VCPUs <= 0 || t.MemoryMiB <= 0 || t.GPUs < 0 || t.PricePerHour < 0:
			return fmt.Errorf("building catalog: %s has an invalid capacity or price", t.Name)
		case t.Arch != ArchX86 && t.Arch != ArchARM:
			return fmt.Errorf("building catalog: %s has unknown architecture %q", t.Name, t.Arch)
		}
		if _, dup := byName[t.Name]; dup {
			return fmt.Errorf("building catalog: duplicate type %s", t.Name)
		}
		byName[t.Name] = i
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.types, c.byName = slices.Clone(types), byName
	return nil
}

// DefaultCatalog is the built-in EC2-like catalogue (see builtinTypes).
func DefaultCatalog() *Catalog {
	c, err := NewCatalog(builtinTypes())
	if err != nil {
		panic(err) // the built-in table is a constant; tests cover it
	}
	return c
}

// Types lists the catalogue's types in catalogue order.
func (c *Catalog) Types() []InstanceType {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Clone(c.types)
}

// Len is the number of types.
func (c *Catalog) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.types)
}

// Lookup finds a type by name.
func (c *Catalog) Lookup(name string) (InstanceType, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.lookup(name)
}

func (c *Catalog) lookup(name string) (InstanceType, bool) {
	i, ok := c.byName[name]
	if !ok {
		return InstanceType{}, false
	}
	return c.types[i], true
}

// instanceTypeAliases are the instanceTypes keywords AWS Batch accepts
// besides exact types and families; "optimal" now means default_x86_64.
var instanceTypeAliases = map[string][]string{
	"optimal":        {"m6i", "c6i", "r6i", "c7i"},
	"default_x86_64": {"m6i", "c6i", "r6i", "c7i"},
	"default_arm64":  {"m6g", "c6g", "r6g", "c7g"},
}

// Expand resolves a compute environment's instanceTypes entries (exact types,
// families, "optimal", "default_x86_64", "default_arm64") into instance
// types, in the order listed and without duplicates. It fails with a
// *batch.ClientError, ready to be answered as a ClientException, when the
// list is empty, names something unknown, or mixes architectures.
func (c *Catalog) Expand(entries []string) ([]InstanceType, error) {
	return c.expand(entries, func(InstanceType) bool { return true }, "")
}

// ExpandFor is Expand for a compute environment of resource type crType
// (ResourceEC2 or ResourceSpot): a family or keyword brings only its types
// offered that way, and an exact type EC2 does not offer that way is
// refused, naming it.
func (c *Catalog) ExpandFor(entries []string, crType string) ([]InstanceType, error) {
	if crType == ResourceSpot {
		return c.expand(entries, func(t InstanceType) bool { return !t.NoSpot }, "Spot")
	}
	return c.expand(entries, func(t InstanceType) bool { return !t.NoOnDemand }, "On-Demand")
}

// expand is Expand keeping the types offered passes; usage names the
// capacity type, for the messages.
func (c *Catalog) expand(entries []string, offered func(InstanceType) bool, usage string) ([]InstanceType, error) {
	if len(entries) == 0 {
		return nil, batch.Clientf("instanceTypes must list at least one instance type, family or \"optimal\"")
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []InstanceType
	seen := make(map[string]bool)
	var first string // the entry that fixed the architecture
	for _, entry := range entries {
		types := c.resolve(entry)
		if len(types) == 0 {
			return nil, batch.Clientf("instanceTypes: unknown instance type or family %q", entry)
		}
		if t, exact := c.lookup(entry); exact && !offered(t) {
			return nil, batch.Clientf("instanceTypes: %s is not offered as %s capacity by EC2; %s compute environment cannot use it",
				entry, usage, map[string]string{"Spot": "a SPOT", "On-Demand": "an EC2"}[usage])
		}
		types = slices.DeleteFunc(types, func(t InstanceType) bool { return !offered(t) })
		if len(types) == 0 {
			return nil, batch.Clientf("instanceTypes: no type of %q is offered as %s capacity by EC2", entry, usage)
		}
		for _, t := range types {
			if len(out) > 0 && t.Arch != out[0].Arch {
				return nil, batch.Clientf("instanceTypes: %q (%s) and %q (%s) mix architectures; all instance types must share one",
					first, out[0].Arch, entry, t.Arch)
			}
			if len(out) == 0 {
				first = entry
			}
			if !seen[t.Name] {
				seen[t.Name] = true
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// resolve expands one entry; nil when it names nothing. The caller holds
// the read lock.
func (c *Catalog) resolve(entry string) []InstanceType {
	if t, ok := c.lookup(entry); ok {
		return []InstanceType{t}
	}
	families := instanceTypeAliases[entry]
	if families == nil {
		families = []string{entry}
	}
	var out []InstanceType
	for _, f := range families {
		for _, t := range c.types {
			if t.Family == f {
				out = append(out, t)
			}
		}
	}
	return out
}
