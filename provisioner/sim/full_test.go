package sim

import (
	"context"
	"io"
	"testing"
)

// BenchmarkReplayKTH replays the whole KTH-SP2 trace (28,476 jobs over 333
// days) with the default compute environment, reporting the run's time
// and its figures (docs/BENCHMARKS.md).
func BenchmarkReplayKTH(b *testing.B) {
	benchmarkReplay(b, "KTH-SP2-1996-2.1-cln.swf.gz", ReadSWF)
}

// BenchmarkReplayAlibaba replays the Alibaba GPU trace's pods.
func BenchmarkReplayAlibaba(b *testing.B) {
	benchmarkReplay(b, "alibaba-openb_pod_list_default.csv.gz", ReadAlibaba)
}

func benchmarkReplay(b *testing.B, file string, read func(string, io.Reader) (Trace, error)) {
	trace, err := read(file, openTrace(b, file))
	if err != nil {
		b.Fatal(err)
	}
	var r *Report
	for b.Loop() {
		if r, err = Run(context.Background(), trace, Config{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(r.Ratio, "billed/requested")
	b.ReportMetric(r.Dollars/r.OracleDollars, "cost/oracle")
	b.ReportMetric(r.WaitP95.Seconds(), "wait-p95-s")
	b.ReportMetric(float64(r.Unplaceable), "unplaceable")
	b.ReportMetric(float64(r.Launches), "launches")
}
