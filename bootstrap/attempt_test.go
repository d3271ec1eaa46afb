package bootstrap_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/control"
)

func TestEnvironment(t *testing.T) {
	plain := newJob("job-1", "q1", small)
	plain.Internal.Attempt = 1

	child := newJob("parent:3", "q2", small)
	child.Container.Environment = []batch.KeyValuePair{{Name: "FOO", Value: "bar"}}
	child.ArrayProperties = &batch.ArrayPropertiesDetail{Index: intPtr(3)}
	child.Internal.ArraySize = 5
	child.Internal.ArrayParent = "parent"
	child.Internal.Attempt = 2

	tests := []struct {
		name string
		job  batch.Job
		want []string
	}{
		{name: "job", job: plain, want: []string{
			"AWS_BATCH_JOB_ID=job-1", "AWS_BATCH_JOB_ATTEMPT=1", "AWS_BATCH_JQ_NAME=q1", "AWS_BATCH_CE_NAME=ce",
		}},
		{name: "array child", job: child, want: []string{
			"FOO=bar",
			"AWS_BATCH_JOB_ID=parent:3", "AWS_BATCH_JOB_ATTEMPT=2", "AWS_BATCH_JQ_NAME=q2", "AWS_BATCH_CE_NAME=ce",
			"AWS_BATCH_JOB_ARRAY_INDEX=3", "AWS_BATCH_JOB_ARRAY_SIZE=5",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bootstrap.Environment(&tt.job, "ce")
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Errorf("Environment() = %q, want %q", got, want)
			}
		})
	}
}

func TestAgentRunsAClaimedJob(t *testing.T) {
	cfg := testConfig(t)
	h := newHarness(t, cfg, "q1")
	j := newJob("parent:3", "q1", resources{vcpus: 1, memory: 512})
	j.Container = &batch.ContainerProperties{
		Image:       "busybox:latest",
		Command:     []string{"echo", "hello"},
		User:        "nobody",
		Environment: []batch.KeyValuePair{{Name: "FOO", Value: "bar"}},
	}
	j.ArrayProperties = &batch.ArrayPropertiesDetail{Index: intPtr(3)}
	j.Internal.ArrayParent = "parent"
	j.Internal.ArraySize = 5
	// A retry: the first attempt failed, this is the second.
	j.Internal.Attempt = 1
	j.Attempts = []batch.AttemptDetail{{Container: &batch.AttemptContainerDetail{
		LogStreamName: control.LogStreamName("def", "parent:3", 1),
	}}}
	h.submit(j)
	h.start()

	e := h.started("parent:3")
	spec := e.spec
	if spec.JobID != "parent:3" || spec.Attempt != 2 || spec.Image != "busybox:latest" || spec.User != "nobody" ||
		spec.VCPUs != 1 || spec.MemoryMiB != 512 || spec.GPUs != 0 {
		t.Errorf("RunSpec = %+v, want job parent:3 attempt 2, busybox:latest as nobody, 1 vCPU, 512 MiB", spec)
	}
	if want := []string{"echo", "hello"}; !slices.Equal(spec.Command, want) {
		t.Errorf("RunSpec.Command = %q, want %q", spec.Command, want)
	}
	for _, want := range []string{
		"FOO=bar",
		"AWS_BATCH_JOB_ID=parent:3",
		"AWS_BATCH_JOB_ATTEMPT=2",
		"AWS_BATCH_JQ_NAME=q1",
		"AWS_BATCH_CE_NAME=" + ceName,
		"AWS_BATCH_JOB_ARRAY_INDEX=3",
		"AWS_BATCH_JOB_ARRAY_SIZE=5",
	} {
		if !contains(spec.Env, want) {
			t.Errorf("RunSpec.Env = %q, want it to hold %s", spec.Env, want)
		}
	}
	if rel, err := filepath.Rel(cfg.WorkRoot, spec.WorkDir); err != nil || strings.HasPrefix(rel, "..") || rel == "." {
		t.Errorf("RunSpec.WorkDir = %s, want a directory of its own under %s", spec.WorkDir, cfg.WorkRoot)
	}

	waitFor(t, "the job to be marked RUNNING", func() bool { return h.ctl.job("parent:3").Status == batch.Running })
	stream := control.LogStreamName("def", "parent:3", 2)
	e.emit("hello")
	waitFor(t, "the job's output to reach its log", func() bool { return contains(h.logs.texts(stream), "hello") })
	if !e.running() {
		t.Fatal("the execution ended before its output was checked")
	}

	e.exit(3)
	got := h.finished("parent:3")
	if got.Outcome.ExitCode == nil || *got.Outcome.ExitCode != 3 || got.Outcome.Terminated || got.Outcome.TimedOut || got.Outcome.StatusReason != "" {
		t.Errorf("FinishAttempt outcome = %+v, want exit code 3 and nothing else", got.Outcome)
	}

	var ops []string
	for _, c := range h.ctl.callsOf("") {
		if c.Attempt != 2 || c.Instance != instanceID || c.Err != nil {
			t.Errorf("%s call for attempt %d on %q (err %v), want attempt 2 on %s", c.Op, c.Attempt, c.Instance, c.Err, instanceID)
		}
		if c.Op != "Heartbeat" {
			ops = append(ops, c.Op)
		}
	}
	if want := []string{"Claim", "MarkRunning", "FinishAttempt"}; !slices.Equal(ops, want) {
		t.Errorf("lifecycle calls = %v, want %v", ops, want)
	}
	if p := h.callsFor("Claim", "parent:3")[0].Placement; p != (control.Placement{InstanceID: instanceID, ComputeEnvironment: ceName}) {
		t.Errorf("claim placement = %+v, want %s in %s", p, instanceID, ceName)
	}
	if !contains(h.queue.deletedIDs(), "parent:3") {
		t.Errorf("doorbell not deleted after the claim")
	}
}

func TestAgentWritesLastOutputBeforeReporting(t *testing.T) {
	h := newHarness(t, testConfig(t), "q")
	h.submit(newJob("j", "q", small))
	stream := control.LogStreamName("def", "j", 1)
	logged := make(chan []string, 1)
	h.ctl.onFinish = func(string) { logged <- h.logs.texts(stream) }
	h.start()

	e := h.started("j")
	e.emit("last words")
	e.exit(0)
	h.finished("j")
	if got := <-logged; !contains(got, "last words") {
		t.Errorf("log when the attempt was reported = %q, want it to hold the job's last line", got)
	}
}

func TestAgentStopsTerminatedJob(t *testing.T) {
	cfg := testConfig(t)
	h := newHarness(t, cfg, "q")
	h.submit(newJob("j", "q", small))
	h.start()
	e := h.started("j")
	waitFor(t, "the job to be marked RUNNING", func() bool { return h.ctl.job("j").Status == batch.Running })

	h.ctl.terminate("j", "no longer needed")
	got := h.finished("j")
	if graces := e.graces(); len(graces) == 0 || graces[0] != cfg.KillGrace {
		t.Errorf("Stop graces = %v, want the first to be KillGrace %v", graces, cfg.KillGrace)
	}
	if !got.Outcome.Terminated || got.Outcome.TimedOut || got.Outcome.ExitCode == nil || *got.Outcome.ExitCode != exitStopped {
		t.Errorf("outcome = %+v, want terminated with exit code %d", got.Outcome, exitStopped)
	}
	stream := control.LogStreamName("def", "j", 1)
	if got := h.logs.texts(stream); !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "no longer needed") }) {
		t.Errorf("log = %q, want a line saying the job was terminated and why", got)
	}
}

func TestAgentReportsTerminateRequestedBeforeStart(t *testing.T) {
	h := newHarness(t, testConfig(t), "q")
	j := newJob("j", "q", small)
	j.Internal.TerminateRequested = true
	h.submit(j)
	h.start()

	got := h.finished("j")
	if !got.Outcome.Terminated {
		t.Errorf("outcome = %+v, want terminated", got.Outcome)
	}
	if started := h.rt.started(); len(started) != 0 {
		t.Errorf("started %v, want nothing", started)
	}
}

func TestAgentStopsJobAtItsTimeout(t *testing.T) {
	cfg := testConfig(t)
	fire := make(chan time.Time, 1)
	timers := make(chan time.Duration, 1)
	cfg.After = func(d time.Duration) <-chan time.Time {
		timers <- d
		return fire
	}
	h := newHarness(t, cfg, "q")
	j := newJob("j", "q", small)
	j.Timeout = &batch.JobTimeout{AttemptDurationSeconds: int64Ptr(60)}
	h.submit(j)
	h.start()
	e := h.started("j")

	select {
	case d := <-timers:
		if d != time.Minute {
			t.Errorf("attempt timer set for %v, want %v", d, time.Minute)
		}
	case <-time.After(patience):
		t.Fatal("no attempt timer was set")
	}
	if !e.running() {
		t.Fatal("the job ended before its timeout")
	}
	fire <- time.Now()

	got := h.finished("j")
	if graces := e.graces(); len(graces) == 0 || graces[0] != cfg.KillGrace {
		t.Errorf("Stop graces = %v, want the first to be KillGrace %v", graces, cfg.KillGrace)
	}
	if !got.Outcome.TimedOut || got.Outcome.Terminated {
		t.Errorf("outcome = %+v, want timed out", got.Outcome)
	}
}

func TestAgentStopsJobWhoseLeaseIsLost(t *testing.T) {
	tests := []struct {
		name string
		// loseEarly loses the lease before the job is marked RUNNING.
		loseEarly bool
	}{
		{name: "heartbeat"},
		{name: "mark running", loseEarly: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(t), "q")
			if tt.loseEarly {
				h.rt.onStart = func(s bootstrap.RunSpec) { h.ctl.loseLease(s.JobID) }
			}
			h.submit(newJob("j", "q", small))
			h.start()
			e := h.started("j")
			if !tt.loseEarly {
				waitFor(t, "a heartbeat", func() bool { return len(h.callsFor("Heartbeat", "j")) > 0 })
				h.ctl.loseLease("j")
			}

			waitFor(t, "the job to be stopped", func() bool { return len(e.graces()) > 0 })
			h.idle()
			if got := h.callsFor("FinishAttempt", "j"); len(got) != 0 {
				t.Errorf("FinishAttempt calls = %+v, want none after the lease was lost", got)
			}
		})
	}
}

func TestAgentReportsStartFailure(t *testing.T) {
	tests := []struct {
		name        string
		startErr    error
		noContainer bool
		wantReason  string
		wantLogged  bool
	}{
		{name: "start error", startErr: &bootstrap.StartError{Reason: "CannotPullContainerError: pull access denied"},
			wantReason: "CannotPullContainerError: pull access denied", wantLogged: true},
		{name: "other error", startErr: errors.New("exec format error"),
			wantReason: "CannotStartContainerError: exec format error", wantLogged: true},
		{name: "no container", noContainer: true,
			wantReason: "ResourceInitializationError: job has no container"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(t), "q")
			j := newJob("j", "q", small)
			if tt.noContainer {
				j.Container = nil
			}
			if tt.startErr != nil {
				h.rt.startErrs["j"] = tt.startErr
			}
			h.submit(j)
			h.start()

			got := h.finished("j").Outcome
			if got.StatusReason != control.ReasonStartFailed || got.Reason != tt.wantReason || got.ExitCode != nil {
				t.Errorf("outcome = %+v, want statusReason %q, reason %q, no exit code", got, control.ReasonStartFailed, tt.wantReason)
			}
			if calls := h.callsFor("MarkRunning", "j"); len(calls) != 0 {
				t.Errorf("MarkRunning calls = %+v, want none", calls)
			}
			if tt.wantLogged {
				stream := control.LogStreamName("def", "j", 1)
				waitFor(t, "the failure in the job's log", func() bool {
					return contains(h.logs.texts(stream), "tanda: "+tt.wantReason)
				})
			}
		})
	}
}
