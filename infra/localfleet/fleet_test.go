package localfleet

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/provisioner"
)

// agents plays the in-process agents: each runs until its context ends.
type agents struct {
	mu      sync.Mutex
	started map[string]string // instance → compute environment
	stopped []string
	retired []string
	fail    bool
}

func (a *agents) start(ctx context.Context, ce string, inst provisioner.Instance) (<-chan struct{}, error) {
	if a.fail {
		return nil, errors.New("no room")
	}
	a.mu.Lock()
	a.started[inst.ID] = ce
	a.mu.Unlock()
	done := make(chan struct{})
	go func() {
		<-ctx.Done()
		a.mu.Lock()
		a.stopped = append(a.stopped, inst.ID)
		a.mu.Unlock()
		close(done)
	}()
	return done, nil
}

func (a *agents) retire(_ context.Context, _, id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.retired = append(a.retired, id)
	return nil
}

func launchRequest(ce, token string, count int) provisioner.LaunchRequest {
	return provisioner.LaunchRequest{
		CE:          batch.ComputeEnvironment{ComputeEnvironmentName: ce, ComputeResources: &batch.ComputeResource{Type: "EC2"}},
		Items:       []provisioner.LaunchItem{{Type: provisioner.InstanceType{Name: "local.small", VCPUs: 2, MemoryMiB: 4096}, Count: count}},
		ClientToken: token,
	}
}

func TestLaunchListTerminate(t *testing.T) {
	ctx := context.Background()
	a := &agents{started: map[string]string{}}
	f := New(a.start, a.retire, nil)

	got, err := f.Launch(ctx, launchRequest("ce", "tok-1", 2))
	if err != nil || len(got) != 2 {
		t.Fatalf("Launch = %v, %v; want 2 instances", got, err)
	}
	for _, in := range got {
		if in.VCPUs != 2 || in.MemoryMiB != 4096 || in.State != provisioner.InstanceRunning || a.started[in.ID] != "ce" {
			t.Errorf("instance %+v: want a running 2-vCPU instance with its agent started in ce", in)
		}
	}
	// A retried launch with the same client token starts nothing new.
	again, err := f.Launch(ctx, launchRequest("ce", "tok-1", 2))
	if err != nil || len(again) != 2 || again[0].ID != got[0].ID {
		t.Fatalf("retried Launch = %v, %v; want the first call's instances", again, err)
	}
	if len(a.started) != 2 {
		t.Fatalf("%d agents started, want 2", len(a.started))
	}
	if other, _ := f.Instances(ctx, "other"); len(other) != 0 {
		t.Errorf("another compute environment lists %v", other)
	}

	if err := f.Terminate(ctx, "ce", []string{got[0].ID, "i-unknown"}); err != nil {
		t.Fatalf("Terminate: %v", err)
	}
	left, _ := f.Instances(ctx, "ce")
	if len(left) != 1 || left[0].ID != got[1].ID {
		t.Errorf("instances after terminate = %v, want only %s", left, got[1].ID)
	}
	if len(a.stopped) != 1 || a.stopped[0] != got[0].ID || len(a.retired) != 1 || a.retired[0] != got[0].ID {
		t.Errorf("stopped %v, retired %v; want %s's agent stopped, then the instance retired", a.stopped, a.retired, got[0].ID)
	}

	if err := f.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if left, _ := f.Instances(ctx, "ce"); len(left) != 0 || len(a.stopped) != 2 {
		t.Errorf("after Close: instances %v, agents stopped %v", left, a.stopped)
	}
}

func TestLaunchReportsAgentsThatCannotStart(t *testing.T) {
	a := &agents{started: map[string]string{}, fail: true}
	f := New(a.start, a.retire, nil)
	got, err := f.Launch(context.Background(), launchRequest("ce", "", 1))
	if err == nil || len(got) != 0 {
		t.Fatalf("Launch = %v, %v; want an error and no instances", got, err)
	}
}

// TestCrashStopsTheAgentUntold crashes an instance: its agent stops, it is
// no longer listed, and the control plane is not told (its attempts end
// when their leases lapse, as when a host vanishes).
func TestCrashStopsTheAgentUntold(t *testing.T) {
	ctx := context.Background()
	a := &agents{started: map[string]string{}}
	f := New(a.start, a.retire, nil)
	got, err := f.Launch(ctx, launchRequest("ce", "", 2))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Crash(got[0].ID); err != nil {
		t.Fatalf("Crash: %v", err)
	}
	a.mu.Lock()
	stopped, retired := a.stopped, a.retired
	a.mu.Unlock()
	if len(stopped) != 1 || stopped[0] != got[0].ID || len(retired) != 0 {
		t.Errorf("after the crash: stopped %v, retired %v; want stopped [%s], none retired", stopped, retired, got[0].ID)
	}
	left, _ := f.Instances(ctx, "ce")
	if len(left) != 1 || left[0].ID != got[1].ID {
		t.Errorf("instances after the crash = %v, want only %s", left, got[1].ID)
	}
	if err := f.Crash(got[0].ID); err == nil {
		t.Error("crashing a crashed instance: no error")
	}
}
