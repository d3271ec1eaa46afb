package process

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// An agent killed with SIGKILL leaves its jobs running; the next agent on
// the same work directory finds their process groups and kills them,
// children included.
func TestReapOrphansKillsLeftoverGroups(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "i-1", "job-1")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rt := New(Options{})
	rec := newRecorder()
	run := start(t, rt, Spec{JobID: "job", Attempt: 1, WorkDir: dir,
		Command: []string{"sh", "-c", "sleep 30 & echo child $!; wait"}}, rec)
	line := rec.waitFor(t, func(l logLine) bool { return strings.HasPrefix(l.line, "child ") })
	var child int
	if _, err := fmt.Sscan(strings.TrimPrefix(line.line, "child "), &child); err != nil {
		t.Fatalf("child pid in %q: %v", line.line, err)
	}

	killed, err := ReapOrphans(root)
	if err != nil || killed != 1 {
		t.Fatalf("ReapOrphans = %d, %v; want 1 group killed", killed, err)
	}
	res := waitResult(t, run)
	if res.ExitCode != 128+int(syscall.SIGKILL) {
		t.Errorf("job exit code = %d, want %d (SIGKILL)", res.ExitCode, 128+int(syscall.SIGKILL))
	}
	deadline := time.Now().Add(5 * time.Second)
	for !gone(child) {
		if time.Now().After(deadline) {
			t.Fatalf("the job's child %d survived", child)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The group is gone: a second reap kills nothing, even if the pid is
	// reused later (the recorded start time no longer matches).
	if killed, err := ReapOrphans(root); err != nil || killed != 0 {
		t.Errorf("second ReapOrphans = %d, %v; want 0", killed, err)
	}
	if killed, err := ReapOrphans(filepath.Join(root, "missing")); err != nil || killed != 0 {
		t.Errorf("ReapOrphans of a missing directory = %d, %v; want 0, nil", killed, err)
	}
}
