package sim

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// oneZone is a spot trace of one zone with one-minute samples.
func oneZone(available ...bool) *SpotTrace {
	return &SpotTrace{Zones: []SpotZone{{Name: "z1", Gap: time.Minute, Available: available}}}
}

func TestASpotInterruptionIsRetriedAndItsWasteCounted(t *testing.T) {
	cat := oneTypeCatalog(t)
	// Capacity for ten minutes, gone for one, then back for good (the
	// series repeats, so it is long).
	avail := make([]bool, 24*60)
	for i := range avail {
		avail[i] = i != 10
	}
	r, err := Run(context.Background(), Trace{Jobs: []Job{{ID: "a", Run: 20 * time.Minute, VCPUs: 2, MemoryMiB: 2048}}}, Config{
		Catalog: cat, BootMin: 30 * time.Second, BootMax: 30 * time.Second, IdleGrace: time.Minute,
		ComputeResources: &batch.ComputeResource{Type: "SPOT", InstanceTypes: []string{"t.large"}, MaxvCpus: new(8)},
		Spot:             oneZone(avail...),
	})
	if err != nil {
		t.Fatal(err)
	}
	// The first instance boots at 30 s, is warned at 8 min and reclaimed
	// at 10 min: the attempt had run 9.5 minutes on 2 vCPUs.
	if r.Reclaimed != 1 || r.InterruptedAttempts != 1 || !near(r.WastedVCPUHours, 2*9.5/60) {
		t.Errorf("reclaimed %d, interrupted %d, wasted %v vCPU-h; want 1, 1, %v", r.Reclaimed, r.InterruptedAttempts, r.WastedVCPUHours, 2*9.5/60)
	}
	// The retry waits out the minute without capacity, then runs whole.
	if r.Finished != 1 || r.Failed != 0 || r.Launches != 2 || r.NoCapacity == 0 {
		t.Errorf("finished %d, failed %d, launches %d, launches without capacity %d; want 1, 0, 2, some", r.Finished, r.Failed, r.Launches, r.NoCapacity)
	}
	if !near(r.RequestedVCPUHours, 2*20.0/60) {
		t.Errorf("requested %v vCPU-hours, want the one attempt that finished", r.RequestedVCPUHours)
	}
}

func TestAttemptsRunOut(t *testing.T) {
	// Capacity comes and goes every five minutes; a job of an hour never
	// finishes, and after its attempts it fails rather than being lost.
	avail := make([]bool, 10)
	for i := range avail {
		avail[i] = i%5 != 4
	}
	r, err := Run(context.Background(), Trace{Jobs: []Job{{ID: "long", Run: time.Hour, VCPUs: 1, MemoryMiB: 512}}}, Config{
		BootMin: 30 * time.Second, BootMax: 30 * time.Second, Attempts: 2,
		ComputeResources: &batch.ComputeResource{Type: "SPOT", MaxvCpus: new(8)}, Spot: oneZone(avail...),
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Failed != 1 || r.Finished != 0 || r.InterruptedAttempts != 2 {
		t.Errorf("failed %d, finished %d, interrupted %d; want the job failed after its 2 attempts", r.Failed, r.Finished, r.InterruptedAttempts)
	}
}

func TestAKTHSliceOnASkyPilotSpotTrace(t *testing.T) {
	dir, ok := sharedTraces()
	if !ok {
		t.Skip("the shared traces are not above this repository; set TANDA_TRACES")
	}
	spot, err := extractSpotTrace(t, filepath.Join(dir, "spot-traces-skypilot.tar.gz"), "spot-traces/preemption/1-node/aws-04-19-2023")
	if err != nil {
		t.Fatal(err)
	}
	kth, err := ReadSWF("KTH-SP2", openSlice(t, "kth-sp2-first500.swf"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), kth, Config{Seed: 1, Attempts: 10, Spot: spot, ComputeResources: &batch.ComputeResource{Type: "SPOT"}})
	if err != nil {
		t.Fatal(err)
	}
	// No job is lost: each finishes, or fails once its attempts are spent
	// (jobs of days cannot outlast this trace's hours of capacity).
	if r.Finished+r.Failed+r.Unplaceable != r.Jobs {
		t.Errorf("finished %d, failed %d, unplaceable %d of %d jobs: a job is lost", r.Finished, r.Failed, r.Unplaceable, r.Jobs)
	}
	// Every interrupted attempt is retried while its job has attempts left.
	if r.InterruptedAttempts == 0 || r.WastedVCPUHours <= 0 || r.InterruptedAttempts != r.Retried+r.Failed {
		t.Errorf("interrupted %d, retried %d, failed %d, wasted %v vCPU-h", r.InterruptedAttempts, r.Retried, r.Failed, r.WastedVCPUHours)
	}
	t.Logf("reclaimed %d instances, %d attempts interrupted (%d retried, %d jobs failed), %.1f vCPU-h wasted; billed/requested %.3f",
		r.Reclaimed, r.InterruptedAttempts, r.Retried, r.Failed, r.WastedVCPUHours, r.Ratio)
}

// extractSpotTrace unpacks one directory of the SkyPilot archive.
func extractSpotTrace(t *testing.T, archive, dir string) (*SpotTrace, error) {
	t.Helper()
	out := t.TempDir()
	if err := untar(archive, dir, out); err != nil {
		return nil, err
	}
	tr, err := ReadSpotTrace(filepath.Join(out, dir))
	return &tr, err
}

func TestReadSpotTrace(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "us-east-1a.json"), []byte(`{"metadata":{"gap_seconds":60},"data":[1,1,0,1]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tr, err := ReadSpotTrace(dir)
	if err != nil || len(tr.Zones) != 1 || tr.Zones[0].Name != "us-east-1a" || tr.Zones[0].Gap != time.Minute {
		t.Fatalf("trace %+v, %v", tr, err)
	}
	z := tr.Zones[0]
	if loss, ok := z.nextLoss(30 * time.Second); !ok || loss != 2*time.Minute {
		t.Errorf("next loss after 30 s = %v, %v; want 2 min", loss, ok)
	}
	if !z.availableAt(5*time.Minute) || z.availableAt(6*time.Minute+time.Second) {
		t.Error("the series does not repeat")
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"data":[1]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSpotTrace(dir); err == nil {
		t.Error("a series without gap_seconds was read")
	}
}
