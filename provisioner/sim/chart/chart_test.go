package chart

import (
	"bytes"
	"image/png"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/provisioner/sim"
)

func TestWriteDrawsAPNG(t *testing.T) {
	r := &sim.Report{Trace: "t", Series: []sim.Sample{
		{At: 0, WaitingVCPU: 4, Provisioned: 4, Instances: 2},
		{At: 30 * time.Second, UsedVCPU: 4, Provisioned: 4, Instances: 2},
		{At: time.Hour, Provisioned: 0},
	}}
	var buf bytes.Buffer
	if err := Write(&buf, r, 800, 400); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 400 {
		t.Errorf("image %v, want 800x400", b)
	}
	if err := Write(&bytes.Buffer{}, &sim.Report{}, 800, 400); err == nil {
		t.Error("a report without a series drew a chart")
	}
}

func TestStepsKeepsPeaksAndGaps(t *testing.T) {
	// A burst of 30 s at hour 1, nothing until hour 100, then 3 vCPUs.
	series := []sim.Sample{
		{At: 0, Provisioned: 0},
		{At: time.Hour, Provisioned: 8},
		{At: time.Hour + 30*time.Second, Provisioned: 0},
		{At: 100 * time.Hour, Provisioned: 3},
		{At: 101 * time.Hour, Provisioned: 3},
	}
	pts := steps(series, func(s sim.Sample) float64 { return s.Provisioned })
	peak, atHalfway := 0.0, -1.0
	for _, p := range pts {
		peak = max(peak, p.Y)
		if p.X <= 50 {
			atHalfway = p.Y
		}
	}
	if peak != 8 {
		t.Errorf("the 30 s burst to 8 is lost: peak %v", peak)
	}
	if atHalfway != 0 {
		t.Errorf("at hour 50 the line is at %v, want 0: a burst must not be held over the gap after it", atHalfway)
	}
	if last := pts[len(pts)-1]; last.Y != 3 || last.X != 101 {
		t.Errorf("the line ends at %+v, want 3 at hour 101", last)
	}
	long := make([]sim.Sample, 10*maxPoints)
	for i := range long {
		long[i] = sim.Sample{At: time.Duration(i) * time.Second, Provisioned: float64(i % 2)}
	}
	if n := len(steps(long, func(s sim.Sample) float64 { return s.Provisioned })); n > 2*maxPoints+4 {
		t.Errorf("%d points for %d samples, want at most about %d", n, len(long), 2*maxPoints)
	}
}
