// Package localfleet is one-machine Tanda's fleet: its "instances" are
// in-process agents with declared vCPUs and memory, started and retired
// by the same provisioner decisions that launch EC2 instances on AWS.
package localfleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/provisioner"
)

// StartFunc starts an instance's agent and returns once it is running. The
// agent runs until ctx is done; done is closed when it has stopped.
type StartFunc func(ctx context.Context, ce string, inst provisioner.Instance) (done <-chan struct{}, err error)

// RetiredFunc is told when an instance is gone, so the control plane can
// forget it and end any attempt it still held.
type RetiredFunc func(ctx context.Context, ce, id string) error

// Fleet runs instances in this process.
type Fleet struct {
	start   StartFunc
	retired RetiredFunc
	clock   batch.Clock

	mu        sync.Mutex
	instances map[string]*instance
	tokens    map[string][]provisioner.Instance // launches by client token
}

type instance struct {
	ce     string
	info   provisioner.Instance
	cancel context.CancelFunc
	done   <-chan struct{}
}

// New returns an empty fleet.
func New(start StartFunc, retired RetiredFunc, clock batch.Clock) *Fleet {
	if clock == nil {
		clock = batch.SystemClock{}
	}
	return &Fleet{start: start, retired: retired, clock: clock, instances: map[string]*instance{}, tokens: map[string][]provisioner.Instance{}}
}

// Instances lists a compute environment's instances, by id.
func (f *Fleet) Instances(_ context.Context, ce string) ([]provisioner.Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []provisioner.Instance
	for _, in := range f.instances {
		if in.ce == ce {
			out = append(out, in.info)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out, nil
}

// Launch starts the requested instances. A repeated client token returns
// the instances its first call started, as EC2 does.
func (f *Fleet) Launch(ctx context.Context, req provisioner.LaunchRequest) ([]provisioner.Instance, error) {
	ce := req.CE.ComputeEnvironmentName
	f.mu.Lock()
	if prev, ok := f.tokens[req.ClientToken]; ok && req.ClientToken != "" {
		f.mu.Unlock()
		return prev, nil
	}
	f.mu.Unlock()
	spot := req.CE.ComputeResources != nil && req.CE.ComputeResources.Type == "SPOT"
	var launched []provisioner.Instance
	for _, item := range req.Items {
		for range item.Count {
			info := provisioner.Instance{
				ID: newInstanceID(), Type: item.Type.Name,
				VCPUs: item.Type.VCPUs, MemoryMiB: item.Type.MemoryMiB, GPUs: item.Type.GPUs,
				Spot: spot, LaunchedAt: f.clock.Now(), State: provisioner.InstanceRunning,
			}
			// The agent lives until the instance is retired, not until
			// this call returns.
			actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
			done, err := f.start(actx, ce, info)
			if err != nil {
				cancel()
				f.remember(req.ClientToken, launched)
				return launched, fmt.Errorf("starting agent of %s: %w", info.ID, err)
			}
			f.mu.Lock()
			f.instances[info.ID] = &instance{ce: ce, info: info, cancel: cancel, done: done}
			f.mu.Unlock()
			launched = append(launched, info)
		}
	}
	f.remember(req.ClientToken, launched)
	return launched, nil
}

func (f *Fleet) remember(token string, launched []provisioner.Instance) {
	if token == "" {
		return
	}
	f.mu.Lock()
	f.tokens[token] = launched
	if len(f.tokens) > 1000 { // tokens matter for minutes, not forever
		for k := range f.tokens {
			delete(f.tokens, k)
			break
		}
	}
	f.mu.Unlock()
}

// Terminate stops instances' agents and tells the control plane they are
// gone. Unknown ids are ignored.
func (f *Fleet) Terminate(ctx context.Context, ce string, ids []string) error {
	for _, id := range ids {
		in, ok := f.stop(id)
		if !ok {
			continue
		}
		if f.retired != nil {
			if err := f.retired(ctx, in.ce, id); err != nil {
				return fmt.Errorf("forgetting instance %s: %w", id, err)
			}
		}
	}
	return nil
}

// Crash stops an instance's agent as if its host had vanished: its jobs'
// processes are stopped, and the control plane is not told, so their
// attempts end when their leases lapse (judged by the control plane's
// clock). It plays the loss of an EC2 instance; chaos tests use it. An
// unknown id is an error.
func (f *Fleet) Crash(id string) error {
	if _, ok := f.stop(id); !ok {
		return fmt.Errorf("crashing instance %s: no such instance", id)
	}
	return nil
}

// stop removes an instance and stops its agent; ok is false if there is
// no such instance.
func (f *Fleet) stop(id string) (_ *instance, ok bool) {
	f.mu.Lock()
	in, ok := f.instances[id]
	if ok {
		delete(f.instances, id)
	}
	f.mu.Unlock()
	if ok {
		in.cancel()
		<-in.done
	}
	return in, ok
}

// Close retires every instance.
func (f *Fleet) Close(ctx context.Context) error {
	f.mu.Lock()
	byCE := map[string][]string{}
	for id, in := range f.instances {
		byCE[in.ce] = append(byCE[in.ce], id)
	}
	f.mu.Unlock()
	for ce, ids := range byCE {
		if err := f.Terminate(ctx, ce, ids); err != nil {
			return err
		}
	}
	return nil
}

// newInstanceID makes an EC2-like instance id.
func newInstanceID() string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	return "i-" + hex.EncodeToString(b[:])[:17]
}
