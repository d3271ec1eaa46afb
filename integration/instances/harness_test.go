//go:build unix

package instances_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/integration/instances"
)

// sleeper is an agent that prints its arguments and environment and
// waits to be killed.
var sleeper = []string{"sh", "-c", `echo "dir=$0"; env; exec sleep 300`, instances.InstanceDir}

func options(ec2 instances.EC2API, clock batch.Clock, command []string) instances.Options {
	return instances.Options{
		EC2: ec2, Stack: "s1", Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Command:     command, Env: []string{"EXTRA=1"},
		Every: 5 * time.Millisecond, Clock: clock,
	}
}

// await waits for cond, failing the test after 10s.
func await(t *testing.T, h *instances.Harness, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := h.Await(ctx, cond); err != nil {
		t.Fatalf("waiting until %s: %v", what, err)
	}
}

func agentsAre(h *instances.Harness, want ...string) func() bool {
	return func() bool { return slices.Equal(h.Agents(), want) }
}

func TestAgentPerRunningInstanceOfTheStack(t *testing.T) {
	t.Setenv("AWS_PROFILE", "from-the-test") // must not reach the agents
	f := &fakeEC2{}
	f.add("i-1", "s1", "", "#!/bin/sh\n")
	f.add("i-2", "other-stack", "", "")
	f.add("i-3", "s1", ec2types.InstanceLifecycleTypeSpot, "")
	h := instances.Run(t, options(f, nil, sleeper))
	await(t, h, "i-1 and i-3 have agents", agentsAre(h, "i-1", "i-3"))

	a, ok := h.Agent("i-1")
	if !ok || !a.Live || !a.InstanceRunning || a.PID == 0 {
		t.Fatalf("Agent(i-1) = %+v, %v; want a live agent", a, ok)
	}
	if _, ok := h.Agent("i-2"); ok {
		t.Errorf("the harness played i-2, an instance of another stack")
	}
	if m := a.Metadata; m.AccountID != "123456789012" || m.Lifecycle != "on-demand" || string(m.UserData) != "#!/bin/sh\n" {
		t.Errorf("metadata of i-1 = %+v, want account 123456789012, on-demand, its user data", m)
	}
	if a3, _ := h.Agent("i-3"); a3.Metadata.Lifecycle != "spot" {
		t.Errorf("lifecycle of i-3 = %q, want spot", a3.Metadata.Lifecycle)
	}
	env := readWhenContains(t, a.LogFile, "EXTRA=1")
	for _, want := range []string{
		"dir=" + a.Dir, "AWS_EC2_METADATA_SERVICE_ENDPOINT=" + a.IMDS, "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret", "TMPDIR=" + a.Dir,
	} {
		if !slices.Contains(env, want) {
			t.Errorf("agent environment lacks %s", want)
		}
	}
	if slices.Contains(env, "AWS_PROFILE=from-the-test") {
		t.Errorf("agent environment has the test's AWS_PROFILE")
	}

	f.setState("i-1", ec2types.InstanceStateNameShuttingDown)
	await(t, h, "i-1's agent is killed", agentsAre(h, "i-3"))
	a, _ = h.Agent("i-1")
	if !a.Killed || a.Live || a.InstanceRunning || !killedBySIGKILL(a.Err) {
		t.Errorf("Agent(i-1) after termination = %+v, want killed by SIGKILL", a)
	}
	if err := syscall.Kill(a.PID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("signal 0 to the killed agent's pid: %v, want ESRCH", err)
	}

	h.Stop()
	if got := h.Agents(); len(got) != 0 {
		t.Errorf("Agents after Stop = %v, want none", got)
	}
	if a, _ := h.Agent("i-3"); !a.Killed || a.Live {
		t.Errorf("Agent(i-3) after Stop = %+v, want killed", a)
	}
}

func TestInterruptTerminatesAtTheNoticeTime(t *testing.T) {
	clock := batchtest.NewClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	f := &fakeEC2{}
	f.add("i-1", "s1", ec2types.InstanceLifecycleTypeSpot, "")
	f.add("i-2", "s1", ec2types.InstanceLifecycleTypeSpot, "")
	h := instances.Run(t, options(f, clock, sleeper))
	await(t, h, "both have agents", agentsAre(h, "i-1", "i-2"))
	a, _ := h.Agent("i-1")
	c := imds.New(a.IMDS, imds.Options{})

	if err := h.Rebalance("i-1"); err != nil {
		t.Fatalf("Rebalance: %v", err)
	}
	if r, err := c.RebalanceRecommendation(t.Context()); err != nil || r == nil || !r.NoticeTime.Equal(clock.Now()) {
		t.Errorf("rebalance recommendation = %+v, %v; want one noticed now", r, err)
	}
	if err := h.Interrupt("i-1", 2*time.Minute+500*time.Millisecond); err != nil {
		t.Fatalf("Interrupt: %v", err)
	}
	want := imds.Interruption{Action: "terminate", Time: clock.Now().Add(2*time.Minute + time.Second)}
	if n, err := c.SpotInterruption(t.Context()); err != nil || n == nil || *n != want {
		t.Errorf("spot notice = %+v, %v; want %+v", n, err, want)
	}
	polls := 0
	await(t, h, "three polls", func() bool { polls++; return polls > 3 })
	if calls := f.terminateCalls(); len(calls) != 0 {
		t.Fatalf("TerminateInstances called before the notice time: %v", calls)
	}

	clock.Advance(2*time.Minute + time.Second)
	await(t, h, "i-1's agent is killed", agentsAre(h, "i-2"))
	if calls := f.terminateCalls(); len(calls) != 1 || !slices.Equal(calls[0], []string{"i-1"}) {
		t.Errorf("TerminateInstances calls = %v, want one for i-1", calls)
	}
	if a, _ := h.Agent("i-1"); !a.Killed || !a.InterruptAt.Equal(want.Time) {
		t.Errorf("Agent(i-1) = %+v, want killed after its interruption at %v", a, want.Time)
	}

	for _, id := range []string{"i-1", "i-9"} {
		if err := h.Interrupt(id, time.Minute); err == nil {
			t.Errorf("Interrupt(%s) of an instance not running: no error", id)
		}
		if err := h.Rebalance(id); err == nil {
			t.Errorf("Rebalance(%s) of an instance not running: no error", id)
		}
	}
}

func TestAgentThatCannotStartIsNotRetried(t *testing.T) {
	f := &fakeEC2{}
	f.add("i-1", "s1", "", "")
	h := instances.Run(t, options(f, nil, []string{"/nonexistent/tanda", "agent"}))
	polls := 0
	await(t, h, "three polls", func() bool { polls++; return polls > 3 })
	a, ok := h.Agent("i-1")
	if !ok || a.Live || a.PID != 0 || a.Err == nil || !strings.Contains(a.Err.Error(), "starting the agent of i-1") {
		t.Errorf("Agent(i-1) = %+v, %v; want a start error", a, ok)
	}
	if got := h.All(); len(got) != 1 {
		t.Errorf("All = %+v, want the one instance", got)
	}
}

func TestStartFailsWhenEC2Does(t *testing.T) {
	f := &fakeEC2{describeErr: errors.New("UnauthorizedOperation")}
	opts := options(f, nil, sleeper)
	opts.Dir = t.TempDir()
	h, err := instances.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(t.Context()); err == nil || !strings.Contains(err.Error(), "UnauthorizedOperation") {
		t.Errorf("Start = %v, want the DescribeInstances error", err)
	}
	h.Stop() // after a failed Start, and twice, is fine
	h.Stop()
	if err := h.Start(t.Context()); err == nil {
		t.Errorf("Start after Stop: no error")
	}
}

func TestNewNamesWhatIsMissing(t *testing.T) {
	_, err := instances.New(instances.Options{})
	for _, want := range []string{"EC2", "stack", "region", "credentials", "command", "directory"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(zero options) = %v, want it to name the %s", err, want)
		}
	}
}

// readWhenContains reads the lines of the file at path once it contains
// line, which the agent writes.
func readWhenContains(t *testing.T, path, line string) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, err := os.ReadFile(path)
		lines := strings.Split(string(data), "\n")
		if err == nil && slices.Contains(lines, line) {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s lacks %q after 10s (%v): %q", path, line, err, data)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func killedBySIGKILL(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// TestKillAgentKillsItsJobsAndRestartAgentStartsAnother: an agent whose
// job runs in a session of its own (as the process runtime's jobs run in
// process groups of their own) is killed with its job, the instance goes
// on running, and a new agent starts on it; terminating the instance then
// kills the new agent's job too.
func TestKillAgentKillsItsJobsAndRestartAgentStartsAnother(t *testing.T) {
	f := &fakeEC2{}
	f.add("i-1", "s1", "", "")
	// The "job" is a sleep in a session of its own under the instance's
	// directory; it writes its pid where the test finds it.
	agent := []string{"sh", "-c", `mkdir -p "$0/work" && cd "$0/work" && setsid sh -c 'echo $$ > pid.$PPID; exec sleep 300' & exec sleep 300`, instances.InstanceDir}
	h := instances.Run(t, options(f, nil, agent))
	await(t, h, "i-1 has an agent", agentsAre(h, "i-1"))
	a, _ := h.Agent("i-1")
	job := readPID(t, a.Dir+"/work", a.PID)

	pid, err := h.KillAgent("i-1")
	if err != nil || pid != a.PID {
		t.Fatalf("KillAgent = %d, %v; want %d", pid, err, a.PID)
	}
	if !dead(job) {
		t.Errorf("the killed agent's job (pid %d) is still running", job)
	}
	if got, _ := h.Agent("i-1"); got.Live || !got.InstanceRunning || got.Killed {
		t.Errorf("after KillAgent: %+v, want the agent dead and the instance running", got)
	}
	if _, err := h.KillAgent("i-1"); err == nil {
		t.Errorf("KillAgent of a dead agent: no error")
	}

	if err := h.RestartAgent("i-1", "RESTARTED=1"); err != nil {
		t.Fatalf("RestartAgent: %v", err)
	}
	b, _ := h.Agent("i-1")
	if !b.Live || b.PID == a.PID || b.Restarts != 1 || b.LogFile == a.LogFile {
		t.Fatalf("after RestartAgent: %+v, want a new live agent with its own log", b)
	}
	if err := h.RestartAgent("i-1"); err == nil {
		t.Errorf("RestartAgent of a live agent: no error")
	}
	job2 := readPID(t, b.Dir+"/work", b.PID)

	f.setState("i-1", ec2types.InstanceStateNameShuttingDown)
	await(t, h, "i-1's agent is killed", agentsAre(h))
	if !dead(job2) {
		t.Errorf("the job (pid %d) of the terminated instance is still running", job2)
	}
	if err := h.RestartAgent("i-1"); err == nil {
		t.Errorf("RestartAgent on a terminated instance: no error")
	}
}

// readPID waits for the pid the test agent's job wrote in dir/pid.<agent>.
func readPID(t *testing.T, dir string, agent int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, err := os.ReadFile(dir + "/pid." + strconv.Itoa(agent))
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && perr == nil {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid from the job of agent %d after 10s: %v", agent, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dead tells whether the process is gone or, killed, waits as a zombie
// for whoever adopted it to reap it; it gives the kill a second.
func dead(pid int) bool {
	deadline := time.Now().Add(time.Second)
	for {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return true
		}
		// pid (comm) STATE ...: comm may hold spaces, so read after the last ')'.
		if rest := stat[strings.LastIndexByte(string(stat), ')')+1:]; len(rest) > 1 && rest[1] == 'Z' {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
