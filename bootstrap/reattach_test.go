package bootstrap_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
)

// reattachingRuntime is the fake runtime plus executions an earlier agent
// left: job id → attempt.
type reattachingRuntime struct {
	*fakeRuntime
	left map[string]int

	mu      sync.Mutex
	removed []string
}

func (r *reattachingRuntime) Reattach(_ context.Context, instance string, keep func(string, int) (bootstrap.LogFunc, time.Time, bool)) ([]bootstrap.Reattached, error) {
	var out []bootstrap.Reattached
	for id, attempt := range r.left {
		logs, _, ok := keep(id, attempt)
		if !ok {
			r.mu.Lock()
			r.removed = append(r.removed, id)
			r.mu.Unlock()
			continue
		}
		e := &fakeExec{rt: r.fakeRuntime, logs: logs, done: make(chan struct{})}
		r.fakeRuntime.mu.Lock()
		r.fakeRuntime.execs[id] = e
		r.fakeRuntime.running++
		r.fakeRuntime.mu.Unlock()
		out = append(out, bootstrap.Reattached{JobID: id, Attempt: attempt, Execution: e})
	}
	return out, nil
}

func TestRestartedAgentReattachesToHeldAttemptsOnly(t *testing.T) {
	cfg := testConfig(t)
	h := newHarness(t, cfg, "q")
	held := newJob("held", "q", small)
	held.Status, held.Internal.Attempt, held.Internal.Instance = batch.Running, 1, instanceID
	held.Attempts = []batch.AttemptDetail{{}}
	h.ctl.put(held)
	rt := &reattachingRuntime{fakeRuntime: h.rt, left: map[string]int{"held": 1, "stale": 2}}
	h.agent = bootstrap.New(h.ctl, h.queue, rt, h.logs, cfg)
	h.start()

	e := h.started("held")
	if got := h.rt.started(); len(got) != 0 {
		t.Fatalf("the runtime started %v; a held attempt must be followed, not run again", got)
	}
	waitFor(t, "the stale execution to be removed", func() bool {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		return len(rt.removed) == 1 && rt.removed[0] == "stale"
	})
	if h.agent.Running() != 1 {
		t.Errorf("running = %d, want the re-attached attempt counted", h.agent.Running())
	}
	e.emit("after the restart")
	e.exit(0)
	got := h.finished("held")
	if got.Attempt != 1 || got.Outcome.ExitCode == nil || *got.Outcome.ExitCode != 0 {
		t.Errorf("reported %+v, want attempt 1 with exit code 0", got)
	}
	if len(h.callsFor("Heartbeat", "held"))+len(h.callsFor("MarkRunning", "held")) == 0 {
		t.Error("the re-attached attempt was neither marked running nor heartbeaten")
	}
}
