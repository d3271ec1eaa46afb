package bootstrap

import "testing"

func TestRoomTakesWhatFitsAndGivesItBack(t *testing.T) {
	r := Room{VCPUs: 4, MemoryMiB: 8192, GPUs: 1}
	if !r.Take(2, 4096, 0) || !r.Take(1.5, 2048, 1) {
		t.Fatal("jobs that fit were refused")
	}
	if r.Take(1, 1024, 0) {
		t.Error("took 1 vCPU with 0.5 free")
	}
	if r.Take(0.5, 4096, 0) {
		t.Error("took 4 GiB with 2 GiB free")
	}
	if r.Take(0.5, 0, 1) {
		t.Error("took a second GPU of one")
	}
	if !r.Take(0.5, 1024, 0) || r.Running != 3 || r.HasRoom() || r.FreeVCPUs() != 0 {
		t.Errorf("after filling the vCPUs: %+v", r)
	}
	r.Release(2, 4096, 0)
	if !r.HasRoom() || r.FreeVCPUs() != 2 || r.Running != 2 {
		t.Errorf("after a release: %+v", r)
	}
	if !r.CouldEverFit(4, 8192, 1) || r.CouldEverFit(5, 1, 0) || r.CouldEverFit(1, 1, 2) {
		t.Error("CouldEverFit judges against what is free, not the capacity")
	}
}
