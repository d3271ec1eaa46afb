package bootstrap_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/control"
)

func TestRunStopsJobsWhenItsContextEnds(t *testing.T) {
	h := newHarness(t, testConfig(t), "q")
	h.submit(newJob("j", "q", small))
	h.start()
	e := h.started("j")
	waitFor(t, "a heartbeat", func() bool { return len(h.callsFor("Heartbeat", "j")) > 0 })

	if err := h.stop(); err != nil {
		t.Errorf("Run() = %v, want nil after its context ended", err)
	}
	if e.running() || len(e.graces()) == 0 {
		t.Errorf("execution running %v after %d Stop calls, want it stopped", e.running(), len(e.graces()))
	}
	if got := h.agent.Running(); got != 0 {
		t.Errorf("Running() = %d after Run returned, want 0", got)
	}
	// The attempt is abandoned: its lease lapses and the control plane
	// ends it as a lost host.
	if got := h.callsFor("FinishAttempt", "j"); len(got) != 0 {
		t.Errorf("FinishAttempt calls = %+v, want none", got)
	}
}

func TestRunFailsWhenItCannotRegister(t *testing.T) {
	h := newHarness(t, testConfig(t), "q")
	h.ctl.reportErr = errors.New("control plane unreachable")
	h.submit(newJob("j", "q", small))
	h.start()

	if err := h.stop(); !errors.Is(err, h.ctl.reportErr) {
		t.Errorf("Run() = %v, want it to wrap %v", err, h.ctl.reportErr)
	}
	if got := h.ctl.callsOf("Claim"); len(got) != 0 {
		t.Errorf("claims = %+v, want none from an unregistered instance", got)
	}
}

func TestAgentReportsLoadWhenBusyAndIdle(t *testing.T) {
	cfg := testConfig(t)
	cfg.GPUs = 1
	cfg.ReportEvery = time.Hour // every report in this test is a prompt one
	h := newHarness(t, cfg, "q")
	h.start()

	waitFor(t, "the instance to register", func() bool { return len(h.ctl.reported()) > 0 })
	reg := h.ctl.reported()[0]
	want := control.InstanceRecord{ID: instanceID, ComputeEnvironment: ceName, InstanceType: "test.large", VCPUs: 2, MemoryMiB: 4096, GPUs: 1}
	if reg != want {
		t.Errorf("registration = %+v, want %+v", reg, want)
	}

	h.submit(newJob("j", "q", resources{vcpus: 1, memory: 512}))
	e := h.started("j")
	var busy control.InstanceRecord
	waitFor(t, "a report of the busy instance", func() bool {
		r := h.ctl.reported()
		busy = r[len(r)-1]
		return busy.RunningJobs == 1
	})
	if busy.UsedVCPUs != 1 || busy.UsedMemoryMiB != 512 || busy.LastBusyAt == 0 {
		t.Errorf("busy report = %+v, want 1 vCPU, 512 MiB in use and LastBusyAt set", busy)
	}

	e.exit(0)
	h.finished("j")
	waitFor(t, "a report of the idle instance", func() bool {
		r := h.ctl.reported()
		last := r[len(r)-1]
		return last.RunningJobs == 0 && last.UsedVCPUs == 0 && last.UsedMemoryMiB == 0 && last.LastBusyAt >= busy.LastBusyAt
	})
}
