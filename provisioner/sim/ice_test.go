package sim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/provisioner"
)

func TestAnICEScenarioSendsLaunchesToOtherTypes(t *testing.T) {
	cat, err := provisioner.NewCatalog([]provisioner.InstanceType{
		{Name: "cheap.large", Family: "cheap", Arch: provisioner.ArchX86, VCPUs: 2, MemoryMiB: 4096, PricePerHour: 0.05},
		{Name: "dear.large", Family: "dear", Arch: provisioner.ArchX86, VCPUs: 2, MemoryMiB: 4096, PricePerHour: 0.20},
	})
	if err != nil {
		t.Fatal(err)
	}
	ice, err := ReadICE(strings.NewReader("# the cheap pool is dry for ten minutes\nfrom_seconds,to_seconds,types,capacity\n0,600,cheap,on-demand\n"))
	if err != nil {
		t.Fatal(err)
	}
	trace := Trace{Jobs: []Job{{ID: "a", Run: time.Minute, VCPUs: 2, MemoryMiB: 1024}, {ID: "b", Submit: 20 * time.Minute, Run: time.Minute, VCPUs: 2, MemoryMiB: 1024}}}
	cfg := Config{Catalog: cat, BootMin: 30 * time.Second, BootMax: 30 * time.Second, ICE: &ice,
		ComputeResources: &batch.ComputeResource{Type: "EC2", InstanceTypes: []string{"cheap", "dear"}, MaxvCpus: new(8)}}
	r, err := Run(context.Background(), trace, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// a's launch of the cheap type fails and the pass re-plans on the dear
	// one; b, after the span, gets the cheap type: 1 h of each at 1 min.
	if r.NoCapacity != 1 || r.Finished != 2 || r.Launches != 2 {
		t.Errorf("launches without capacity %d, finished %d, launched %d; want 1, 2, 2", r.NoCapacity, r.Finished, r.Launches)
	}
	if r.WaitMax > time.Minute {
		t.Errorf("a waited %v: the dear type should have been launched in the same pass", r.WaitMax)
	}
	cheapOnly := cfg
	cheapOnly.ComputeResources = &batch.ComputeResource{Type: "EC2", InstanceTypes: []string{"cheap"}, MaxvCpus: new(8)}
	r, err = Run(context.Background(), trace, cheapOnly)
	if err != nil {
		t.Fatal(err)
	}
	if r.Finished != 2 || r.WaitMax < 10*time.Minute-time.Minute {
		t.Errorf("with only the dry pool: finished %d, longest wait %v; want both, a waiting out the span", r.Finished, r.WaitMax)
	}
}

func TestReadICERefusesBadScenarios(t *testing.T) {
	for _, bad := range []string{
		"from,to\n1,2\n",
		"from_seconds,to_seconds,types,capacity\n10,5,c5,spot\n",
		"from_seconds,to_seconds,types,capacity\n0,5,c5,reserved\n",
	} {
		if _, err := ReadICE(strings.NewReader(bad)); err == nil {
			t.Errorf("read %q", bad)
		}
	}
}
