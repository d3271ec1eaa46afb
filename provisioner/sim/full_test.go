package sim

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// BenchmarkReplayKTH replays the whole KTH-SP2 trace (28,476 jobs over 333
// days) with the default compute environment, reporting the run's time
// and its figures (docs/BENCHMARKS.md).
func BenchmarkReplayKTH(b *testing.B) {
	benchmarkReplay(b, "KTH-SP2-1996-2.1-cln.swf.gz", ReadSWF, nil)
}

// AlibabaTypes are the instance types of the Alibaba replays: optimal and
// the GPU families its pods need.
var AlibabaTypes = []string{"optimal", "g4dn", "g5", "g6", "p4d"}

// BenchmarkReplayAlibaba replays the Alibaba GPU trace's pods on optimal
// and GPU families.
func BenchmarkReplayAlibaba(b *testing.B) {
	benchmarkReplay(b, "alibaba-openb_pod_list_default.csv.gz", ReadAlibaba, &batch.ComputeResource{InstanceTypes: AlibabaTypes})
}

func benchmarkReplay(b *testing.B, file string, read func(string, io.Reader) (Trace, error), cr *batch.ComputeResource) {
	trace, err := read(file, openTrace(b, file))
	if err != nil {
		b.Fatal(err)
	}
	var r *Report
	for b.Loop() {
		if r, err = Run(context.Background(), trace, Config{Seed: 1, ComputeResources: cr}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(r.Ratio, "billed/requested")
	b.ReportMetric(r.Dollars/r.OracleDollars, "cost/oracle")
	b.ReportMetric(r.WaitP95.Seconds(), "wait-p95-s")
	b.ReportMetric(float64(r.Unplaceable), "unplaceable")
	b.ReportMetric(float64(r.Launches), "launches")
}

// BenchmarkReplay100k replays KTH-SP2 four times back to back, 113,868
// jobs over 3.6 years: issue 11's trace of over 100,000 jobs (target: under
// five minutes).
func BenchmarkReplay100k(b *testing.B) {
	kth, err := ReadSWF("KTH-SP2", openTrace(b, "KTH-SP2-1996-2.1-cln.swf.gz"))
	if err != nil {
		b.Fatal(err)
	}
	span := kth.Jobs[len(kth.Jobs)-1].Submit + 24*time.Hour
	long := Trace{Name: "KTH-SP2 x4"}
	for k := range 4 {
		for _, j := range kth.Jobs {
			j.ID = fmt.Sprintf("%d-%s", k, j.ID)
			j.Submit += time.Duration(k) * span
			long.Jobs = append(long.Jobs, j)
		}
	}
	var r *Report
	for b.Loop() {
		if r, err = Run(context.Background(), long, Config{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(long.Jobs)), "jobs")
	b.ReportMetric(r.Ratio, "billed/requested")
}
