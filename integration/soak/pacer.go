package soak

import (
	"context"
	"slices"
	"sync"
	"time"
)

// maxLag is how far behind its schedule the pacer lets itself fall: slots
// older than this when their turn comes are skipped (and counted), rather
// than sent in a burst that would measure the burst, not the rate.
const maxLag = time.Second

// Pacer calls Submit Rate times a second, evenly spaced, from Workers
// goroutines, and keeps the figures of each interval (Take) and of the
// whole run.
type Pacer struct {
	Rate    float64
	Workers int
	Submit  func(ctx context.Context) error

	mu       sync.Mutex
	interval []time.Duration // latencies of acknowledged submissions since the last Take
	errs     int             // failed submissions since the last Take
	all      []time.Duration // every acknowledged submission's latency
	allErrs  int
	skipped  int // slots skipped because the pacer lagged more than maxLag
	lastErr  error
}

// slot says what to do with slot i (due at start + i/rate) at now: wait
// until it is due, send it, or skip it because it is more than maxLag late.
func slot(start time.Time, i int, rate float64, now time.Time) (wait time.Duration, skip bool) {
	due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
	if late := now.Sub(due); late > maxLag {
		return 0, true
	} else if late < 0 {
		return -late, false
	}
	return 0, false
}

// Run sends the d × Rate submissions due in d, until ctx is done, then
// waits for the calls in flight.
func (p *Pacer) Run(ctx context.Context, d time.Duration) {
	slots := make(chan struct{})
	var wg sync.WaitGroup
	for range max(p.Workers, 1) {
		wg.Go(func() {
			for range slots {
				t0 := time.Now()
				err := p.Submit(ctx)
				p.record(time.Since(t0), err, ctx.Err() != nil)
			}
		})
	}
	defer wg.Wait()
	defer close(slots)
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := range int(d.Seconds() * p.Rate) {
		wait, skip := slot(start, i, p.Rate, time.Now())
		if skip {
			p.mu.Lock()
			p.skipped++
			p.mu.Unlock()
			continue
		}
		if wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		select {
		case <-ctx.Done():
			return
		case slots <- struct{}{}:
		}
	}
}

// record counts one call. A call cut short by the end of the run is not
// counted: it neither failed nor was acknowledged.
func (p *Pacer) record(latency time.Duration, err error, ended bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err == nil:
		p.interval = append(p.interval, latency)
		p.all = append(p.all, latency)
	case ended:
	default:
		p.errs++
		p.allErrs++
		p.lastErr = err
	}
}

// Figures are a pacer's counts and latency percentiles.
type Figures struct {
	Acked, Errors, Skipped int
	P50, P99, Max          time.Duration
	LastErr                error
}

// Take returns the figures since the previous Take and starts a new
// interval.
func (p *Pacer) Take() Figures {
	p.mu.Lock()
	lat, errs := p.interval, p.errs
	p.interval, p.errs = nil, 0
	p.mu.Unlock()
	return figures(lat, errs)
}

// Total returns the figures of the whole run.
func (p *Pacer) Total() Figures {
	p.mu.Lock()
	lat := slices.Clone(p.all)
	f := figures(lat, p.allErrs)
	f.Skipped, f.LastErr = p.skipped, p.lastErr
	p.mu.Unlock()
	return f
}

func figures(lat []time.Duration, errs int) Figures {
	f := Figures{Acked: len(lat), Errors: errs}
	if len(lat) == 0 {
		return f
	}
	slices.Sort(lat)
	f.P50, f.P99, f.Max = percentile(lat, 0.50), percentile(lat, 0.99), lat[len(lat)-1]
	return f
}

// percentile is the nearest-rank percentile q of sorted values.
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
