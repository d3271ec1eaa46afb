package process

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestStop(t *testing.T) {
	tests := []struct {
		name       string
		mode       string
		killGrace  time.Duration // Options.KillGrace
		stops      []time.Duration
		wantCode   int
		wantSignal string
		minElapsed time.Duration
	}{
		{name: "SIGTERM honoured", mode: "block", stops: []time.Duration{time.Minute}, wantCode: 143, wantSignal: "SIGTERM"},
		{name: "SIGTERM ignored", mode: "ignoreterm", stops: []time.Duration{100 * time.Millisecond}, wantCode: 137, wantSignal: "SIGKILL", minElapsed: 100 * time.Millisecond},
		{name: "default grace", mode: "ignoreterm", killGrace: 50 * time.Millisecond, stops: []time.Duration{0}, wantCode: 137, wantSignal: "SIGKILL", minElapsed: 50 * time.Millisecond},
		{name: "second stop brings kill forward", mode: "ignoreterm", stops: []time.Duration{time.Minute, 50 * time.Millisecond}, wantCode: 137, wantSignal: "SIGKILL", minElapsed: 50 * time.Millisecond},
		{name: "later stop does not delay kill", mode: "ignoreterm", stops: []time.Duration{50 * time.Millisecond, time.Minute}, wantCode: 137, wantSignal: "SIGKILL", minElapsed: 50 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newRecorder()
			run := start(t, New(Options{KillGrace: tt.killGrace}), helperSpec(t, tt.mode), sink)
			sink.waitLine(t, Stdout, "ready")

			begin := time.Now()
			for _, grace := range tt.stops {
				run.Stop(grace)
			}
			res := waitResult(t, run)
			elapsed := time.Since(begin)
			if res.ExitCode != tt.wantCode || res.Signal != tt.wantSignal {
				t.Errorf("exit = %d %q, want %d %q", res.ExitCode, res.Signal, tt.wantCode, tt.wantSignal)
			}
			if want := "process killed by " + tt.wantSignal; res.Reason != want {
				t.Errorf("reason = %q, want %q", res.Reason, want)
			}
			if elapsed < tt.minElapsed {
				t.Errorf("stopped after %v, want at least %v", elapsed, tt.minElapsed)
			}
		})
	}
}

func TestStopAfterExitIsHarmless(t *testing.T) {
	run := start(t, New(Options{}), helperSpec(t, "exit", "0"), newRecorder())
	first := waitResult(t, run)
	run.Stop(time.Millisecond)
	run.Stop(0)
	if got := run.Wait(); got != first || got.ExitCode != 0 {
		t.Errorf("result after Stop = %+v, want %+v", got, first)
	}
}

func TestStopKillsChildren(t *testing.T) {
	sink := newRecorder()
	run := start(t, New(Options{}), helperSpec(t, "spawn"), sink)
	child := childPID(t, sink)
	sink.waitLine(t, Stdout, "ready")

	run.Stop(time.Second)
	if res := waitResult(t, run); res.ExitCode != 143 {
		t.Errorf("exit code = %d, want 143", res.ExitCode)
	}
	waitGone(t, child)
}

func TestGroupEndsWithLeader(t *testing.T) {
	sink := newRecorder()
	run := start(t, New(Options{}), helperSpec(t, "spawn", "exit"), sink)
	child := childPID(t, sink)

	// The child holds the output pipe: Wait returns promptly only because
	// the group is killed when the leader exits, not by the drain timeout.
	begin := time.Now()
	if res := waitResult(t, run); res.ExitCode != 0 {
		t.Errorf("exit code = %d, want 0", res.ExitCode)
	}
	if elapsed := time.Since(begin); elapsed >= drainTimeout {
		t.Errorf("Wait took %v, want less than the drain timeout %v", elapsed, drainTimeout)
	}
	waitGone(t, child)
}

func TestNoGoroutineLeft(t *testing.T) {
	before := runtime.NumGoroutine()
	rt := New(Options{KillGrace: 20 * time.Millisecond})
	for _, mode := range []string{"exit", "block", "ignoreterm"} {
		sink := newRecorder()
		run, err := rt.Start(t.Context(), helperSpec(t, mode, "0"), sink)
		if err != nil {
			t.Fatalf("Start %s: %v", mode, err)
		}
		if mode != "exit" {
			sink.waitLine(t, Stdout, "ready")
			run.Stop(0)
		}
		waitResult(t, run)
	}
	// The reaper closes done as its last act; give it a moment to return.
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines = %d, want at most %d", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
}

// childPID reads the pid the spawn helper reports for its child.
func childPID(t *testing.T, sink *recorder) int {
	t.Helper()
	l := sink.waitFor(t, func(l logLine) bool { return strings.HasPrefix(l.line, "child ") })
	pid, err := strconv.Atoi(strings.TrimPrefix(l.line, "child "))
	if err != nil {
		t.Fatalf("parsing %q: %v", l.line, err)
	}
	return pid
}
