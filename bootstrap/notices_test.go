package bootstrap_test

import (
	"context"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/imds"
)

// notices reports one Spot interruption notice, then waits.
type notices struct{ fire chan struct{} }

func (n notices) Run(ctx context.Context, on func(imds.Event)) {
	select {
	case <-ctx.Done():
	case <-n.fire:
		on(imds.Event{Kind: imds.KindSpotInterruption, Action: "terminate", Time: time.Now().Add(2 * time.Minute)})
		<-ctx.Done()
	}
}

func TestAgentDrainsOnAnInterruptionNotice(t *testing.T) {
	cfg := testConfig(t)
	n := notices{fire: make(chan struct{})}
	cfg.Notices = n
	h := newHarness(t, cfg, "q")
	h.agent = bootstrap.New(h.ctl, h.queue, h.rt, h.logs, cfg)
	h.start()

	h.submit(newJob("before", "q", small))
	e := h.started("before")
	close(n.fire)
	waitFor(t, "the draining to be reported", func() bool {
		reps := h.ctl.reported()
		return len(reps) > 0 && reps[len(reps)-1].Draining
	})
	// The running job goes on; no new job is taken.
	h.submit(newJob("after", "q", small))
	time.Sleep(quiet(cfg))
	if got := h.rt.exec("after"); got != nil {
		t.Fatal("a draining agent started a new job")
	}
	e.exit(0)
	h.finished("before")
}

func TestAgentPassesTheComputeEnvironmentsAllowances(t *testing.T) {
	cfg := testConfig(t)
	h := newHarness(t, cfg, "q")
	h.ctl.ceTags = map[string]string{bootstrap.AllowTag: "privileged, devices"}
	h.start()
	h.submit(newJob("j", "q", small))
	e := h.started("j")
	if got := e.spec.Allowed; len(got) != 2 || got[0] != "privileged" || got[1] != "devices" {
		t.Errorf("RunSpec.Allowed = %q, want the compute environment's [privileged devices]", got)
	}
	e.exit(0)
	h.finished("j")
}
