package control_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

func TestJobLifecycleToSucceeded(t *testing.T) {
	h := newHarness(t)
	id := h.submit(&batch.SubmitJobInput{})
	h.drain()
	h.ready()

	placement := control.Placement{InstanceID: "i-1", ComputeEnvironment: ceName}
	claimed, err := h.svc.Claim(h.ctx, id, placement)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	if claimed.Status != batch.Starting {
		t.Errorf("status after Claim = %v, want STARTING", claimed.Status)
	}
	if claimed.Internal.Attempt != 1 || len(claimed.Attempts) != 1 {
		t.Fatalf("attempt = %d with %d attempts, want attempt 1 of 1", claimed.Internal.Attempt, len(claimed.Attempts))
	}
	wantStream := "def/default/" + id + "-1"
	if got := claimed.Attempts[0].Container.LogStreamName; got != wantStream {
		t.Errorf("attempt logStreamName = %q, want %q", got, wantStream)
	}
	if got := claimed.Container.LogStreamName; got != wantStream {
		t.Errorf("container logStreamName = %q, want %q", got, wantStream)
	}
	if want := batch.Millis(h.clk.Now().Add(leaseTime)); claimed.Internal.LeaseExpiresAt != want {
		t.Errorf("lease expires at %d, want %d", claimed.Internal.LeaseExpiresAt, want)
	}
	if _, err := h.svc.Claim(h.ctx, id, control.Placement{InstanceID: "i-2", ComputeEnvironment: ceName}); !errors.Is(err, control.ErrNotClaimable) {
		t.Errorf("second Claim err = %v, want ErrNotClaimable", err)
	}

	h.clk.Advance(2 * time.Second)
	running, err := h.svc.MarkRunning(h.ctx, id, 1, "i-1")
	if err != nil {
		t.Fatalf("MarkRunning: %v", err)
	}
	startedAt := batch.Millis(h.clk.Now())
	if running.Status != batch.Running || running.StartedAt != startedAt {
		t.Errorf("after MarkRunning: status %v startedAt %d, want RUNNING at %d", running.Status, running.StartedAt, startedAt)
	}

	h.clk.Advance(5 * time.Second)
	done := h.finish(id, 1, "i-1", exited(0))
	stoppedAt := batch.Millis(h.clk.Now())
	if done.Status != batch.Succeeded {
		t.Errorf("status = %v, want SUCCEEDED", done.Status)
	}
	if done.StatusReason != control.ReasonExited {
		t.Errorf("statusReason = %q, want %q", done.StatusReason, control.ReasonExited)
	}
	if done.StoppedAt != stoppedAt {
		t.Errorf("stoppedAt = %d, want %d", done.StoppedAt, stoppedAt)
	}
	a := done.Attempts[0]
	if a.StartedAt != startedAt || a.StoppedAt != stoppedAt || a.Container.ExitCode == nil || *a.Container.ExitCode != 0 {
		t.Errorf("attempt = %+v (exit %v), want started %d, stopped %d, exit 0", a, a.Container.ExitCode, startedAt, stoppedAt)
	}
	if done.Internal.Instance != "" || done.Internal.LeaseExpiresAt != 0 {
		t.Errorf("finished job still holds a lease: instance %q until %d", done.Internal.Instance, done.Internal.LeaseExpiresAt)
	}
	if done.Internal.ExpiresAt == 0 {
		t.Error("finished job has no expiry")
	}
	if _, err := h.svc.Claim(h.ctx, id, placement); !errors.Is(err, control.ErrNotClaimable) {
		t.Errorf("Claim of a finished job err = %v, want ErrNotClaimable", err)
	}
}

func TestStaleAttemptsAreFenced(t *testing.T) {
	h := newHarness(t)
	id := h.submit(&batch.SubmitJobInput{})
	h.drain()
	attempt := h.start(id, "i-1")
	before := h.job(id)

	calls := map[string]func(attempt int, instance string) error{
		"MarkRunning": func(a int, i string) error { _, err := h.svc.MarkRunning(h.ctx, id, a, i); return err },
		"Heartbeat":   func(a int, i string) error { _, err := h.svc.Heartbeat(h.ctx, id, a, i); return err },
		"FinishAttempt": func(a int, i string) error {
			_, err := h.svc.FinishAttempt(h.ctx, id, a, i, exited(0))
			return err
		},
	}
	holders := []struct {
		name     string
		attempt  int
		instance string
	}{
		{"old attempt", attempt - 1, "i-1"},
		{"future attempt", attempt + 1, "i-1"},
		{"other instance", attempt, "i-2"},
	}
	// The holder's repeated MarkRunning changes nothing.
	if _, err := h.svc.MarkRunning(h.ctx, id, attempt, "i-1"); err != nil {
		t.Fatalf("repeated MarkRunning: %v", err)
	}
	if got := h.job(id).Internal.Version; got != before.Internal.Version {
		t.Errorf("repeated MarkRunning wrote the job: version %d→%d", before.Internal.Version, got)
	}

	for name, call := range calls {
		for _, hd := range holders {
			t.Run(name+"/"+hd.name, func(t *testing.T) {
				h := h.with(t)
				if err := call(hd.attempt, hd.instance); !errors.Is(err, control.ErrLeaseLost) {
					t.Fatalf("err = %v, want ErrLeaseLost", err)
				}
				after := h.job(id)
				if after.Internal.Version != before.Internal.Version || after.Status != batch.Running {
					t.Errorf("job changed: version %d→%d, status %v", before.Internal.Version, after.Internal.Version, after.Status)
				}
			})
		}
	}
}

func TestFinishedAttemptCannotReportAgain(t *testing.T) {
	h := newHarness(t)
	id := h.submit(&batch.SubmitJobInput{RetryStrategy: &batch.RetryStrategy{Attempts: ptr(2)}})
	h.drain()
	first := h.start(id, "i-1")
	h.finish(id, first, "i-1", exited(1))
	second := h.start(id, "i-2")

	// The first agent retries its report: it must not touch attempt 2.
	if _, err := h.svc.FinishAttempt(h.ctx, id, first, "i-1", exited(0)); !errors.Is(err, control.ErrLeaseLost) {
		t.Fatalf("repeated FinishAttempt err = %v, want ErrLeaseLost", err)
	}
	if _, err := h.svc.Heartbeat(h.ctx, id, first, "i-1"); !errors.Is(err, control.ErrLeaseLost) {
		t.Fatalf("stale Heartbeat err = %v, want ErrLeaseLost", err)
	}
	j := h.wantStatus(id, batch.Running)
	if j.Internal.Attempt != second || j.Internal.Instance != "i-2" {
		t.Errorf("attempt %d on %q, want attempt %d on i-2", j.Internal.Attempt, j.Internal.Instance, second)
	}
}

func TestRetryStrategy(t *testing.T) {
	exitRule := &batch.RetryStrategy{Attempts: ptr(3), EvaluateOnExit: []batch.EvaluateOnExit{
		{OnExitCode: "3", Action: batch.ActionExit},
		{OnReason: "OutOfMemory*", Action: batch.ActionRetry},
	}}
	tests := []struct {
		name     string
		strategy *batch.RetryStrategy
		outcomes []batch.AttemptOutcome
		// want is the status after each outcome.
		want       []batch.Status
		wantReason string
	}{
		{
			name:       "no strategy: one attempt",
			outcomes:   []batch.AttemptOutcome{exited(1)},
			want:       []batch.Status{batch.Failed},
			wantReason: control.ReasonExited,
		},
		{
			name:       "exit 3 with attempts 3",
			strategy:   &batch.RetryStrategy{Attempts: ptr(3)},
			outcomes:   []batch.AttemptOutcome{exited(3), exited(3), exited(3)},
			want:       []batch.Status{batch.Runnable, batch.Runnable, batch.Failed},
			wantReason: control.ReasonExited,
		},
		{
			name:       "second attempt succeeds",
			strategy:   &batch.RetryStrategy{Attempts: ptr(3)},
			outcomes:   []batch.AttemptOutcome{exited(3), exited(0)},
			want:       []batch.Status{batch.Runnable, batch.Succeeded},
			wantReason: control.ReasonExited,
		},
		{
			name:       "evaluateOnExit EXIT on the exit code",
			strategy:   exitRule,
			outcomes:   []batch.AttemptOutcome{exited(3)},
			want:       []batch.Status{batch.Failed},
			wantReason: control.ReasonExited,
		},
		{
			name:     "evaluateOnExit RETRY on the reason",
			strategy: exitRule,
			outcomes: []batch.AttemptOutcome{
				{ExitCode: ptr(137), Reason: "OutOfMemoryError: Container killed due to memory usage"},
				exited(3),
			},
			want:       []batch.Status{batch.Runnable, batch.Failed},
			wantReason: control.ReasonExited,
		},
		{
			name:       "timed out attempts are not retried",
			strategy:   &batch.RetryStrategy{Attempts: ptr(3)},
			outcomes:   []batch.AttemptOutcome{{TimedOut: true}},
			want:       []batch.Status{batch.Failed},
			wantReason: control.ReasonTimeout,
		},
		{
			name:       "a container that never started is retried",
			strategy:   &batch.RetryStrategy{Attempts: ptr(2)},
			outcomes:   []batch.AttemptOutcome{{StatusReason: control.ReasonStartFailed, Reason: "CannotPullContainerError"}, {StatusReason: control.ReasonStartFailed}},
			want:       []batch.Status{batch.Runnable, batch.Failed},
			wantReason: control.ReasonStartFailed,
		},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := h.with(t)
			id := h.submit(&batch.SubmitJobInput{RetryStrategy: tt.strategy})
			h.drain()
			h.ready()
			var j batch.Job
			for i, o := range tt.outcomes {
				a := h.start(id, "i-1")
				if a != i+1 {
					t.Fatalf("attempt = %d, want %d", a, i+1)
				}
				j = h.finish(id, a, "i-1", o)
				if j.Status != tt.want[i] {
					t.Fatalf("after attempt %d: status %v (%q), want %v", a, j.Status, j.StatusReason, tt.want[i])
				}
				rung := h.ready()
				if j.Status == batch.Runnable && !slices.Equal(rung, []string{id}) {
					t.Errorf("after retry %d: ready doorbells = %v, want [%s]", a, rung, id)
				}
				h.drain()
			}
			if len(j.Attempts) != len(tt.outcomes) {
				t.Errorf("attempts = %d, want %d", len(j.Attempts), len(tt.outcomes))
			}
			if j.StatusReason != tt.wantReason {
				t.Errorf("statusReason = %q, want %q", j.StatusReason, tt.wantReason)
			}
			for i, a := range j.Attempts {
				if a.StatusReason == "" || a.StoppedAt == 0 {
					t.Errorf("attempt %d = %+v, want a statusReason and stoppedAt", i+1, a)
				}
			}
		})
	}
}

func TestTerminateRunningJob(t *testing.T) {
	h := newHarness(t)
	id := h.submit(&batch.SubmitJobInput{RetryStrategy: &batch.RetryStrategy{Attempts: ptr(3)}})
	h.drain()
	a := h.start(id, "i-1")

	if err := h.svc.TerminateJob(h.ctx, &batch.JobActionInput{JobID: id, Reason: "operator says stop"}); err != nil {
		t.Fatalf("TerminateJob: %v", err)
	}
	j := h.wantStatus(id, batch.Running)
	if j.IsTerminated == nil || !*j.IsTerminated {
		t.Errorf("isTerminated = %v, want true", j.IsTerminated)
	}
	hb, err := h.svc.Heartbeat(h.ctx, id, a, "i-1")
	if err != nil {
		t.Fatalf("Heartbeat: %v", err)
	}
	if !hb.Internal.TerminateRequested {
		t.Error("Heartbeat after TerminateJob: TerminateRequested = false, want true")
	}

	// The agent stops the container, which exits as SIGTERM leaves it.
	done := h.finish(id, a, "i-1", exited(143))
	if done.Status != batch.Failed {
		t.Fatalf("status = %v, want FAILED (no retry after a terminate)", done.Status)
	}
	if done.StatusReason != "operator says stop" {
		t.Errorf("statusReason = %q, want the terminate reason", done.StatusReason)
	}
	if len(done.Attempts) != 1 {
		t.Errorf("attempts = %d, want 1", len(done.Attempts))
	}
}

func TestCancelJob(t *testing.T) {
	tests := []struct {
		name string
		// prepare brings the job to the state under test.
		prepare       func(h *harness, id string)
		terminate     bool
		wantStatus    batch.Status
		wantCancelled bool
		wantTermed    bool
	}{
		{"cancel SUBMITTED", func(*harness, string) {}, false, batch.Failed, true, false},
		{"cancel RUNNABLE", func(h *harness, _ string) { h.drain() }, false, batch.Failed, true, false},
		{"cancel RUNNING is a no-op", func(h *harness, id string) { h.drain(); h.start(id, "i-1") }, false, batch.Running, false, false},
		{"terminate RUNNABLE", func(h *harness, _ string) { h.drain() }, true, batch.Failed, false, true},
		{"cancel SUCCEEDED is a no-op", func(h *harness, id string) { h.drain(); h.run(id, 0) }, false, batch.Succeeded, false, false},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := h.with(t)
			id := h.submit(&batch.SubmitJobInput{})
			tt.prepare(h, id)
			before := h.job(id)
			stop := h.svc.CancelJob
			if tt.terminate {
				stop = h.svc.TerminateJob
			}
			if err := stop(h.ctx, &batch.JobActionInput{JobID: id, Reason: "not needed"}); err != nil {
				t.Fatalf("stopping: %v", err)
			}
			h.drain()
			j := h.wantStatus(id, tt.wantStatus)
			if got := j.IsCancelled != nil && *j.IsCancelled; got != tt.wantCancelled {
				t.Errorf("isCancelled = %v, want %v", got, tt.wantCancelled)
			}
			if got := j.IsTerminated != nil && *j.IsTerminated; got != tt.wantTermed {
				t.Errorf("isTerminated = %v, want %v", got, tt.wantTermed)
			}
			if tt.wantStatus == before.Status {
				if j.Internal.Version != before.Internal.Version {
					t.Errorf("a no-op wrote the job: version %d→%d", before.Internal.Version, j.Internal.Version)
				}
				return
			}
			if j.StatusReason != "not needed" {
				t.Errorf("statusReason = %q, want the given reason", j.StatusReason)
			}
			if _, err := h.svc.Claim(h.ctx, id, control.Placement{InstanceID: "i-9"}); !errors.Is(err, control.ErrNotClaimable) {
				t.Errorf("Claim after cancel err = %v, want ErrNotClaimable", err)
			}
		})
	}
}

func TestCancelJobsInBulk(t *testing.T) {
	h := newHarness(t)
	a := h.submit(&batch.SubmitJobInput{})
	b := h.submit(&batch.SubmitJobInput{})
	h.drain()
	out, err := h.svc.CancelJobs(h.ctx, &batch.BulkJobActionInput{Jobs: []string{a, b, "ghost"}, Reason: "bulk"})
	if err != nil {
		t.Fatalf("CancelJobs: %v", err)
	}
	if want := []string{a, b, "ghost"}; !slices.Equal(out.Successful, want) || len(out.Errors) != 0 {
		t.Errorf("CancelJobs = %+v, want successful %v and no errors", out, want)
	}
	for _, id := range []string{a, b} {
		if j := h.wantStatus(id, batch.Failed); j.StatusReason != "bulk" {
			t.Errorf("job %s statusReason = %q, want bulk", id, j.StatusReason)
		}
	}
}

func TestLogStreamName(t *testing.T) {
	tests := []struct {
		def, job string
		attempt  int
		want     string
	}{
		{"def", "abc", 1, "def/default/abc-1"},
		{"def", "abc:3", 2, "def/default/abc-3-2"},
		{strings.Repeat("d", 250), "x", 1, strings.Repeat("d", 200) + "/default/x-1"},
	}
	for _, tt := range tests {
		if got := control.LogStreamName(tt.def, tt.job, tt.attempt); got != tt.want {
			t.Errorf("LogStreamName(%.10s…, %q, %d) = %q, want %q", tt.def, tt.job, tt.attempt, got, tt.want)
		}
	}
}

func TestReadyViaSchedulerRoutesRetriesThroughTheScheduler(t *testing.T) {
	h := newHarness(t, func(o *control.Options) { o.ReadyViaScheduler = true })
	h.registerDef("retried", func(in *batch.RegisterJobDefinitionInput) {
		in.RetryStrategy = &batch.RetryStrategy{Attempts: ptr(2)}
	})
	id := h.submit(&batch.SubmitJobInput{JobDefinition: "retried"})
	h.takeAll(control.SubmissionsQueue)
	h.takeAll(control.ReadyQueue(queueName))
	a := h.start(id, "i-1")
	h.finish(id, a, "i-1", exited(1))
	h.wantStatus(id, batch.Runnable)
	if got := h.ready(); len(got) != 0 {
		t.Errorf("ready doorbells rung by the agent's service = %v, want none", got)
	}
	// The scheduler's service (without the option) rings it.
	sched := control.New(h.store, control.Options{Partition: testPartition, Clock: h.clk, LeaseDuration: leaseTime, Queues: h.db})
	ds, err := h.db.Receive(h.ctx, control.SubmissionsQueue, 10, time.Minute, 0)
	if err != nil || len(ds) != 1 || ds[0].ID != id {
		t.Fatalf("submissions after the retry = %v, %v; want one doorbell for %s", ds, err, id)
	}
	if err := sched.Evaluate(h.ctx, id); err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if got := h.ready(); !slices.Equal(got, []string{id}) {
		t.Errorf("ready doorbells after the scheduler's evaluation = %v, want [%s]", got, id)
	}
}
