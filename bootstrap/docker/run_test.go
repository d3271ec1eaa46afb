package docker

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/tanda-batch/tanda/bootstrap"
)

func TestEnvironmentAndArguments(t *testing.T) {
	r, instance := newRuntime(t, Options{})
	spec := jobSpec(instance, "job-env", "env", "two words", "", "$HOME")
	spec.Env = append(spec.Env, "AWS_BATCH_JQ_NAME=q1", "GREETING=hello world")
	spec.User = "1000:1001"
	ex, out := start(t, r, spec)
	if res := waitResult(t, ex, time.Minute); res.ExitCode != 0 {
		t.Fatalf("exit code %d, want 0; output %q", res.ExitCode, out.texts(""))
	}
	got := out.texts("stdout")
	for _, want := range []string{
		"arg[0]=/jobprog", "arg[1]=env", "arg[2]=two words", "arg[3]=", "arg[4]=$HOME",
		"env AWS_BATCH_JOB_ID=job-env", "env AWS_BATCH_JOB_ATTEMPT=1", "env AWS_BATCH_JQ_NAME=q1",
		"env GREETING=hello world", "uid=1000 gid=1001",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("output lacks %q; got %q", want, got)
		}
	}
}

func TestExitCode(t *testing.T) {
	r, instance := newRuntime(t, Options{})
	for _, code := range []int{0, 1, 3, 255} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			ex, _ := start(t, r, jobSpec(instance, "job-exit-"+strconv.Itoa(code), "exit", strconv.Itoa(code)))
			res := waitResult(t, ex, time.Minute)
			if want := (bootstrap.RunResult{ExitCode: code}); res != want {
				t.Errorf("result %+v, want %+v", res, want)
			}
		})
	}
}

func TestOutOfMemory(t *testing.T) {
	r, instance := newRuntime(t, Options{})
	spec := jobSpec(instance, "job-oom", "oom", "256")
	spec.MemoryMiB = 32
	ex, out := start(t, r, spec)
	res := waitResult(t, ex, time.Minute)
	want := bootstrap.RunResult{ExitCode: 137, Reason: "OutOfMemoryError: Container killed due to memory usage"}
	if res != want {
		t.Errorf("result %+v, want %+v; output %q", res, want, out.texts(""))
	}
}

func TestCPULimitCapsCPUTime(t *testing.T) {
	r, instance := newRuntime(t, Options{})
	spec := jobSpec(instance, "job-cpu", "spin", "2")
	spec.VCPUs = 0.25
	ex, out := start(t, r, spec)
	if res := waitResult(t, ex, time.Minute); res.ExitCode != 0 {
		t.Fatalf("exit code %d; output %q", res.ExitCode, out.texts(""))
	}
	var cpu, wall float64
	for _, line := range out.texts("stdout") {
		if _, err := fmt.Sscanf(line, "cpu_seconds=%f wall_seconds=%f", &cpu, &wall); err == nil {
			break
		}
	}
	// A quarter of a CPU for 2 s is 0.5 s of CPU time; unlimited, every
	// core of the machine would be busy for the 2 s.
	if wall == 0 || cpu > 0.8 {
		t.Errorf("used %.2f s of CPU in %.0f s with a limit of 0.25 vCPU, want at most 0.8 s; output %q", cpu, wall, out.texts(""))
	}
	t.Logf("%.2f s of CPU in %.0f s at 0.25 vCPU", cpu, wall)
}

func TestStop(t *testing.T) {
	r, instance := newRuntime(t, Options{})
	tests := []struct {
		name     string
		args     []string
		ready    string
		grace    time.Duration
		wantCode int
		minWait  time.Duration // SIGKILL comes only after the grace
		maxWait  time.Duration
	}{
		{"SIGTERM honoured", []string{"sleep", "60"}, "sleeping", 20 * time.Second, 143, 0, 10 * time.Second},
		{"SIGTERM ignored", []string{"ignoreterm", "60"}, "ignoring SIGTERM", 2 * time.Second, 137, 2 * time.Second, 15 * time.Second},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, out := start(t, r, jobSpec(instance, "job-stop-"+strconv.Itoa(i), tt.args...))
			out.waitFor(t, tt.ready, 30*time.Second)
			began := time.Now()
			ex.Stop(tt.grace)
			res := waitResult(t, ex, tt.maxWait+10*time.Second)
			took := time.Since(began)
			if res.ExitCode != tt.wantCode || res.Reason != "" {
				t.Errorf("result %+v, want exit code %d and no reason", res, tt.wantCode)
			}
			if took < tt.minWait || took > tt.maxWait {
				t.Errorf("stopped in %v, want between %v and %v", took.Round(time.Millisecond), tt.minWait, tt.maxWait)
			}
			ex.Stop(time.Second) // after the end: harmless
		})
	}
}

func TestCPULimitCappedAtHostCPUs(t *testing.T) {
	r, instance := newRuntime(t, Options{})
	info, err := daemon.Info(context.Background(), client.InfoOptions{})
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	spec := jobSpec(instance, "job-cpu-cap", "sleep", "60")
	spec.VCPUs = float64(info.Info.NCPU + 2)
	ex, out := start(t, r, spec)
	out.waitFor(t, "sleeping", 30*time.Second)
	got := inspect(t, ex.ContainerID()).Container.HostConfig.NanoCPUs
	ex.Stop(0)
	waitResult(t, ex, 30*time.Second)
	if want := int64(info.Info.NCPU) * 1e9; got != want {
		t.Errorf("NanoCpus %d for %g vCPUs on %d CPUs, want %d", got, spec.VCPUs, info.Info.NCPU, want)
	}
}

func TestLogsArriveWhileRunning(t *testing.T) {
	// The runtime's own clock is far in the past: lines carry Docker's time.
	r, instance := newRuntime(t, Options{Clock: fixedClock{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}})
	before := time.Now().Add(-time.Second)
	ex, out := start(t, r, jobSpec(instance, "job-logs", "sleep", "60"))
	line := out.waitFor(t, "sleeping", 30*time.Second)
	if !inspect(t, ex.ContainerID()).Container.State.Running {
		t.Fatal("container ended before its first line arrived")
	}
	if line.Stream != "stdout" || line.At.Before(before) || line.At.After(time.Now()) {
		t.Errorf("line %+v: want stdout, stamped by Docker between %v and now", line, before)
	}
	ex.Stop(0)
	waitResult(t, ex, 30*time.Second)
}

func TestLogStreams(t *testing.T) {
	r, instance := newRuntime(t, Options{})
	ex, out := start(t, r, jobSpec(instance, "job-mixed", "mixed"))
	waitResult(t, ex, time.Minute)
	for stream, want := range map[string][]string{
		"stdout": {"out 1", "out 2", "no newline"},
		"stderr": {"err 1"},
	} {
		if got := out.texts(stream); !slices.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", stream, got, want)
		}
	}
}

func TestContainerRemovedAfterWait(t *testing.T) {
	r, instance := newRuntime(t, Options{})
	ex, _ := start(t, r, jobSpec(instance, "job-removed", "exit", "0"))
	waitResult(t, ex, time.Minute)
	_, err := daemon.ContainerInspect(context.Background(), ex.ContainerID(), client.ContainerInspectOptions{})
	if !cerrdefs.IsNotFound(err) {
		t.Errorf("inspecting the container after Wait: %v, want not found", err)
	}
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }
