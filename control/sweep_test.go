package control_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

func TestExpireLeases(t *testing.T) {
	tests := []struct {
		name     string
		attempts int
		// running marks the attempt RUNNING; otherwise it stays STARTING.
		running    bool
		wantStatus batch.Status
	}{
		{"retried when attempts remain", 2, true, batch.Runnable},
		{"retried from STARTING", 2, false, batch.Runnable},
		{"failed on the last attempt", 1, true, batch.Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			id := h.submit(&batch.SubmitJobInput{RetryStrategy: &batch.RetryStrategy{Attempts: ptr(tt.attempts)}})
			h.drain()
			h.ready()
			if _, err := h.svc.Claim(h.ctx, id, control.Placement{InstanceID: "i-x", ComputeEnvironment: ceName}); err != nil {
				t.Fatalf("Claim: %v", err)
			}
			if tt.running {
				if _, err := h.svc.MarkRunning(h.ctx, id, 1, "i-x"); err != nil {
					t.Fatalf("MarkRunning: %v", err)
				}
			}

			h.clk.Advance(leaseTime)
			if n, err := h.svc.ExpireLeases(h.ctx, 100); err != nil || n != 0 {
				t.Fatalf("ExpireLeases at the lease's end = %d, %v; want 0, nil", n, err)
			}
			h.clk.Advance(time.Millisecond)
			if n, err := h.svc.ExpireLeases(h.ctx, 100); err != nil || n != 1 {
				t.Fatalf("ExpireLeases past the lease = %d, %v; want 1, nil", n, err)
			}

			j := h.wantStatus(id, tt.wantStatus)
			want := "Host EC2 (instance i-x) terminated."
			if got := j.Attempts[0].StatusReason; got != want {
				t.Errorf("attempt statusReason = %q, want %q", got, want)
			}
			if j.StatusReason != want {
				t.Errorf("statusReason = %q, want %q", j.StatusReason, want)
			}
			if j.Attempts[0].Container.ExitCode != nil {
				t.Errorf("attempt exit code = %d, want none", *j.Attempts[0].Container.ExitCode)
			}
			rung := h.ready()
			if tt.wantStatus == batch.Runnable && !slices.Equal(rung, []string{id}) {
				t.Errorf("ready doorbells after the retry = %v, want [%s]", rung, id)
			}
			// The agent that lost its lease comes back: it is fenced off.
			if _, err := h.svc.FinishAttempt(h.ctx, id, 1, "i-x", exited(0)); !errors.Is(err, control.ErrLeaseLost) {
				t.Errorf("FinishAttempt after expiry err = %v, want ErrLeaseLost", err)
			}
		})
	}
}

func TestRenewedLeaseIsNotExpired(t *testing.T) {
	h := newHarness(t)
	id := h.submit(&batch.SubmitJobInput{})
	h.drain()
	a := h.start(id, "i-1")
	for range 3 {
		h.clk.Advance(leaseTime - time.Second)
		if _, err := h.svc.Heartbeat(h.ctx, id, a, "i-1"); err != nil {
			t.Fatalf("Heartbeat: %v", err)
		}
	}
	h.clk.Advance(leaseTime - time.Second)
	n, err := h.svc.ExpireLeases(h.ctx, 100)
	if err != nil || n != 0 {
		t.Fatalf("ExpireLeases = %d, %v; want 0, nil", n, err)
	}
	h.wantStatus(id, batch.Running)

	// LoseAttempt with onlyIfExpired leaves a live lease alone.
	if _, err := h.svc.LoseAttempt(h.ctx, id, a, "i-1", true); err != nil {
		t.Fatalf("LoseAttempt: %v", err)
	}
	h.wantStatus(id, batch.Running)
}

func TestReleaseInstance(t *testing.T) {
	h := newHarness(t)
	retry := &batch.RetryStrategy{Attempts: ptr(2)}
	onX1 := h.submit(&batch.SubmitJobInput{RetryStrategy: retry})
	onX2 := h.submit(&batch.SubmitJobInput{})
	onY := h.submit(&batch.SubmitJobInput{RetryStrategy: retry})
	h.drain()
	h.start(onX1, "i-x")
	if _, err := h.svc.Claim(h.ctx, onX2, control.Placement{InstanceID: "i-x", ComputeEnvironment: ceName}); err != nil {
		t.Fatalf("Claim: %v", err)
	}
	h.start(onY, "i-y")

	held, err := h.svc.HeldBy(h.ctx, "i-x")
	if err != nil {
		t.Fatalf("HeldBy: %v", err)
	}
	if len(held) != 2 {
		t.Errorf("HeldBy(i-x) = %d jobs, want 2", len(held))
	}
	n, err := h.svc.ReleaseInstance(h.ctx, "i-x")
	if err != nil || n != 2 {
		t.Fatalf("ReleaseInstance = %d, %v; want 2, nil", n, err)
	}
	if j := h.wantStatus(onX1, batch.Runnable); j.StatusReason != control.HostTerminatedReason("i-x") {
		t.Errorf("retried job statusReason = %q, want %q", j.StatusReason, control.HostTerminatedReason("i-x"))
	}
	h.wantStatus(onX2, batch.Failed)
	h.wantStatus(onY, batch.Running)
}

func TestRering(t *testing.T) {
	opts := control.SweepOptions{Stale: time.Minute, StalePending: 10 * time.Minute}
	tests := []struct {
		name string
		// lose brings a job to its state and drops its doorbell.
		lose  func(h *harness) string
		queue string
		age   time.Duration
		// want is the job's status once the scheduler had its doorbell.
		want batch.Status
	}{
		{
			name: "SUBMITTED job loses its scheduler doorbell",
			lose: func(h *harness) string {
				id := h.submit(&batch.SubmitJobInput{ArrayProperties: &batch.ArrayProperties{Size: ptr(2)}})
				h.takeAll(control.SubmissionsQueue)
				return id
			},
			queue: control.SubmissionsQueue,
			age:   opts.Stale,
			want:  batch.Pending, // expanded
		},
		{
			name:  "PENDING job loses its wake-up",
			lose:  loseWakeUp,
			queue: control.SubmissionsQueue,
			age:   opts.StalePending,
			want:  batch.Runnable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			id := tt.lose(h)
			h.clk.Advance(tt.age - time.Second)
			if _, err := h.svc.Rering(h.ctx, opts); err != nil {
				t.Fatalf("Rering: %v", err)
			}
			if got := h.takeAll(tt.queue); slices.Contains(got, id) {
				t.Fatalf("doorbells before the job is stale = %v, want none for %s", got, id)
			}
			h.clk.Advance(2 * time.Second)
			n, err := h.svc.Rering(h.ctx, opts)
			if err != nil {
				t.Fatalf("Rering: %v", err)
			}
			if n < 1 {
				t.Errorf("Rering = %d, want at least 1", n)
			}
			h.drain()
			h.wantStatus(id, tt.want)
		})
	}
}

// A job left SUBMITTED or PENDING is rung at its stale age, then at
// doubling ages, not at every sweep: a lost doorbell is found soon, a
// long wait for dependencies costs a few evaluations, and a scheduler that
// is behind is not sent a copy of each doorbell per sweep (chaos suite on
// moto: the queue grew faster than the scheduler drained it).
func TestReringBacksOff(t *testing.T) {
	opts := control.SweepOptions{Stale: 20 * time.Second, StalePending: 30 * time.Second, Every: 5 * time.Second}
	tests := []struct {
		name string
		// lose brings a job to its state and drops its doorbell.
		lose func(h *harness) string
		want []time.Duration
	}{
		{
			name: "SUBMITTED",
			lose: func(h *harness) string {
				id := h.submit(&batch.SubmitJobInput{ArrayProperties: &batch.ArrayProperties{Size: ptr(2)}})
				h.takeAll(control.SubmissionsQueue)
				return id
			},
			want: []time.Duration{21 * time.Second, 41 * time.Second, 81 * time.Second, 161 * time.Second},
		},
		{
			name: "PENDING",
			lose: func(h *harness) string {
				dep := h.submit(&batch.SubmitJobInput{})
				id := h.submit(&batch.SubmitJobInput{DependsOn: []batch.JobDependency{{JobID: dep}}})
				h.drain()
				h.wantStatus(id, batch.Pending)
				return id
			},
			want: []time.Duration{31 * time.Second, 61 * time.Second, 121 * time.Second, 241 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			id := tt.lose(h)
			var rung []time.Duration
			h.clk.Advance(time.Second) // sweeps fall 1 s after the ring points
			for age := opts.Every + time.Second; age <= 5*time.Minute; age += opts.Every {
				h.clk.Advance(opts.Every)
				if _, err := h.svc.Rering(h.ctx, opts); err != nil {
					t.Fatalf("Rering: %v", err)
				}
				if slices.Contains(h.takeAll(control.SubmissionsQueue), id) {
					rung = append(rung, age)
				}
			}
			if !slices.Equal(rung, tt.want) {
				t.Errorf("rung at %v, want %v", rung, tt.want)
			}
		})
	}
}

func TestDeleteExpiredKeepsFinishedJobsSevenDays(t *testing.T) {
	h := newHarness(t)
	done := h.submit(&batch.SubmitJobInput{})
	waiting := h.submit(&batch.SubmitJobInput{})
	h.drain()
	h.run(done, 0)

	h.clk.Advance(7*24*time.Hour - time.Second)
	if n := h.expire(); n != 0 {
		t.Fatalf("expired %d records before 7 days, want 0", n)
	}
	h.wantStatus(done, batch.Succeeded)

	h.clk.Advance(2 * time.Second)
	if n := h.expire(); n != 1 {
		t.Fatalf("expired %d records after 7 days, want 1", n)
	}
	if _, err := h.svc.Job(h.ctx, done); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("reading the expired job err = %v, want ErrNotFound", err)
	}
	h.wantStatus(waiting, batch.Runnable)
}

func TestRetention(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  time.Duration
		want time.Duration
	}{
		{"unset is 7 days", 0, 7 * 24 * time.Hour},
		{"negative is 7 days", -time.Hour, 7 * 24 * time.Hour},
		{"shorter, as tanda up --retention sets it", 5 * time.Minute, 5 * time.Minute},
		{"longer", 30 * 24 * time.Hour, 30 * 24 * time.Hour},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(o *control.Options) { o.Retention = tt.set })
			id := h.submit(&batch.SubmitJobInput{})
			h.drain()
			j := h.run(id, 1)
			if got := time.Duration(j.Internal.ExpiresAt-j.StoppedAt) * time.Millisecond; got != tt.want {
				t.Errorf("retention = %v, want %v", got, tt.want)
			}
			h.clk.Advance(tt.want - time.Second)
			if n := h.expire(); n != 0 {
				t.Fatalf("expired %d records before the retention ran out, want 0", n)
			}
			h.clk.Advance(2 * time.Second)
			if n := h.expire(); n != 1 {
				t.Fatalf("expired %d records after the retention ran out, want 1", n)
			}
			if _, err := h.svc.Job(h.ctx, id); !errors.Is(err, batch.ErrNotFound) {
				t.Errorf("reading the expired job err = %v, want ErrNotFound", err)
			}
		})
	}
}

// loseWakeUp makes a PENDING job whose dependency finished and whose
// wake-up was lost.
func loseWakeUp(h *harness) string {
	dep := h.submit(&batch.SubmitJobInput{})
	id := h.submit(&batch.SubmitJobInput{DependsOn: []batch.JobDependency{{JobID: dep}}})
	h.drain()
	h.ready()
	// The dependency finishes but its doorbell is lost.
	a := h.start(dep, "i-1")
	h.finish(dep, a, "i-1", exited(0))
	h.takeAll(control.SubmissionsQueue)
	return id
}

// doorbellTrap holds the doorbells the service sends while trapping is
// set, instead of delivering them.
type doorbellTrap struct {
	control.Queues
	trapping bool
	held     []batch.Message
}

func (q *doorbellTrap) Send(ctx context.Context, msgs []batch.Message) error {
	if q.trapping {
		q.held = append(q.held, msgs...)
		return nil
	}
	return q.Queues.Send(ctx, msgs)
}

// A sweep reaches every stale job, however many there are: with more
// PENDING jobs waiting than a sweep once listed (the newest 1,000), the
// oldest one, whose wake-up was lost, is rung all the same.
func TestReringReachesEveryStaleJob(t *testing.T) {
	waiting := 2500
	if os.Getenv(backendEnv) == "aws" {
		waiting = 1100 // still past the old 1,000, at a third of moto's time
	}
	trap := &doorbellTrap{}
	h := newHarness(t, func(o *control.Options) { trap.Queues, o.Queues = o.Queues, trap })
	id := loseWakeUp(h)
	lost := h.wantStatus(id, batch.Pending)

	// Many later jobs wait, all stale too, none of them lost.
	waitBehind(t, h, lost, waiting)

	opts := control.SweepOptions{Stale: time.Minute, StalePending: 10 * time.Minute}
	h.clk.Advance(opts.StalePending + time.Minute)
	trap.trapping = true
	n, err := h.svc.Rering(h.ctx, opts)
	trap.trapping = false
	if err != nil {
		t.Fatalf("Rering: %v", err)
	}
	if n != waiting+1 {
		t.Errorf("Rering = %d, want %d (every stale PENDING job)", n, waiting+1)
	}
	i := slices.IndexFunc(trap.held, func(m batch.Message) bool { return m.ID == id })
	if i < 0 {
		t.Fatalf("the sweep sent %d doorbells, none for %s, the oldest", len(trap.held), id)
	}
	if err := h.db.Send(h.ctx, trap.held[i:i+1]); err != nil {
		t.Fatalf("Send: %v", err)
	}
	h.drain()
	h.wantStatus(id, batch.Runnable)
}

// A sweep sends at most MaxRings doorbells and carries the due jobs beyond
// them to the next sweeps, first in line: every stale job is rung within
// a few sweeps, none skipped, and no sweep sends more than its bound.
func TestReringCarriesWhatItsBoundLeaves(t *testing.T) {
	waiting := 2500
	if os.Getenv(backendEnv) == "aws" {
		waiting = 250
	}
	bound := waiting * 2 / 5
	trap := &doorbellTrap{}
	h := newHarness(t, func(o *control.Options) { trap.Queues, o.Queues = o.Queues, trap })
	id := loseWakeUp(h)
	lost := h.wantStatus(id, batch.Pending)
	waitBehind(t, h, lost, waiting)
	opts := control.SweepOptions{Stale: time.Minute, StalePending: 10 * time.Minute, MaxRings: bound}
	h.clk.Advance(opts.StalePending + time.Minute)
	trap.trapping = true
	defer func() { trap.trapping = false }()
	rung := map[string]bool{}
	for sweep := 1; sweep <= 3; sweep++ {
		trap.held = nil
		n, err := h.svc.Rering(h.ctx, opts)
		if err != nil {
			t.Fatalf("sweep %d: Rering: %v", sweep, err)
		}
		if n != len(trap.held) || n > bound {
			t.Errorf("sweep %d rang %d doorbells (%d sent), want at most %d", sweep, n, len(trap.held), bound)
		}
		for _, m := range trap.held {
			rung[m.ID] = true
		}
	}
	if len(rung) != waiting+1 {
		t.Errorf("3 sweeps of at most %d rang %d distinct jobs, want all %d", bound, len(rung), waiting+1)
	}
	if !rung[id] {
		t.Errorf("the oldest stale job, %s, was never rung", id)
	}
}

// waitBehind makes n PENDING jobs like lost, each written 1 ms after the
// one before, the first 1 ms after lost.
func waitBehind(t *testing.T, h *harness, lost batch.Job, n int) {
	t.Helper()
	jobs := make([]batch.Job, n)
	for i := range jobs {
		j := lost
		j.JobID = fmt.Sprintf("waiting%04d", i)
		j.JobName = j.JobID
		j.Internal.UpdatedAt = lost.Internal.UpdatedAt + int64(i+1)
		j.Internal.Version = 0
		jobs[i] = j
	}
	if err := h.db.CreateJobs(h.ctx, jobs, nil); err != nil {
		t.Fatalf("CreateJobs: %v", err)
	}
}
