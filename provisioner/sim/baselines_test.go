package sim

import (
	"context"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// The hand-computable trace of TestAHandComputableTrace, under each policy.
func TestBaselinesOnAHandComputableTrace(t *testing.T) {
	cat, trace := oneTypeCatalog(t), handTrace()
	for _, tt := range []struct {
		policy        string
		billedSeconds float64 // of the two instances
		wait          time.Duration
	}{
		// Tanda: both launched at 0, ready at 30 s; retired a grace (60 s)
		// and a second after their jobs end (1830 s, 3630 s).
		{PolicyTanda, 1891 + 3691, 30 * time.Second},
		// AWS Batch's default: kept 20 minutes idle.
		{PolicyBatchDefault, (1830 + 1201) + (3630 + 1201), 30 * time.Second},
		// Karpenter: the batch closes 1 s after the last job; the nodes,
		// ready at 31 s, go 31 s after they empty (1831 s, 3631 s).
		{PolicyKarpenter, (1862 - 1) + (3662 - 1), 31 * time.Second},
		// A static fleet of the machine's 4 vCPUs, never retired: it runs
		// until the last job's instance would be gone (the run's end).
		{PolicyStatic, 2 * 3691, 30 * time.Second},
	} {
		t.Run(tt.policy, func(t *testing.T) {
			r, err := Run(context.Background(), trace, Config{
				Catalog: cat, BootMin: 30 * time.Second, BootMax: 30 * time.Second, IdleGrace: time.Minute,
				ComputeResources: &batch.ComputeResource{Type: "EC2", InstanceTypes: []string{"t.large"}, MaxvCpus: new(8)},
				Policy:           tt.policy, MachineVCPUs: 4,
			})
			if err != nil {
				t.Fatal(err)
			}
			if r.Policy != tt.policy || r.Finished != 2 || r.Launches != 2 {
				t.Errorf("policy %s: finished %d, launched %d; want 2 and 2", r.Policy, r.Finished, r.Launches)
			}
			if !near(r.BilledVCPUHours, 2*tt.billedSeconds/3600) {
				t.Errorf("billed %v vCPU-h (%v instance-seconds), want %v", r.BilledVCPUHours, r.BilledVCPUHours*3600/2, tt.billedSeconds)
			}
			if r.WaitMax != tt.wait {
				t.Errorf("wait %v, want %v", r.WaitMax, tt.wait)
			}
		})
	}
	if _, err := Run(context.Background(), trace, Config{Catalog: cat, Policy: "cheapest"}); err == nil {
		t.Error("an unknown policy ran")
	}
}

func TestBaselinesOnASliceOfKTH(t *testing.T) {
	kth, err := ReadSWF("KTH-SP2", openSlice(t, "kth-sp2-first500.swf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, policy := range append([]string{PolicyTanda}, Baselines...) {
		r, err := Run(context.Background(), kth, Config{Seed: 1, Policy: policy, MachineVCPUs: 100})
		if err != nil {
			t.Fatalf("%s: %v", policy, err)
		}
		if r.Finished != r.Jobs || r.BilledVCPUHours < r.RequestedVCPUHours {
			t.Errorf("%s: finished %d of %d, billed %v < requested %v", policy, r.Finished, r.Jobs, r.BilledVCPUHours, r.RequestedVCPUHours)
		}
		t.Logf("%-15s billed/requested %.3f, $%.2f, wait p95 %v, launches %d", policy, r.Ratio, r.Dollars, r.WaitP95, r.Launches)
	}
}
