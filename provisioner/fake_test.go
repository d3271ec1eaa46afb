package provisioner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// fakeClock is a settable clock.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// fakeObserver serves compute environments, demand and loads from maps and
// records decisions.
type fakeObserver struct {
	mu        sync.Mutex
	ces       []batch.ComputeEnvironment
	demand    map[string][]Job
	loads     map[string]map[string]Load
	decisions map[string][]batch.ScalingDecision
	// onList runs on every ComputeEnvironments call.
	onList func(calls int)
	calls  int
	// forgottenCEs and forgottenInstances record the Forget calls.
	forgottenCEs       []string
	forgottenInstances []string
}

func newFakeObserver(ces ...batch.ComputeEnvironment) *fakeObserver {
	return &fakeObserver{
		ces: ces, demand: map[string][]Job{}, loads: map[string]map[string]Load{},
		decisions: map[string][]batch.ScalingDecision{},
	}
}

func (o *fakeObserver) ComputeEnvironments(context.Context) ([]batch.ComputeEnvironment, error) {
	o.mu.Lock()
	o.calls++
	calls, onList := o.calls, o.onList
	o.mu.Unlock()
	if onList != nil {
		onList(calls)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.ces), nil
}

func (o *fakeObserver) Demand(_ context.Context, ce string, limit int, waitedSince time.Time) ([]DemandRun, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	jobs := o.demand[ce]
	return RunsOf(jobs[:min(limit, len(jobs))], waitedSince), nil
}

func (o *fakeObserver) Loads(_ context.Context, ce string) (map[string]Load, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.loads[ce], nil
}

func (o *fakeObserver) RecordDecision(_ context.Context, ce string, d batch.ScalingDecision) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.decisions[ce] = append(o.decisions[ce], d)
	return nil
}

func (o *fakeObserver) ForgetComputeEnvironment(_ context.Context, ce string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.forgottenCEs = append(o.forgottenCEs, ce)
	o.ces = slices.DeleteFunc(o.ces, func(c batch.ComputeEnvironment) bool { return c.ComputeEnvironmentName == ce })
	return nil
}

func (o *fakeObserver) ForgetInstance(_ context.Context, ce, id string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.forgottenInstances = append(o.forgottenInstances, id)
	delete(o.loads[ce], id)
	return nil
}

func (o *fakeObserver) lastDecision(ce string) batch.ScalingDecision {
	o.mu.Lock()
	defer o.mu.Unlock()
	ds := o.decisions[ce]
	if len(ds) == 0 {
		return batch.ScalingDecision{}
	}
	return ds[len(ds)-1]
}

// fakeFleet launches instances in memory. Types in noCapacity fail with
// InsufficientCapacityError while the others of the same call launch; a
// repeated client token returns the first call's instances.
type fakeFleet struct {
	clock      batch.Clock
	instances  map[string][]Instance
	noCapacity map[string]bool
	listErr    map[string]error
	launchErr  error
	launches   []LaunchRequest
	terminated []string
	byToken    map[string][]Instance
	nextID     int
}

func newFakeFleet(clock batch.Clock) *fakeFleet {
	return &fakeFleet{
		clock: clock, instances: map[string][]Instance{}, noCapacity: map[string]bool{},
		listErr: map[string]error{}, byToken: map[string][]Instance{},
	}
}

func (f *fakeFleet) Instances(_ context.Context, ce string) ([]Instance, error) {
	if err := f.listErr[ce]; err != nil {
		return nil, err
	}
	return append([]Instance(nil), f.instances[ce]...), nil
}

func (f *fakeFleet) Launch(_ context.Context, req LaunchRequest) ([]Instance, error) {
	f.launches = append(f.launches, req)
	if f.launchErr != nil {
		return nil, f.launchErr
	}
	if got, ok := f.byToken[req.ClientToken]; ok {
		return got, nil
	}
	ce := req.CE.ComputeEnvironmentName
	var got []Instance
	var errs []error
	for _, it := range req.Items {
		if f.noCapacity[it.Type.Name] {
			errs = append(errs, NewInsufficientCapacityError(it.Type.Name, "us-east-1a", errors.New("InsufficientInstanceCapacity")))
			continue
		}
		for range it.Count {
			f.nextID++
			inst := Instance{
				ID: fmt.Sprintf("i-%03d", f.nextID), Type: it.Type.Name, VCPUs: it.Type.VCPUs,
				MemoryMiB: it.Type.MemoryMiB, GPUs: it.Type.GPUs, LaunchedAt: f.clock.Now(), State: InstancePending,
			}
			got = append(got, inst)
		}
	}
	f.byToken[req.ClientToken] = got
	f.instances[ce] = append(f.instances[ce], got...)
	return got, errors.Join(errs...)
}

func (f *fakeFleet) Terminate(_ context.Context, ce string, ids []string) error {
	f.terminated = append(f.terminated, ids...)
	gone := map[string]bool{}
	for _, id := range ids {
		gone[id] = true
	}
	var kept []Instance
	for _, inst := range f.instances[ce] {
		if !gone[inst.ID] {
			kept = append(kept, inst)
		}
	}
	f.instances[ce] = kept
	return nil
}
