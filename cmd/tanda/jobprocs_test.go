//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// jobProcess is a live process whose working directory lies under a data
// directory's work tree: a job's process or one of its children.
type jobProcess struct {
	PID int
	Cwd string
}

// jobProcesses lists, from /proc, the processes working under root.
// Processes that end while being read are skipped.
func jobProcesses(root string) ([]jobProcess, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	prefix := filepath.Clean(root) + string(filepath.Separator)
	var out []jobProcess
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil {
			continue // gone, a zombie, or not ours to read
		}
		if strings.HasPrefix(cwd, prefix) {
			out = append(out, jobProcess{PID: pid, Cwd: cwd})
		}
	}
	return out, nil
}

// killJobProcesses SIGKILLs every process working under root until none
// is left, so that a test leaves nothing running behind it. It returns how
// many it killed.
func killJobProcesses(root string, timeout time.Duration) (int, error) {
	killed := map[int]bool{}
	deadline := time.Now().Add(timeout)
	for {
		procs, err := jobProcesses(root)
		if err != nil {
			return len(killed), err
		}
		if len(procs) == 0 {
			return len(killed), nil
		}
		if time.Now().After(deadline) {
			return len(killed), fmt.Errorf("%d processes still running under %s after %v: %v", len(procs), root, timeout, procs)
		}
		for _, p := range procs {
			if err := syscall.Kill(p.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				return len(killed), fmt.Errorf("killing process %d: %w", p.PID, err)
			}
			killed[p.PID] = true
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cleanUpJobProcesses kills, when the test ends, whatever still runs under
// root's work tree, and fails the test if that cannot be done.
func cleanUpJobProcesses(t *testing.T, root string) {
	t.Helper()
	t.Cleanup(func() {
		n, err := killJobProcesses(root, 10*time.Second)
		if err != nil {
			t.Errorf("cleaning up job processes: %v", err)
		}
		if n > 0 {
			t.Logf("killed %d job processes left under %s", n, root)
		}
	})
}
