package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/batch/types"
	tea "github.com/charmbracelet/bubbletea"
)

func testSnapshot() topSnapshot {
	return topSnapshot{
		at: time.Date(2026, 11, 29, 12, 53, 42, 0, time.UTC),
		queues: []queueRow{{
			name: "default", state: "ENABLED", priority: 1, ces: []string{"default", "spot"},
			counts: map[types.JobStatus]int{types.JobStatusRunnable: 7, types.JobStatusRunning: 3, types.JobStatusSucceeded: 100},
			capped: map[types.JobStatus]bool{types.JobStatusSucceeded: true},
		}},
		ces: []ceRow{{
			name: "spot", state: "ENABLED", kind: "SPOT", min: 0, desired: 8, max: 64,
			reason: "ComputeEnvironment Healthy. Last scaling decision (2026-11-29T12:53:42Z): 7 RUNNABLE jobs need 7 vCPUs; launching 1 x c6i.2xlarge",
		}},
	}
}

// TestTopRendersAFrame draws a frame from a model, as the terminal would
// show it, without a terminal.
func TestTopRendersAFrame(t *testing.T) {
	m := topModel{endpoint: "http://127.0.0.1:8265", snap: testSnapshot(), width: 160}
	frame := m.View()
	for _, want := range []string{
		"tanda top — http://127.0.0.1:8265 — 12:53:42",
		"RUNNABLE", "SUCCEEDED",
		"default", "default,spot",
		"100+", // a capped count
		"(2026-11-29T12:53:42Z): 7 RUNNABLE jobs need 7 vCPUs; launching 1 x c6i.2xlarge",
	} {
		if !strings.Contains(frame, want) {
			t.Errorf("frame lacks %q:\n%s", want, frame)
		}
	}
	var queueLine string
	for _, l := range strings.Split(frame, "\n") {
		if strings.HasPrefix(l, "default ") {
			queueLine = l
		}
	}
	if got := strings.Fields(queueLine); len(got) < 10 || got[5] != "7" || got[7] != "3" {
		t.Errorf("queue line %q: want RUNNABLE 7 and RUNNING 3 in their columns", queueLine)
	}
	m.snap.err = errors.New("connection refused")
	if frame := m.View(); !strings.Contains(frame, "error: connection refused") {
		t.Errorf("a failed refresh is not shown:\n%s", frame)
	}
}

func TestTopUpdate(t *testing.T) {
	fetched := 0
	m := topModel{fetch: func() tea.Msg { fetched++; return testSnapshot() }, every: time.Second}
	if cmd := m.Init(); cmd == nil || cmd() == nil || fetched != 1 {
		t.Fatalf("Init does not fetch (fetched %d)", fetched)
	}
	next, cmd := m.Update(testSnapshot())
	if cmd == nil {
		t.Fatal("a snapshot schedules no next refresh")
	}
	if got := next.(topModel).snap.queues[0].name; got != "default" {
		t.Errorf("snapshot not kept: queue %q", got)
	}
	if _, cmd := next.Update(tickMsg(time.Now())); cmd == nil || cmd() == nil || fetched != 2 {
		t.Errorf("a tick does not fetch (fetched %d)", fetched)
	}
	next, _ = next.Update(tea.WindowSizeMsg{Width: 77})
	if next.(topModel).width != 77 {
		t.Error("the width is not kept")
	}
	_, cmd = next.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	if cmd == nil {
		t.Fatal("q does nothing")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("q does not quit")
	}
}

func TestArrayProgressLine(t *testing.T) {
	p := arrayProgress(map[string]int32{"SUCCEEDED": 5, "FAILED": 1, "RUNNING": 2, "RUNNABLE": 2}, 10)
	want := "[###############xxx............] 5 done, 2 running, 1 failed of 10"
	if got := p.line(); got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
	if got := arrayProgress(nil, 0).line(); got != "0 done, 0 running, 0 failed of 0" {
		t.Errorf("empty line = %q", got)
	}
}
