package bootstrap_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/control"
)

func TestEvacuateHandsRunningAttemptsBackAsLostWithTheHost(t *testing.T) {
	cfg := testConfig(t)
	h := newHarness(t, cfg, "q")
	h.start()
	h.submit(newJob("done-before", "q", small))
	h.started("done-before").exit(0)
	h.finished("done-before")
	h.submit(newJob("running", "q", small))
	e := h.started("running")

	const grace = 7 * time.Second
	if err := h.agent.Evacuate(context.Background(), grace); err != nil {
		t.Fatalf("Evacuate() = %v, want nil", err)
	}
	if got := h.agent.Running(); got != 0 {
		t.Errorf("Running() = %d after Evacuate returned, want 0", got)
	}
	if got := e.graces(); !slices.Equal(got, []time.Duration{grace}) {
		t.Errorf("Stop graces = %v, want [%v]", got, grace)
	}
	tests := []struct {
		job        string
		wantReason string
		wantExit   *int
	}{
		{"done-before", "", intPtr(0)},
		{"running", control.HostTerminatedReason(instanceID), nil},
	}
	for _, tt := range tests {
		got := h.finished(tt.job).Outcome
		if got.StatusReason != tt.wantReason {
			t.Errorf("job %s: reported statusReason %q, want %q", tt.job, got.StatusReason, tt.wantReason)
		}
		if (got.ExitCode == nil) != (tt.wantExit == nil) || (got.ExitCode != nil && *got.ExitCode != *tt.wantExit) {
			t.Errorf("job %s: reported exit code %v, want %v", tt.job, ptrString(got.ExitCode), ptrString(tt.wantExit))
		}
	}

	// An evacuated agent is draining: it takes no new work.
	h.submit(newJob("after", "q", small))
	time.Sleep(quiet(cfg))
	if h.rt.exec("after") != nil {
		t.Error("an evacuated agent started a new job")
	}
	reps := h.ctl.reported()
	if len(reps) == 0 || !reps[len(reps)-1].Draining {
		t.Error("the instance was not reported draining")
	}
}

func TestEvacuateWaitsForTheAttemptsToStop(t *testing.T) {
	h := newHarness(t, testConfig(t), "q")
	// The report of the stopped attempt is held up: Evacuate waits for it
	// until its context ends.
	release := make(chan struct{})
	defer close(release)
	h.ctl.onFinish = func(string) { <-release }
	h.start()
	h.submit(newJob("slow", "q", small))
	h.started("slow")

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := h.agent.Evacuate(ctx, time.Second); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Evacuate() = %v, want %v while the attempt is still being reported", err, context.DeadlineExceeded)
	}
}

func ptrString(p *int) string {
	if p == nil {
		return "nil"
	}
	return strconv.Itoa(*p)
}
