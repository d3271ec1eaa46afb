package soak

import (
	"fmt"
	"slices"
	"time"
)

// Series is one figure the soak watches, read from each sample.
type Series struct {
	Name  string
	Unit  string
	Value func(Sample) float64
	// Slack is the absolute growth tolerated beyond Tolerance (a fraction
	// of the earlier peak): GC cycles, a pool that grew by a connection,
	// a WAL between checkpoints.
	Slack float64
}

// Watched are the series that must level off.
var Watched = []Series{
	{Name: "RSS", Unit: "MiB", Value: func(s Sample) float64 { return float64(s.RSSKiB) / 1024 }, Slack: 8},
	{Name: "goroutines", Value: func(s Sample) float64 { return float64(s.Goroutines) }, Slack: 20},
	{Name: "open file descriptors", Value: func(s Sample) float64 { return float64(s.FDs) }, Slack: 10},
	{Name: "database (with WAL)", Unit: "MiB", Value: func(s Sample) float64 { return float64(s.DBBytes) / (1 << 20) }, Slack: 4},
	{Name: "rest of the data directory", Unit: "MiB", Value: func(s Sample) float64 { return float64(s.OtherBytes) / (1 << 20) }, Slack: 1},
}

// Threads are charted but not judged: Go keeps the OS threads it made
// while goroutines were blocked in system calls (fork, exec, file I/O)
// and never ends them, so their count is the high-water mark of blocked
// calls at once, which a burst raises for good without any leak; a leak
// of blocked goroutines shows in the goroutines.

// Tolerance is the growth from the middle third's upper quartile to the
// last third's median that still counts as a plateau.
const Tolerance = 0.10

// Verdict is the judgement on one series.
type Verdict struct {
	Series
	First, Last    float64 // the first and last samples
	Middle, Final  float64 // the medians of the run's middle and last thirds
	MiddleUpper    float64 // the upper quartile of the middle third
	MiddlePeak     float64 // the peaks of the same thirds
	FinalPeak      float64
	PerTenMinutes  float64 // least-squares slope over the last two thirds
	Plateau        bool
	MiddleFrom, To time.Duration
}

func (v Verdict) String() string {
	word := "plateau"
	if !v.Plateau {
		word = "GROWS"
	}
	unit := v.Unit
	if unit != "" {
		unit = " " + unit
	}
	return fmt.Sprintf("%s: %s: first %.1f%s, last %.1f%s; median of the middle third %.1f (upper quartile %.1f), of the last third %.1f (peaks %.1f, %.1f); slope over the last two thirds %+.2f%s per 10 min",
		v.Name, word, v.First, unit, v.Last, unit, v.Middle, v.MiddleUpper, v.Final, v.MiddlePeak, v.FinalPeak, v.PerTenMinutes, unit)
}

// Judge splits the run in thirds, leaves the first (warm-up, and the
// retention period before records begin to expire) out, and says of each
// watched series whether the last third's median stays within Tolerance
// and the series' slack of the middle third's upper quartile. Not peaks:
// a burst of work in flight (requests queued while the machine is busy)
// raises goroutines and descriptors for a moment; a leak raises the level
// they return to. The middle third's upper quartile, not its median: a
// series that swings slowly (job logs, deleted in passes that fall behind
// under load and catch up: 9.3 MiB, down to 4.9, back to 9.3 in a 30-minute
// run at 200 jobs/s) can have its low in the middle third and its usual
// level in the last, which a median would call growth; a leak rises above
// what the middle third reached a quarter of the time.
func Judge(samples []Sample) ([]Verdict, error) {
	if len(samples) < 6 {
		return nil, fmt.Errorf("judging the soak: %d samples, need at least 6", len(samples))
	}
	end := samples[len(samples)-1].At
	third := end / 3
	var out []Verdict
	for _, s := range Watched {
		v := Verdict{Series: s, First: s.Value(samples[0]), Last: s.Value(samples[len(samples)-1]), MiddleFrom: third, To: end}
		var xs, ys, middle, final []float64
		for _, smp := range samples {
			if smp.At < third {
				continue
			}
			y := s.Value(smp)
			if smp.At < 2*third {
				middle = append(middle, y)
			} else {
				final = append(final, y)
			}
			xs, ys = append(xs, smp.At.Minutes()), append(ys, y)
		}
		v.Middle, v.MiddleUpper, v.MiddlePeak = median(middle), quantile(middle, 0.75), slices.Max(append(middle, 0))
		v.Final, v.FinalPeak = median(final), slices.Max(append(final, 0))
		v.PerTenMinutes = 10 * slope(xs, ys)
		v.Plateau = v.Final <= v.MiddleUpper*(1+Tolerance)+s.Slack
		out = append(out, v)
	}
	return out, nil
}

// median is the middle value of vs (0 for none).
func median(vs []float64) float64 { return quantile(vs, 0.5) }

// quantile is the value of vs below which a share q of them lie (0 for
// none).
func quantile(vs []float64, q float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	vs = slices.Clone(vs)
	slices.Sort(vs)
	return vs[min(int(q*float64(len(vs))), len(vs)-1)]
}

// slope is the least-squares slope of ys over xs (0 with fewer than two
// distinct xs).
func slope(xs, ys []float64) float64 {
	n := float64(len(xs))
	if n < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}
