//go:build unix

package instances

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// KillAgent kills the instance's agent with SIGKILL, as a crash or an
// OOM kill would, and then, as systemd does for the agent's unit
// (KillMode=mixed), every process left on the instance: the agent's jobs.
// The instance stays running in EC2 and its IMDS keeps answering;
// RestartAgent starts a new agent on it. It returns the killed agent's
// pid.
func (h *Harness) KillAgent(instanceID string) (int, error) {
	in, err := h.live(instanceID)
	if err != nil {
		return 0, fmt.Errorf("killing the agent of %s: %w", instanceID, err)
	}
	h.mu.Lock()
	proc := in.proc
	h.mu.Unlock()
	if proc == nil || proc.Exited() {
		return 0, fmt.Errorf("killing the agent of %s: it is not running", instanceID)
	}
	proc.Kill()
	if err := killStrays(in.dir); err != nil {
		return proc.PID(), fmt.Errorf("killing what the agent of %s left running: %w", instanceID, err)
	}
	h.logf("instance harness: killed the agent of %s (pid %d) and its jobs", instanceID, proc.PID())
	h.broadcast()
	return proc.PID(), nil
}

// RestartAgent starts a new agent on a running instance whose agent has
// ended, as systemd's Restart=on-failure does, with extra added to its
// environment. Its output goes to agent-N.log in the instance's directory.
func (h *Harness) RestartAgent(instanceID string, extra ...string) error {
	in, err := h.live(instanceID)
	if err != nil {
		return fmt.Errorf("restarting the agent of %s: %w", instanceID, err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if in.gone {
		return fmt.Errorf("restarting the agent of %s: the instance is no longer running", instanceID)
	}
	if in.running() {
		return fmt.Errorf("restarting the agent of %s: it is running", instanceID)
	}
	in.restarts++
	in.logFile = filepath.Join(in.dir, "agent-"+strconv.Itoa(in.restarts+1)+".log")
	env := append(h.agentEnv(in, in.own), extra...)
	if err := in.start(in.command, env); err != nil {
		in.startErr = err
		return err
	}
	in.startErr = nil
	h.logf("instance harness: restarted the agent of %s, pid %d, log %s", instanceID, in.proc.PID(), in.logFile)
	return nil
}

// killStrays kills, with SIGKILL, every process whose working directory is
// dir or under it: what an instance's agent left running there (its jobs,
// which run in process groups of their own). Processes that start while
// it looks are found on the next pass; it gives up after ten passes.
func killStrays(dir string) error {
	dir = filepath.Clean(dir)
	for range 10 {
		pids, err := processesUnder(dir)
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			return nil
		}
		for _, pid := range pids {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("killing pid %d: %w", pid, err)
			}
		}
	}
	return fmt.Errorf("processes under %s keep starting", dir)
}

// processesUnder lists the processes whose working directory is dir or
// under it, from /proc.
func processesUnder(dir string) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil {
			continue // gone, or a zombie: nothing to kill
		}
		if cwd == dir || strings.HasPrefix(cwd, dir+string(filepath.Separator)) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}
