package sim

import (
	"compress/gzip"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/provisioner"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// oneTypeCatalog is a catalogue of one type of 2 vCPUs at $0.10 an hour.
func oneTypeCatalog(t *testing.T) *provisioner.Catalog {
	t.Helper()
	cat, err := provisioner.NewCatalog([]provisioner.InstanceType{
		{Name: "t.large", Family: "t", Arch: provisioner.ArchX86, VCPUs: 2, MemoryMiB: 4096, PricePerHour: 0.10},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// handTrace is two 2-vCPU jobs at time 0, of one hour and half an hour.
func handTrace() Trace {
	return Trace{Name: "hand", Jobs: []Job{
		{ID: "a", Submit: 0, Run: time.Hour, VCPUs: 2, MemoryMiB: 2048},
		{ID: "b", Submit: 0, Run: 30 * time.Minute, VCPUs: 2, MemoryMiB: 2048},
	}}
}

// A trace small enough to account for by hand: handTrace on
// oneTypeCatalog, with 30 s boots and a 60 s idle grace.
func TestAHandComputableTrace(t *testing.T) {
	cat, trace := oneTypeCatalog(t), handTrace()
	r, err := Run(context.Background(), trace, Config{
		Catalog: cat, BootMin: 30 * time.Second, BootMax: 30 * time.Second, IdleGrace: time.Minute,
		ComputeResources: &batch.ComputeResource{Type: "EC2", InstanceTypes: []string{"t.large"}, MaxvCpus: new(8)},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Both boot in 30 s and start then; b's instance is idle from 1830 s
	// and retired once idle past the grace (at 1891 s), a's at 3691 s.
	billedSeconds := 1891.0 + 3691.0
	if r.Launches != 2 || r.FleetCalls != 1 || r.PeakInstances != 2 || r.Finished != 2 {
		t.Errorf("launches %d, fleet calls %d, peak %d, finished %d; want 2, 1, 2, 2", r.Launches, r.FleetCalls, r.PeakInstances, r.Finished)
	}
	if !near(r.RequestedVCPUHours, 3) {
		t.Errorf("requested %v vCPU-hours, want 3 (2 x 1 h + 2 x 0.5 h)", r.RequestedVCPUHours)
	}
	if !near(r.BilledVCPUHours, 2*billedSeconds/3600) {
		t.Errorf("billed %v vCPU-hours, want %v", r.BilledVCPUHours, 2*billedSeconds/3600)
	}
	if !near(r.Dollars, 0.10*billedSeconds/3600) || !near(r.OracleDollars, 3*0.05) {
		t.Errorf("cost $%v, oracle $%v; want $%v and $0.15", r.Dollars, r.OracleDollars, 0.10*billedSeconds/3600)
	}
	// Beyond the jobs: two 2-vCPU instances booting 30 s each, and each
	// idle 61 s before it is retired; no room left beside a job, no
	// minimum billed. With the jobs' 3 vCPU-hours that is all the bill.
	want := Excess{Booting: 2 * 2 * 30.0 / 3600, Idle: 2 * 2 * 61.0 / 3600}
	if e := r.Excess; !near(e.Booting, want.Booting) || !near(e.Idle, want.Idle) || !near(e.RoomLeft, 0) || !near(e.Minimum, 0) {
		t.Errorf("excess %+v, want %+v", e, want)
	}
	if r.WaitP50 != 30*time.Second || r.WaitMax != 30*time.Second {
		t.Errorf("waits p50 %v max %v, want the 30 s boot", r.WaitP50, r.WaitMax)
	}
	if r.BackToMin != 61*time.Second {
		t.Errorf("back to minvCpus %v after the last job, want the grace and a second (61s)", r.BackToMin)
	}
}

func TestBillingHasASixtySecondMinimum(t *testing.T) {
	cat, _ := provisioner.NewCatalog([]provisioner.InstanceType{
		{Name: "t.large", Family: "t", Arch: provisioner.ArchX86, VCPUs: 2, MemoryMiB: 4096, PricePerHour: 0.36},
	})
	r, err := Run(context.Background(), Trace{Jobs: []Job{{ID: "x", Run: time.Second, VCPUs: 1, MemoryMiB: 512}}}, Config{
		Catalog: cat, BootMin: time.Second, BootMax: time.Second, IdleGrace: time.Second,
		ComputeResources: &batch.ComputeResource{Type: "EC2", InstanceTypes: []string{"t.large"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !near(r.BilledVCPUHours, 2*60.0/3600) || !near(r.Dollars, 0.36*60/3600) {
		t.Errorf("a 4-second instance billed %v vCPU-h, $%v; want the 60 s minimum", r.BilledVCPUHours, r.Dollars)
	}
	if !near(r.Excess.Minimum, 2*56.0/3600) {
		t.Errorf("minimum billed beyond the instance's life %v vCPU-h, want 56 s of 2 vCPUs", r.Excess.Minimum)
	}
}

func TestJobsThatFitNoTypeAreReportedNotRun(t *testing.T) {
	r, err := Run(context.Background(), Trace{Jobs: []Job{
		{ID: "huge", Run: time.Minute, VCPUs: 4096, MemoryMiB: 1024},
		{ID: "ok", Run: time.Minute, VCPUs: 1, MemoryMiB: 1024},
	}}, Config{ComputeResources: &batch.ComputeResource{MaxvCpus: new(64)}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Unplaceable != 1 || r.Finished != 1 {
		t.Errorf("unplaceable %d, finished %d; want 1 and 1", r.Unplaceable, r.Finished)
	}
}

// sharedTraces finds ../shared/data/traces: TANDA_TRACES names it, or it
// is beside one of the directories above this one.
func sharedTraces() (string, bool) {
	if dir := os.Getenv("TANDA_TRACES"); dir != "" {
		return dir, true
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		return "", false
	}
	for {
		candidate := filepath.Join(dir, "shared", "data", "traces")
		if st, err := os.Stat(candidate); err == nil && st.IsDir() {
			return candidate, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// openTrace opens a trace of the shared set, skipping the test where the
// set is not (the slices in testdata serve the tests that must run).
func openTrace(t testing.TB, file string) *gzip.Reader {
	t.Helper()
	dir, ok := sharedTraces()
	if !ok {
		t.Skip("the shared traces (shared/data/traces) are not above this repository; set TANDA_TRACES to their directory")
	}
	f, err := os.Open(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

// openSlice opens a test slice in testdata.
func openSlice(t *testing.T, file string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestReadersOnTheSharedTraces(t *testing.T) {
	kth, err := ReadSWF("KTH-SP2", openTrace(t, "KTH-SP2-1996-2.1-cln.swf.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(kth.Jobs) + kth.Skipped; n != 28476 {
		t.Errorf("KTH: %d jobs and %d skipped, want the 28,476 records", len(kth.Jobs), kth.Skipped)
	}
	if j := kth.Jobs[0]; j.Submit != 0 || j.VCPUs <= 0 || j.MemoryMiB != int64(j.VCPUs)*DefaultMemoryPerVCPU {
		t.Errorf("KTH's first job %+v", j)
	}
	ali, err := ReadAlibaba("alibaba", openTrace(t, "alibaba-openb_pod_list_default.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ali.Jobs) + ali.Skipped; n != 8152 {
		t.Errorf("Alibaba: %d pods and %d skipped, want 8,152", len(ali.Jobs), ali.Skipped)
	}
	gpus := 0
	for _, j := range ali.Jobs {
		if j.GPUs > 0 {
			gpus++
		}
	}
	if gpus == 0 {
		t.Error("no Alibaba pod asks for a GPU")
	}
}

func TestReadCSV(t *testing.T) {
	tr, err := ReadCSV("mine", strings.NewReader("# a comment\nsubmit,run,vcpus,memory_mib,gpus,id\n10,60,2,2048,0,a\n5,30,1,512,1,b\n7,0,1,1,0,c\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Jobs) != 2 || tr.Skipped != 1 || tr.Jobs[0].ID != "b" || tr.Jobs[0].Submit != 0 || tr.Jobs[1].Submit != 5*time.Second || tr.Jobs[0].GPUs != 1 {
		t.Errorf("trace %+v", tr)
	}
	if _, err := ReadCSV("bad", strings.NewReader("when,how\n1,2\n")); err == nil {
		t.Error("a CSV without the columns was read")
	}
}

// A slice of each shared trace, replayed: the accounting holds together.
func TestSlicesOfTheSharedTraces(t *testing.T) {
	kth, err := ReadSWF("KTH-SP2", openSlice(t, "kth-sp2-first500.swf"))
	if err != nil {
		t.Fatal(err)
	}
	ali, err := ReadAlibaba("alibaba", openSlice(t, "alibaba-openb-pods-first300.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(kth.Jobs)+kth.Skipped != 500 || len(ali.Jobs)+ali.Skipped != 300 {
		t.Fatalf("slices of %d+%d and %d+%d records, want 500 and 300", len(kth.Jobs), kth.Skipped, len(ali.Jobs), ali.Skipped)
	}
	for _, tc := range []struct {
		trace Trace
		cr    *batch.ComputeResource
	}{
		{Trace{Name: "KTH first 500", Jobs: kth.Jobs}, nil},
		{Trace{Name: "KTH first 500, Spot", Jobs: kth.Jobs}, &batch.ComputeResource{Type: "SPOT"}},
		{Trace{Name: "Alibaba first 300", Jobs: ali.Jobs}, &batch.ComputeResource{InstanceTypes: []string{"optimal", "g4dn", "g5"}}},
	} {
		t.Run(tc.trace.Name, func(t *testing.T) {
			r, err := Run(context.Background(), tc.trace, Config{ComputeResources: tc.cr, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if r.Finished+r.Unplaceable != r.Jobs {
				t.Errorf("%d finished and %d unplaceable of %d jobs", r.Finished, r.Unplaceable, r.Jobs)
			}
			if r.BilledVCPUHours < r.RequestedVCPUHours || r.Dollars < r.OracleDollars || r.Ratio < 1 {
				t.Errorf("billed %v < requested %v, or cost $%v < oracle $%v", r.BilledVCPUHours, r.RequestedVCPUHours, r.Dollars, r.OracleDollars)
			}
			if r.Launches == 0 || r.FleetCalls == 0 || r.FleetCalls > r.Launches || r.BackToMin < 0 {
				t.Errorf("launches %d, fleet calls %d, back to min %v", r.Launches, r.FleetCalls, r.BackToMin)
			}
			t.Logf("%s: billed/requested %.3f, cost/oracle %.3f, wait p95 %v, launches %d", tc.trace.Name, r.Ratio, r.Dollars/r.OracleDollars, r.WaitP95, r.Launches)
		})
	}
}
