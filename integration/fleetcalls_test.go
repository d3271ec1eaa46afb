//go:build unix

package integration

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	// burstJobs is the size of the burst whose capacity is measured.
	burstJobs = 100
	// burstSubmitters submit the burst concurrently.
	burstSubmitters = 10
	// maxFleetCallsPerInstance is issue 4's target.
	maxFleetCallsPerInstance = 0.1
	// burstTimeout bounds the wait for the burst's capacity.
	burstTimeout = 45 * time.Second
)

// TestCreateFleetCallsPerLaunchedInstance measures how many CreateFleet
// calls the provisioner makes per instance it launches for a burst of
// 100 one-vCPU jobs (2 per m6i.large: 50 instances), counting every
// CreateFleet request the server sends to moto. No agent runs: the jobs
// stay RUNNABLE and the instances unregistered, inside the provisioner's
// registration timeout, so it has no reason to launch again.
func TestCreateFleetCallsPerLaunchedInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("launches 50 instances in moto")
	}
	var calls apiCalls
	p := startInProcess(t, calls.register)
	queue := p.createQueue(t, "burst", 0, 2*burstJobs)
	p.registerDefinition(t, "one-vcpu", "true")

	ctx := t.Context()
	start := time.Now()
	submitBurst(t, p, queue, "one-vcpu")
	submitted := time.Since(start)

	const wantInstances = burstJobs / 2 // m6i.large: 2 vCPUs, 2 jobs
	var launched int
	within(t, burstTimeout, fmt.Sprintf("%d instances launched for %d jobs", wantInstances, burstJobs), func() (bool, string) {
		live, err := p.liveInstances(ctx)
		if err != nil {
			return false, err.Error()
		}
		launched = len(live)
		return launched >= wantInstances, fmt.Sprintf("%d instances, %d CreateFleet calls", launched, calls.count("EC2.CreateFleet"))
	})
	elapsed := time.Since(start)
	fleetCalls := calls.count("EC2.CreateFleet")
	perInstance := float64(fleetCalls) / float64(launched)
	t.Logf("burst of %d jobs (submitted in %v): %d instances of %s launched in %v with %d CreateFleet calls: %.3f calls per instance (target <= %.1f)",
		burstJobs, submitted.Round(time.Millisecond), launched, measureType, elapsed.Round(time.Millisecond), fleetCalls, perInstance, maxFleetCallsPerInstance)
	if launched > wantInstances {
		t.Errorf("launched %d instances for %d one-vCPU jobs on 2-vCPU instances, want %d", launched, burstJobs, wantInstances)
	}
	if perInstance > maxFleetCallsPerInstance {
		t.Errorf("%d CreateFleet calls for %d instances = %.3f per instance, want <= %.1f", fleetCalls, launched, perInstance, maxFleetCallsPerInstance)
	}
}

// submitBurst submits burstJobs jobs from burstSubmitters goroutines,
// failing the test on the first error.
func submitBurst(t *testing.T, p *inProcess, queue, definition string) {
	t.Helper()
	ctx := t.Context()
	var next atomic.Int64
	errs := make(chan error, burstSubmitters) // one at most from each
	var wg sync.WaitGroup
	for range burstSubmitters {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < burstJobs; i = next.Add(1) - 1 {
				if _, err := p.submit(ctx, fmt.Sprintf("burst-%d", i), queue, definition); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
